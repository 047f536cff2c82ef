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

  /**
   * Resolves that need offset look-ups (from offsets, from the beginning) arriving in bursts with {@code latest} ones:
   * a wake-up meant for one of them used to cut a look-up and drop the rest of the batch being answered (those
   * subscriptions never got their {@code subscribed} frame).
   */
  @Test
  void everyResolveOfABurstIsAnsweredWhateverItsStart() throws Exception {
    String topic = TestKafka.createTopic("tail-burst", 3);
    MeshConfig config = TestKafka.config(new JsonObject());
    MeshMetrics metrics = new MeshMetrics();
    Tail tail = new Tail(topic, TestKafka.clients(config), metrics, new ChannelFields(Map.of()),
        new FanoutMeters(metrics.registry()), new MeshConfig.History(100, 1 << 20, 60_000), 60_000, false, feed -> { })
        .start();
    try {
      tail.resolve(PartitionScan.END).get(60, TimeUnit.SECONDS); // positioned
      List<CompletableFuture<Tail.Resolved>> fromOffsets = new java.util.concurrent.CopyOnWriteArrayList<>();
      List<CompletableFuture<Tail.Resolved>> others = new java.util.concurrent.CopyOnWriteArrayList<>();
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        Thread thread = new Thread(() -> {
          for (int i = 0; i < 50; i++) {
            fromOffsets.add(tail.resolve(new PartitionScan.AtOffsets(Map.of(new org.apache.kafka.common.TopicPartition(
                topic, 0), 0L), PartitionScan.BEGINNING)));
            others.add(tail.resolve(i % 2 == 0 ? PartitionScan.BEGINNING : PartitionScan.END));
          }
        });
        threads.add(thread);
        thread.start();
      }
      for (Thread thread : threads) {
        thread.join();
      }
      List<CompletableFuture<Tail.Resolved>> all = new ArrayList<>(fromOffsets);
      all.addAll(others);
      try { // one bound for them all: a resolve dropped is never answered
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        // counted below
      }
      assertEquals(0, all.stream().filter(f -> !f.isDone()).count(), "resolves not answered within 60 s, of "
          + all.size());
      for (CompletableFuture<Tail.Resolved> answer : fromOffsets) {
        assertEquals(3, answer.get().starts().size(), "every partition positioned");
        assertEquals(List.of(), answer.get().gaps());
      }
      for (CompletableFuture<Tail.Resolved> answer : others) {
        assertEquals(3, answer.get().starts().size(), "every partition positioned");
      }
    } finally {
      tail.stop();
    }
  }

  @Test
  void aResolveOfAStoppedTailFailsInsteadOfWaitingForever() throws Exception {
    String topic = TestKafka.createTopic("tail-stopped", 1);
    MeshConfig config = TestKafka.config(new JsonObject());
    MeshMetrics metrics = new MeshMetrics();
    Tail tail = new Tail(topic, TestKafka.clients(config), metrics, new ChannelFields(Map.of()),
        new FanoutMeters(metrics.registry()), new MeshConfig.History(100, 1 << 20, 60_000), 60_000, false, feed -> { })
        .start();
    tail.resolve(PartitionScan.END).get(60, TimeUnit.SECONDS);
    tail.stop();
    CompletableFuture<Tail.Resolved> late = tail.resolve(PartitionScan.BEGINNING);
    java.util.concurrent.ExecutionException failed = org.junit.jupiter.api.Assertions.assertThrows(
        java.util.concurrent.ExecutionException.class, () -> late.get(10, TimeUnit.SECONDS));
    assertTrue(failed.getCause().getMessage().contains("stopped"), failed.getCause().toString());
  }
}
