package com.necpgame.mesh.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.MeshMetrics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The group consumer's policies against Kafka's mock clients: restart, dead letters, commits, outages. */
class GroupConsumerTest {

  private static final String TOPIC = "in";
  private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
  private static final Backoff FAST = new Backoff(Duration.ofMillis(1), Duration.ofMillis(5), 0);

  private final MeshMetrics metrics = new MeshMetrics();
  private final MockProducer<String, byte[]> producer =
      new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
  private final List<MockConsumer<String, byte[]>> lives = new CopyOnWriteArrayList<>();
  private final List<Long> handled = new CopyOnWriteArrayList<>();
  /** The group's commits, kept across lives as the group coordinator keeps them. */
  private final Map<TopicPartition, Long> commits = new java.util.concurrent.ConcurrentHashMap<>();

  /** Whether the cluster the mock consumers list has {@code in.dlq}. */
  private volatile boolean dlqTopic = true;

  /** A mock consumer whose commits go to {@link #commits}. */
  final class Member extends MockConsumer<String, byte[]> {
    Member() {
      super("earliest");
      if (dlqTopic) {
        updatePartitions(TOPIC + ".dlq", List.of(new PartitionInfo(TOPIC + ".dlq", 0, null, null, null)));
      }
    }

    @Override
    public synchronized void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
      super.commitSync(offsets);
      offsets.forEach((tp, o) -> commits.put(tp, o.offset()));
    }
  }

  /** A new mock consumer per life of the loop, given partition 0 holding {@code count} records at its first poll. */
  private MockConsumer<String, byte[]> consumer(int count, long from) {
    MockConsumer<String, byte[]> c = new Member();
    c.schedulePollTask(() -> {
      c.rebalance(List.of(P0));
      c.updateBeginningOffsets(Map.of(P0, from));
      c.seek(P0, from);
      for (long o = from; o < count; o++) {
        c.addRecord(new ConsumerRecord<>(TOPIC, 0, o, "k" + o, ("v" + o).getBytes(StandardCharsets.UTF_8)));
      }
    });
    lives.add(c);
    return c;
  }

  private GroupConsumer loop(boolean batch, GroupConsumer.Probe probe, java.util.function.Supplier<MockConsumer<String,
      byte[]>> consumers, GroupConsumer.Handler handler) {
    return new GroupConsumer("test", FAST, consumers, GroupConsumer.Source.topics(List.of(TOPIC)),
        new GroupConsumer.Policy(batch, 3, FAST, probe, "test-address"), producer, metrics, handler).start();
  }

  @Test
  void anExceptionThatEscapesThePollRestartsTheLoopWhichGoesOnFromTheCommits() throws Exception {
    AtomicInteger life = new AtomicInteger();
    GroupConsumer loop = loop(false, GroupConsumer.Probe.NONE, () -> {
      MockConsumer<String, byte[]> c = consumer(3, 0);
      if (life.incrementAndGet() == 1) {
        c.setPollException(new KafkaException("broker away"));
      }
      return c;
    }, records -> {
      handled.add(records.get(0).offset());
      return CompletableFuture.completedFuture(null);
    });
    await(() -> handled.size() == 3, "the second life handled the records");
    assertEquals(1.0, metrics.registry().get("event_bus_loop_restarts_total").tag("loop", "test").counter().count());
    loop.stop().get(30, TimeUnit.SECONDS);
    assertEquals(List.of(0L, 1L, 2L), handled);
    assertEquals(3L, committed(), "what was done is committed");
  }

  @Test
  void aRecordThatKeepsFailingIsDeadLetteredWithTheReasonAndThePartitionGoesOn() throws Exception {
    AtomicInteger tries = new AtomicInteger();
    GroupConsumer loop = loop(false, GroupConsumer.Probe.NONE, () -> consumer(3, 0), records -> {
      ConsumerRecord<String, byte[]> r = records.get(0);
      if (r.offset() == 1) {
        tries.incrementAndGet();
        return CompletableFuture.failedFuture(new IllegalStateException("handler at a.b failed (500): boom"));
      }
      handled.add(r.offset());
      return CompletableFuture.completedFuture(null);
    });
    await(() -> handled.size() == 2, "the records after the bad one were handled");
    await(() -> committed() == 3L, "everything committed");
    loop.stop().get(30, TimeUnit.SECONDS);
    assertEquals(3, tries.get(), "tried the configured number of times");
    assertEquals(List.of(0L, 2L), handled);
    ProducerRecord<String, byte[]> dead = producer.history().get(0);
    assertEquals(1, producer.history().size());
    assertEquals("in.dlq", dead.topic());
    assertEquals("handler at a.b failed (500): boom", header(dead, DeadLetters.REASON));
    assertEquals("3", header(dead, DeadLetters.ATTEMPTS));
    assertEquals("1", header(dead, DeadLetters.SOURCE_OFFSET));
    assertEquals("test-address", header(dead, DeadLetters.ADDRESS));
  }

  @Test
  void aBadRecordOfATopicWithNoDeadLetterTopicIsSkippedAndNeverBlocksThePartition() throws Exception {
    dlqTopic = false;
    MockProducer<String, byte[]> producer = refusingUnknownTopics();
    GroupConsumer loop = new GroupConsumer("test", FAST, () -> consumer(3, 0),
        GroupConsumer.Source.topics(List.of(TOPIC)),
        new GroupConsumer.Policy(false, 1, FAST, GroupConsumer.Probe.NONE, "a"), producer, metrics, records -> {
          if (records.get(0).offset() == 1) {
            return CompletableFuture.failedFuture(new PoisonRecordException("not a JSON object"));
          }
          handled.add(records.get(0).offset());
          return CompletableFuture.completedFuture(null);
        }).start();
    await(() -> committed() == 3L, "everything committed past the bad record");
    loop.stop().get(30, TimeUnit.SECONDS);
    assertEquals(List.of(0L, 2L), handled);
    assertEquals(0, producer.history().size(), "no write to a dead-letter topic that does not exist");
  }

  /** A producer that refuses a record to a topic the cluster lacks, as Kafka does after {@code max.block.ms}. */
  static MockProducer<String, byte[]> refusingUnknownTopics() {
    return new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer()) {
      @Override
      public synchronized Future<RecordMetadata> send(ProducerRecord<String, byte[]> r, Callback callback) {
        if (r.topic().endsWith(".dlq")) {
          TimeoutException e = new TimeoutException("Topic " + r.topic() + " not present in metadata after 60000 ms.");
          callback.onCompletion(null, e);
          return CompletableFuture.failedFuture(e);
        }
        return super.send(r, callback);
      }
    };
  }

  @Test
  void aBatchThatKeepsFailingIsSplitAndOnlyItsBadRecordIsDeadLettered() throws Exception {
    List<Integer> sizes = new CopyOnWriteArrayList<>();
    GroupConsumer loop = loop(true, GroupConsumer.Probe.NONE, () -> consumer(4, 0), GroupConsumer.Handler.blocking(
        records -> {
          sizes.add(records.size());
          if (records.stream().anyMatch(r -> r.offset() == 2)) {
            throw new IllegalArgumentException("invalid byte sequence for encoding \"UTF8\": 0x00");
          }
          records.forEach(r -> handled.add(r.offset()));
        }));
    await(() -> committed() == 4L, "the batch committed past the bad record");
    loop.stop().get(30, TimeUnit.SECONDS);
    assertEquals(List.of(0L, 1L, 3L), handled);
    assertEquals(List.of(4, 4, 4, 1, 1, 1, 1, 1, 1), sizes, "three tries of the batch, then record by record");
    assertEquals(1, producer.history().size());
    assertEquals("2", header(producer.history().get(0), DeadLetters.SOURCE_OFFSET));
  }

  @Test
  void whileWhatTheHandlerNeedsIsAwayNothingIsDeadLetteredOrCommittedAndItCatchesUpAfter() throws Exception {
    AtomicBoolean away = new AtomicBoolean(true);
    AtomicInteger tries = new AtomicInteger();
    GroupConsumer.Probe database = cause -> away.get()
        ? CompletableFuture.failedFuture(new IllegalStateException("connection refused"))
        : CompletableFuture.completedFuture(null);
    GroupConsumer loop = loop(false, database, () -> consumer(2, 0), records -> {
      if (away.get()) {
        tries.incrementAndGet();
        return CompletableFuture.failedFuture(new IllegalStateException("connection refused"));
      }
      handled.add(records.get(0).offset());
      return CompletableFuture.completedFuture(null);
    });
    await(() -> tries.get() >= 10, "tried well beyond the attempts while away");
    assertEquals(0, producer.history().size(), "an outage is not a bad record");
    assertEquals(-1L, committed(), "nothing committed while away");
    away.set(false);
    await(() -> committed() == 2L, "caught up once back");
    loop.stop().get(30, TimeUnit.SECONDS);
    assertEquals(List.of(0L, 1L), handled);
    assertEquals(0, producer.history().size());
  }

  @Test
  void aBatchIsNotSplitWhileTheDatabaseIsAwayAndIsWrittenWholeWhenItReturns() throws Exception {
    AtomicBoolean away = new AtomicBoolean(true);
    List<Integer> sizes = new CopyOnWriteArrayList<>();
    GroupConsumer.Probe database = cause -> away.get()
        ? CompletableFuture.failedFuture(new IllegalStateException("Connection refused: 127.0.0.1:5432"))
        : CompletableFuture.completedFuture(null);
    GroupConsumer loop = loop(true, database, () -> consumer(3, 0), GroupConsumer.Handler.blocking(records -> {
      sizes.add(records.size());
      if (away.get()) {
        throw new IllegalStateException("Connection refused: 127.0.0.1:5432");
      }
      records.forEach(r -> handled.add(r.offset()));
    }));
    await(() -> sizes.size() >= 8, "tried well beyond the attempts while away");
    away.set(false);
    await(() -> committed() == 3L, "written once back");
    loop.stop().get(30, TimeUnit.SECONDS);
    assertTrue(sizes.stream().allMatch(n -> n == 3), "never split while away: " + sizes);
    assertEquals(List.of(0L, 1L, 2L), handled);
    assertEquals(0, producer.history().size());
  }

  @Test
  void aFailedDeadLetterWriteLeavesTheRecordUncommittedAndItIsReadAgain() throws Exception {
    MockProducer<String, byte[]> refusing = new MockProducer<>(false, null, new StringSerializer(),
        new ByteArraySerializer());
    AtomicInteger tries = new AtomicInteger();
    GroupConsumer loop = new GroupConsumer("test", FAST, () -> consumer(1, 0),
        GroupConsumer.Source.topics(List.of(TOPIC)),
        new GroupConsumer.Policy(false, 1, FAST, GroupConsumer.Probe.NONE, "a"), refusing, metrics, records -> {
          tries.incrementAndGet();
          return CompletableFuture.failedFuture(new PoisonRecordException("not a JSON object"));
        }).start();
    await(() -> refusing.history().size() == 1, "dead-lettered");
    MockConsumer<String, byte[]> c = lives.get(0);
    c.schedulePollTask(() -> c.addRecord(new ConsumerRecord<>(TOPIC, 0, 0, "k0", "v0".getBytes(StandardCharsets.UTF_8))));
    refusing.errorNext(new KafkaException("dlq topic missing"));
    await(() -> refusing.history().size() == 2, "read again and dead-lettered again");
    assertEquals(-1L, committed(), "not committed while its dead letter was refused");
    while (!refusing.completeNext()) {
      Thread.sleep(5);
    }
    await(() -> committed() == 1L, "committed once its dead letter was acknowledged");
    loop.stop().get(30, TimeUnit.SECONDS);
    assertEquals(2, tries.get());
  }

  private long committed() {
    return commits.getOrDefault(P0, -1L);
  }

  static String header(ProducerRecord<String, byte[]> r, String name) {
    return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }

  static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long until = System.currentTimeMillis() + 30_000;
    while (!condition.getAsBoolean()) {
      assertTrue(System.currentTimeMillis() < until, "not within 30 s: " + what);
      Thread.sleep(5);
    }
  }
}
