package com.necpgame.mesh.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.testsupport.TestKafka;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The loop against the real broker: outputs, commits, wake-ups and partitions handed over between members. */
class GroupLoopIT {

  private static final KafkaClients KAFKA = TestKafka.clients(TestKafka.config(new JsonObject()));
  private static final com.necpgame.mesh.MeshMetrics METRICS = new com.necpgame.mesh.MeshMetrics();

  /** Copies every input to {@code out} (as {@code echo:<value>}) and records which partitions it holds. */
  private static final class Echo implements GroupLoop.Handler {
    final String outTopic;
    final Set<String> seen = ConcurrentHashMap.newKeySet();
    final List<String> events = new CopyOnWriteArrayList<>();

    Echo(String outTopic) {
      this.outTopic = outTopic;
    }

    @Override
    public CompletionStage<List<ProducerRecord<String, byte[]>>> outputs(ConsumerRecord<String, byte[]> r) {
      String value = new String(r.value(), StandardCharsets.UTF_8);
      seen.add(value);
      return CompletableFuture.completedFuture(List.of(new ProducerRecord<>(outTopic, r.key(),
          ("echo:" + value).getBytes(StandardCharsets.UTF_8))));
    }

    @Override
    public void step(List<ProducerRecord<String, byte[]>> out) {}

    @Override
    public void assigned(Collection<TopicPartition> partitions) {
      events.add("assigned " + partitions.size());
    }

    @Override
    public void revoked(Collection<TopicPartition> partitions) {
      events.add("revoked " + partitions.size());
    }
  }

  @Test
  void aTaskIsRunAtOnceAndCloseDoesNotWaitForTheNextStep() throws Exception {
    String in = TestKafka.createTopic("loop-in", 1);
    try (KafkaProducer<String, byte[]> producer = KAFKA.producer("loop-it")) {
      GroupLoop loop = new GroupLoop(KAFKA, producer, List.of(in), TestKafka.unique("wake"), 600_000, METRICS,
          new Echo(in), Map.of())
          .start();
      Thread.sleep(2000); // the loop is in its long poll
      CountDownLatch ran = new CountDownLatch(1);
      long at = System.nanoTime();
      loop.submit(out -> ran.countDown());
      assertTrue(ran.await(60, TimeUnit.SECONDS), "the task ran while the loop's step is ten minutes away");
      System.out.printf("task ran %d ms after submit%n", (System.nanoTime() - at) / 1_000_000);
      Thread.sleep(500); // back in its long poll
      CountDownLatch last = new CountDownLatch(1);
      loop.submit(out -> last.countDown());
      at = System.nanoTime();
      loop.close();
      long closeMs = (System.nanoTime() - at) / 1_000_000;
      assertTrue(closeMs < 120_000, "close took " + closeMs + " ms: it waited for the ten-minute poll");
      assertEquals(0, last.getCount(), "a task submitted just before close ran");
    }
  }

  @Test
  void everyInputIsAnsweredAndCommittedAndTheNextMemberGoesOnFromTheCommits() throws Exception {
    String in = TestKafka.createTopic("loop-in", 4);
    String out = TestKafka.createTopic("loop-out", 4);
    String group = TestKafka.unique("echo");
    try (KafkaProducer<String, byte[]> producer = KAFKA.producer("loop-it")) {
      Echo first = new Echo(out);
      Echo second = new Echo(out);
      GroupLoop a = new GroupLoop(KAFKA, producer, List.of(in), group, 50, METRICS, first, Map.of()).start();
      send(producer, in, 0, 200);
      await(() -> first.seen.size() == 200, "the first member saw the first 200");
      try (GroupLoop b = new GroupLoop(KAFKA, producer, List.of(in), group, 50, METRICS, second, Map.of()).start()) {
        await(() -> second.events.stream().anyMatch(e -> e.startsWith("assigned") && !e.equals("assigned 0")),
            "the second member was given partitions");
        send(producer, in, 200, 400);
        await(() -> first.seen.size() + second.seen.size() >= 400, "both saw the next 200");
        a.close();
        send(producer, in, 400, 600);
        await(() -> second.seen.containsAll(range(400, 600)), "the survivor took every partition over");
        assertTrue(first.events.stream().anyMatch(e -> e.startsWith("revoked")), "the first heard of its loss");
      }
      Set<String> all = new HashSet<>(first.seen);
      all.addAll(second.seen);
      assertEquals(range(0, 600), all);
      Set<String> second200 = new HashSet<>(range(0, 200));
      second200.retainAll(second.seen);
      assertEquals(Set.of(), second200, "what the first member committed was not handed to the second again");
    }
    List<String> echoes = TestKafka.records(out).stream().map(r -> new String(r.value(), StandardCharsets.UTF_8))
        .toList();
    assertEquals(range(0, 600).stream().map(v -> "echo:" + v).collect(java.util.stream.Collectors.toSet()),
        new HashSet<>(echoes), "every input answered");
  }

  private static void send(KafkaProducer<String, byte[]> producer, String topic, int from, int to)
      throws Exception {
    for (int i = from; i < to; i++) {
      producer.send(new ProducerRecord<>(topic, "k" + i, ("v" + i).getBytes(StandardCharsets.UTF_8)));
    }
    producer.flush();
  }

  private static Set<String> range(int from, int to) {
    Set<String> out = new HashSet<>();
    for (int i = from; i < to; i++) {
      out.add("v" + i);
    }
    return out;
  }

  private static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
    long until = System.currentTimeMillis() + 60_000;
    while (!condition.getAsBoolean()) {
      assertTrue(System.currentTimeMillis() < until, "not within 60 s: " + what);
      Thread.sleep(50);
    }
  }
}
