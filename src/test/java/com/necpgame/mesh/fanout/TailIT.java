package com.necpgame.mesh.fanout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.MeshMetrics;
import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.kafka.PartitionScan;
import com.necpgame.mesh.testsupport.TestKafka;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A topic's tail against the test broker. */
class TailIT {

  @Test
  void resolvesArrivingWhileTheTailRefreshesItsPartitionsNeverRestartIt() throws Exception {
    String topic = TestKafka.createTopic("tail", 3);
    MeshConfig config = TestKafka.config(new JsonObject());
    MeshMetrics metrics = new MeshMetrics();
    // refreshing at every turn, so the wake-ups of the resolves land on the partition look-up as well as on the poll
    Tail tail = new Tail(topic, TestKafka.clients(config), metrics, new ChannelFields(Map.of()),
        new FanoutMeters(metrics.registry()), new MeshConfig.History(100, 1 << 20, 60_000), 1, false, feed -> { })
        .start();
    try {
      List<CompletableFuture<Tail.Resolved>> answers = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        answers.add(tail.resolve(PartitionScan.END));
        Thread.sleep(5);
      }
      for (CompletableFuture<Tail.Resolved> answer : answers) {
        assertEquals(3, answer.get(60, TimeUnit.SECONDS).starts().size(), "every partition positioned");
      }
      Counter restarts = metrics.registry().find("event_bus_loop_restarts_total").tag("loop", "ws-tail-" + topic)
          .counter();
      assertTrue(restarts == null || restarts.count() == 0, "the tail never had to start again");
    } finally {
      tail.stop();
    }
  }
}
