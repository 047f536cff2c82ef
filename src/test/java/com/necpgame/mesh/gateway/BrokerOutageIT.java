package com.necpgame.mesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.config.TopicSpec;
import com.necpgame.mesh.kafka.TopicProvisioner;
import com.necpgame.mesh.testsupport.OwnBroker;
import com.necpgame.mesh.testsupport.PublishLoad;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker stops for 10 s while eight clients publish as fast as they can: every request is answered (200, or 503
 * with {@code Retry-After} and the error body; no 500, no request left hanging), the mesh publishes again by itself
 * once the broker is back, and every event a client saw acknowledged, before, during or after, is in Kafka exactly
 * once. {@link KafkaDownIT} proves the single answers during an outage; this is the outage under load.
 */
class BrokerOutageIT {

  private static final int OUTAGE_MS = 10_000;

  @Test
  void underLoadA10SecondOutageIsAnswered503AndNoAcknowledgedEventIsLost(@TempDir Path dir) throws Exception {
    OwnBroker broker = OwnBroker.start(dir.resolve("kafka"));
    String bootstrap = broker.bootstrapServers();
    int port = TestMesh.freePort();
    Mesh mesh = null;
    try {
      mesh = Mesh.start(TestMesh.config(dir, port, bootstrap, new JsonObject()
          .put("kafka", new JsonObject().put("request_timeout_ms", 2000).put("producer", new JsonObject()
              .put("max_block_ms", 2000).put("delivery_timeout_ms", 3000)))
          .put("topics", new JsonObject().put("create_on_start", false))
          .put("bridge", new JsonObject().put("outbound", new JsonArray()))
          .put("verticles", new JsonObject().put("store", new JsonObject().put("enabled", false))
              .put("delivery", new JsonObject().put("enabled", false)))));
      String topic = TestKafka.unique("game.outage");
      new TopicProvisioner(mesh.context().admin(), 1, Duration.ofSeconds(30))
          .ensure(List.of(new TopicSpec(topic, 3, Optional.empty(), Map.of(), false)));

      PublishLoad load = PublishLoad.start(port, topic, 8);
      long recoveredMs;
      try {
        load.awaitAcks(500, 60);
        broker.stop();
        Thread.sleep(OUTAGE_MS);
        long restarting = System.nanoTime();
        broker.start();
        load.awaitAcks(1, 90);
        recoveredMs = (System.nanoTime() - restarting) / 1_000_000;
        load.awaitAcks(500, 60);
      } finally {
        load.close();
      }
      Set<String> acked = load.acked();
      Map<String, Integer> found = PublishLoad.eventIds(bootstrap, topic);
      long lost = acked.stream().filter(id -> !found.containsKey(id)).count();
      long twice = acked.stream().filter(id -> found.getOrDefault(id, 0) > 1).count();
      System.out.printf("broker outage of %d ms under load: answers %s; 503s from the first sent to the last answered "
          + "%d ms, slowest 503 %d ms; first publish acknowledged %d ms after the broker restart began; acknowledged "
          + "%d, lost %d, twice %d%n", OUTAGE_MS, load.outcomes(), load.unavailableMillis(), load.slowest503Millis(),
          recoveredMs, acked.size(), lost, twice);
      assertEquals(List.of(), load.bad(), "every answer a 200 or a 503 with Retry-After, none hanging");
      assertTrue(load.outcomes().getOrDefault("503", 0) > 0, "the outage was seen: " + load.outcomes());
      assertEquals(0, load.outcomes().getOrDefault("connection error", 0), load.outcomes().toString());
      assertEquals(0, lost, "acknowledged events missing from Kafka");
      assertEquals(0, twice, "acknowledged events written twice");
    } finally {
      try {
        if (mesh != null) {
          mesh.close();
        }
      } finally {
        broker.close();
      }
    }
  }
}
