package com.necpgame.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class MeshMetricsTest {

  @Test
  void consumerLagKeepsOnlyTheLastMeasurementPerGroupAndTopic() {
    MeshMetrics metrics = new MeshMetrics();
    metrics.consumerLag(Map.of("mesh.store", Map.of("game.a", 5L, "game.b", 0L), "mesh.delivery", Map.of("game.a", 7L)));
    String scrape = metrics.scrape();
    assertTrue(scrape.contains("event_bus_consumer_lag{group=\"mesh.store\",topic=\"game.a\"} 5.0"), scrape);
    assertTrue(scrape.contains("event_bus_consumer_lag{group=\"mesh.delivery\",topic=\"game.a\"} 7.0"), scrape);
    metrics.consumerLag(Map.of("mesh.store", Map.of("game.a", 2L)));
    scrape = metrics.scrape();
    assertTrue(scrape.contains("event_bus_consumer_lag{group=\"mesh.store\",topic=\"game.a\"} 2.0"), scrape);
    assertFalse(scrape.contains("group=\"mesh.delivery\""), "a group no longer measured is dropped: " + scrape);
    assertFalse(scrape.contains("topic=\"game.b\""), scrape);
  }

  @Test
  void drainingIsExportedAndCountsDownTheGracePeriod() {
    MeshMetrics metrics = new MeshMetrics();
    assertFalse(metrics.draining());
    assertEquals(0, metrics.drainMillisLeft());
    assertTrue(metrics.scrape().contains("event_bus_draining 0.0"));
    metrics.startDraining(60_000);
    assertTrue(metrics.draining());
    assertTrue(metrics.drainMillisLeft() > 0 && metrics.drainMillisLeft() <= 60_000);
    assertTrue(metrics.scrape().contains("event_bus_draining 1.0"));
  }

  @Test
  void simulationStepsAndBrokersAreExported() {
    MeshMetrics metrics = new MeshMetrics();
    assertTrue(metrics.scrape().contains("event_bus_kafka_brokers -1.0"), "not measured yet");
    metrics.kafkaBrokers(3);
    metrics.simulationTimer("market_clear").accept(2_000_000);
    String scrape = metrics.scrape();
    assertTrue(scrape.contains("event_bus_kafka_brokers 3.0"), scrape);
    assertTrue(scrape.contains("event_bus_simulation_step_duration_seconds_count{step=\"market_clear\"} 1"), scrape);
  }
}
