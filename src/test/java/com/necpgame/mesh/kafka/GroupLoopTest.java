package com.necpgame.mesh.kafka;

import static com.necpgame.mesh.kafka.GroupConsumerTest.await;
import static com.necpgame.mesh.kafka.GroupConsumerTest.header;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.MeshMetrics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The group loop's promises against Kafka's mock clients: outputs before commits, rebalance, stop, bad records. */
class GroupLoopTest {

  private static final String IN = "in";
  private static final TopicPartition P0 = new TopicPartition(IN, 0);
  private static final Backoff FAST = new Backoff(Duration.ofMillis(1), Duration.ofMillis(5), 0);

  private final MeshMetrics metrics = new MeshMetrics();
  /** The group's commits, kept across lives as the group coordinator keeps them. */
  private final Map<TopicPartition, Long> commits = new ConcurrentHashMap<>();
  private final List<Member> lives = new CopyOnWriteArrayList<>();
  private final List<String> seen = new CopyOnWriteArrayList<>();
  private final List<String> events = new CopyOnWriteArrayList<>();
  /** Whether the cluster the mock members list has {@code in.dlq}. */
  private volatile boolean dlqTopic = true;

  /** A mock member whose commits go to {@link #commits}; given partition 0 from the last commit at its first poll. */
  class Member extends MockConsumer<String, byte[]> {
    Member(int records) {
      super("earliest");
      if (dlqTopic) {
        updatePartitions(IN + ".dlq", List.of(new PartitionInfo(IN + ".dlq", 0, null, null, null)));
      }
      schedulePollTask(() -> {
        rebalance(List.of(P0));
        long from = commits.getOrDefault(P0, 0L);
        updateBeginningOffsets(Map.of(P0, 0L));
        seek(P0, from);
        for (long o = from; o < records; o++) {
          addRecord(new ConsumerRecord<>(IN, 0, o, "k" + o, ("v" + o).getBytes(StandardCharsets.UTF_8)));
        }
      });
      lives.add(this);
    }

    @Override
    public synchronized void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
      super.commitSync(offsets);
      offsets.forEach((tp, o) -> commits.put(tp, o.offset()));
    }

    @Override
    public synchronized void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets,
        OffsetCommitCallback callback) {
      super.commitAsync(offsets, callback);
      offsets.forEach((tp, o) -> commits.put(tp, o.offset()));
    }
  }

  /** Echoes every input to "out" and notes what it saw and which partitions came and went. */
  private final class Echo implements GroupLoop.Handler {
    @Override
    public CompletionStage<List<ProducerRecord<String, byte[]>>> outputs(ConsumerRecord<String, byte[]> r) {
      String value = new String(r.value(), StandardCharsets.UTF_8);
      seen.add(value);
      return CompletableFuture.completedFuture(List.of(new ProducerRecord<>("out", r.key(),
          ("echo:" + value).getBytes(StandardCharsets.UTF_8))));
    }

    @Override
    public void step(List<ProducerRecord<String, byte[]>> out) {}

    @Override
    public void assigned(Collection<TopicPartition> partitions) {
      events.add("assigned " + partitions + " at commit " + commits.get(P0));
    }

    @Override
    public void revoked(Collection<TopicPartition> partitions) {
      events.add("revoked " + partitions + " at commit " + commits.get(P0));
    }
  }

  private GroupLoop loop(MockProducer<String, byte[]> producer, java.util.function.Supplier<Member> members,
      GroupLoop.Handler handler) {
    return new GroupLoop("g", members, producer, List.of(IN), 20, Duration.ofSeconds(20), FAST, FAST, metrics,
        handler).start();
  }

  private static MockProducer<String, byte[]> producer(boolean autoComplete) {
    return new MockProducer<>(autoComplete, null, new StringSerializer(), new ByteArraySerializer());
  }

  @Test
  void aFailedOutputLeavesItsInputUncommittedAndTheNextLifeHandlesItAgain() throws Exception {
    MockProducer<String, byte[]> producer = producer(false);
    GroupLoop loop = loop(producer, () -> new Member(1), new Echo());
    await(() -> producer.history().size() == 1, "the input was answered");
    producer.errorNext(new KafkaException("NOT_ENOUGH_REPLICAS"));
    await(() -> lives.size() == 2 && producer.history().size() == 2, "the input was read again and answered again");
    assertEquals(-1L, commits.getOrDefault(P0, -1L), "the input of a failed output was not committed");
    assertEquals(List.of("v0", "v0"), seen);
    while (!producer.completeNext()) {
      Thread.sleep(5);
    }
    await(() -> commits.getOrDefault(P0, -1L) == 1L, "committed once its output was acknowledged");
    assertEquals(1.0, metrics.registry().get("event_bus_loop_restarts_total").tag("loop", "g").counter().count());
    loop.close();
  }

  @Test
  void aRevokeWaitsForTheOutputsAndCommitsBeforeThePartitionMoves() throws Exception {
    MockProducer<String, byte[]> producer = producer(false);
    GroupLoop loop = loop(producer, () -> {
      Member m = new Member(2);
      m.schedulePollTask(() -> { });
      m.schedulePollTask(() -> m.rebalance(List.of())); // the partition moves to another member
      return m;
    }, new Echo());
    await(() -> producer.history().size() == 2, "both inputs answered");
    Thread.sleep(200); // the loop is in the revocation, waiting for the acknowledgements
    assertEquals(-1L, commits.getOrDefault(P0, -1L), "nothing committed before the outputs were acknowledged");
    assertTrue(events.stream().noneMatch(e -> e.startsWith("revoked")), "the handler not told before: " + events);
    while (producer.completeNext()) {
      // acknowledge every output
    }
    producer.completeNext();
    await(() -> events.stream().anyMatch(e -> e.startsWith("revoked")), "the revocation finished");
    assertTrue(events.contains("revoked [in-0] at commit 2"), "committed before the handler let go: " + events);
    loop.close();
  }

  @Test
  void stoppingCommitsWhatWasDone() throws Exception {
    MockProducer<String, byte[]> producer = producer(true);
    GroupLoop loop = loop(producer, () -> new Member(3), new Echo());
    await(() -> seen.size() == 3, "every input handled");
    loop.close();
    assertEquals(3L, commits.get(P0));
    assertEquals(3, producer.history().size());
    assertTrue(loop.stopped().isDone());
  }

  @Test
  void aRecordWhoseHandlerKeepsThrowingIsDeadLetteredAndTheLoopGoesOn() throws Exception {
    MockProducer<String, byte[]> producer = producer(true);
    List<Long> tries = new CopyOnWriteArrayList<>();
    GroupLoop loop = loop(producer, () -> new Member(3), GroupLoop.Handler.of((r, out) -> {
      out.add(new ProducerRecord<>("out", r.key(), r.value())); // dropped when the try fails
      if (r.offset() == 1) {
        tries.add(r.offset());
        throw new IllegalArgumentException("no match m-1 in this state");
      }
      seen.add(r.key());
    }, out -> { }));
    await(() -> commits.getOrDefault(P0, -1L) == 3L, "everything committed");
    loop.close();
    assertEquals(List.of("k0", "k2"), seen);
    assertEquals(GroupConsumer.Policy.ATTEMPTS, tries.size());
    List<ProducerRecord<String, byte[]>> sent = producer.history();
    assertEquals(List.of("out", "in.dlq", "out"), sent.stream().map(ProducerRecord::topic).toList());
    assertEquals("no match m-1 in this state", header(sent.get(1), DeadLetters.REASON));
    assertEquals("loop:g", header(sent.get(1), DeadLetters.ADDRESS));
  }

  @Test
  void aBadRecordOfATopicWithNoDeadLetterTopicIsSkippedAndNeverBlocksThePartition() throws Exception {
    dlqTopic = false;
    MockProducer<String, byte[]> producer = GroupConsumerTest.refusingUnknownTopics();
    GroupLoop loop = loop(producer, () -> new Member(3), GroupLoop.Handler.of((r, out) -> {
      if (r.offset() == 1) {
        throw new PoisonRecordException("not a tick");
      }
      seen.add(r.key());
      out.add(new ProducerRecord<>("out", r.key(), r.value()));
    }, out -> { }));
    await(() -> commits.getOrDefault(P0, -1L) == 3L, "everything committed past the bad record");
    loop.close();
    assertEquals(List.of("k0", "k2"), seen);
    assertEquals(List.of("out", "out"), producer.history().stream().map(ProducerRecord::topic).toList());
    assertEquals(1, lives.size(), "the loop never had to start again");
  }

  @Test
  void wakeUpsMeantForAPollNeverEndALifeWhileItListsTopics() throws Exception {
    AtomicInteger wakeUps = new AtomicInteger(3); // tasks handed over while the loop asks for the topics
    MockProducer<String, byte[]> producer = producer(true);
    GroupLoop loop = loop(producer, () -> new Member(2) {
      @Override
      public synchronized Map<String, List<PartitionInfo>> listTopics() {
        if (wakeUps.getAndDecrement() > 0) {
          throw new WakeupException();
        }
        return super.listTopics();
      }
    }, new Echo());
    await(() -> commits.getOrDefault(P0, -1L) == 2L, "both inputs answered and committed");
    loop.close();
    assertEquals(List.of("v0", "v1"), seen);
    assertEquals(1, lives.size(), "the wake-ups did not end the life (a new member would move the partitions)");
  }

  @Test
  void outputsThatComeLaterAreAcknowledgedBeforeTheirInputIsCommitted() throws Exception {
    MockProducer<String, byte[]> producer = producer(true);
    CompletableFuture<List<ProducerRecord<String, byte[]>>> answer = new CompletableFuture<>();
    GroupLoop loop = loop(producer, () -> new Member(1), new GroupLoop.Handler() {
      @Override
      public CompletionStage<List<ProducerRecord<String, byte[]>>> outputs(ConsumerRecord<String, byte[]> r) {
        seen.add(r.key());
        return answer;
      }

      @Override
      public void step(List<ProducerRecord<String, byte[]>> out) {}
    });
    await(() -> seen.size() == 1, "the command was handed over");
    Thread.sleep(200); // ten turns of the loop
    assertEquals(-1L, commits.getOrDefault(P0, -1L), "not committed before it was answered");
    answer.complete(List.of(new ProducerRecord<>("responses", "m-1", new byte[] {1})));
    await(() -> commits.getOrDefault(P0, -1L) == 1L, "committed once the answer was acknowledged");
    assertEquals("responses", producer.history().get(0).topic());
    loop.stop().get(30, TimeUnit.SECONDS);
  }
}
