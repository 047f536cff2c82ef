package com.necpgame.mesh.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.MeshMetrics;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The transactional step engine on Kafka's {@link MockConsumer} and {@link MockProducer}: what is committed is the
 * history of the mock producers, the state topic is read back from it, and the group's assignment changes inside a
 * poll, as a real rebalance does. A test model says which inputs each period of each shard took.
 */
class StepLoopTest {

  private static final Backoff FAST = new Backoff(Duration.ofMillis(1), Duration.ofMillis(5), 0);
  private static final Instant EPOCH = Instant.parse("2077-01-01T00:00:00Z");
  /** Period n's real time (its cut) is this plus n seconds: every cut is in the past, nothing waits. */
  private static final long REAL0 = System.currentTimeMillis() - 86_400_000L;
  private static final String OUT = "out";
  private static final String STATE = "state";
  private static final TopicPartition P0 = new TopicPartition("orders", 0);
  private static final TopicPartition P1 = new TopicPartition("orders", 1);
  private static final TopicPartition TICKS = new TopicPartition("ticks", 0);

  private final MeshMetrics metrics = new MeshMetrics();
  private final Log log = new Log();
  private final Mesh mesh = new Mesh();
  /** How many times each shard's period was stepped (committed or not). */
  private final Map<String, Integer> attempts = new ConcurrentHashMap<>();
  private KafkaWorker worker;

  @AfterEach
  void close() {
    if (worker != null) {
      worker.close(Duration.ofSeconds(10));
    }
  }

  // ---- the market's shape: a shard per input partition the group assigns

  private void startByPartitions(int maxCatchUp) {
    log.topic("orders", 2);
    log.topic("ticks", 1);
    mesh.inputGroup = List.of(P0, P1);
    start(new StepLoop.Settings("market", "g.market", StepLoop.Ownership.INPUT_PARTITIONS, Pattern.compile("orders"),
        ticks(Duration.ofHours(1)), STATE, 0, maxCatchUp));
  }

  /** Waits until the ticks consumer of life {@code n} (from 1) has polled: its position is taken, a new tick is read. */
  private void awaitTicksRead(int life) throws InterruptedException {
    await(() -> mesh.ticks.size() >= life && mesh.ticks.get(life - 1).polls > 0);
  }

  @Test
  void eachShardStepsEachPeriodOnceOnTheInputsBeforeItsCutAndCatchesUpAtMostItsWindow() throws Exception {
    startByPartitions(24);
    awaitTicksRead(1);
    input(P0, 1, 1);
    input(P0, 2, 2);
    input(P0, 5, 3);
    input(P1, 2, 10);
    tick(2);
    await(() -> outputs().size() == 2);
    assertEquals(List.of("orders/0@2:[1, 2]", "orders/1@2:[10]"), outputs(), "a fresh shard starts at the tick");
    tick(5);
    await(() -> outputs().size() == 8);
    assertEquals(List.of("orders/0@3:[]", "orders/1@3:[]", "orders/0@4:[]", "orders/1@4:[]", "orders/0@5:[3]",
        "orders/1@5:[]"), outputs().subList(2, 8));
    assertEquals(Map.of(P0, 3L, P1, 1L), lastOffsets(), "the order offsets go with the step");
    tick(40);
    await(() -> outputs().size() == 8 + 48);
    List<String> caughtUp = outputs().subList(8, 56);
    assertEquals("orders/0@17:[]", caughtUp.get(0), "24 hours caught up, the older ones skipped");
    assertEquals("orders/1@40:[]", caughtUp.get(47));
    assertEquals(0, restarts("market"));
  }

  @Test
  void aShardIsTakenWithTheStateOfItsLastOwnersTransactionThatWasStillOpenWhenThePartitionCameHere() throws Exception {
    // The last owner of orders/0, a process paused in a step, stepped hour 3 in a transaction still open when the
    // group gave the partition here; it commits when the process wakes. Kafka's committed() returns once it is over.
    TestProducer lastOwner = new TestProducer();
    lastOwner.initTransactions();
    mesh.producers.add(lastOwner);
    AtomicBoolean over = new AtomicBoolean();
    mesh.stable = () -> {
      if (over.compareAndSet(false, true)) {
        lastOwner.beginTransaction();
        lastOwner.send(new ProducerRecord<>(STATE, "orders/0", StepLoop.stateRecord(Map.of(P0, 2L),
            new JsonObject().put("last", 3).encode().getBytes(StandardCharsets.UTF_8))));
        lastOwner.sendOffsetsToTransaction(Map.of(P0, new OffsetAndMetadata(2)), new ConsumerGroupMetadata("g.market"));
        lastOwner.commitTransaction();
      }
    };
    startByPartitions(24);
    input(P0, 1, 1);
    input(P0, 2, 2);
    input(P0, 5, 3);
    awaitTicksRead(1);
    tick(5);
    await(() -> outputs().contains("orders/1@5:[]"));
    assertEquals(List.of("orders/0@4:[]", "orders/0@5:[3]", "orders/1@5:[]"), outputs(),
        "orders/0 went on from the hour its last owner committed, with the inputs after it");
  }

  @Test
  void aPartitionRevokedBetweenStepsIsNotSteppedAndWhenItComesBackGoesOnFromItsCommittedState() throws Exception {
    startByPartitions(24);
    awaitTicksRead(1);
    input(P0, 1, 1);
    input(P1, 1, 10);
    tick(1);
    await(() -> outputs().size() == 2);
    input(P1, 2, 11);
    mesh.inputs.get(0).schedulePollTask(() -> mesh.inputs.get(0).rebalance(List.of(P0)));
    await(() -> !mesh.inputs.get(0).assignment().contains(P1));
    tick(2);
    await(() -> outputs().size() == 3);
    assertEquals("orders/0@2:[]", outputs().get(2));
    assertEquals(Map.of(P0, 1L), lastOffsets());
    mesh.inputs.get(0).schedulePollTask(() -> mesh.inputs.get(0).rebalance(List.of(P0, P1)));
    await(() -> mesh.inputs.get(0).assignment().contains(P1));
    tick(3);
    await(() -> outputs().size() == 6);
    assertEquals(List.of("orders/1@2:[11]", "orders/0@3:[]", "orders/1@3:[]"), outputs().subList(3, 6),
        "orders/1 took its state again and caught up from where it was committed");
  }

  @Test
  void aPartitionRevokedDuringCatchUpIsDroppedAndTheRestOfTheCatchUpGoesOn() throws Exception {
    startByPartitions(24);
    awaitTicksRead(1);
    input(P0, 1, 1);
    input(P1, 1, 10);
    tick(1);
    await(() -> outputs().size() == 2);
    AtomicBoolean moved = new AtomicBoolean();
    mesh.afterCommit = records -> {
      if (records.contains("orders/0@3:[]") && moved.compareAndSet(false, true)) {
        input(P1, 4, 12); // orders/1 has more to read for hour 4: the read polls, and the rebalance comes in that poll
        mesh.inputs.get(0).schedulePollTask(() -> mesh.inputs.get(0).rebalance(List.of(P0)));
      }
    };
    tick(5);
    await(() -> outputs().contains("orders/0@5:[]"));
    assertEquals(List.of("orders/0@2:[]", "orders/1@2:[]", "orders/0@3:[]", "orders/1@3:[]", "orders/0@4:[]",
        "orders/0@5:[]"), outputs().subList(2, outputs().size()));
    assertEquals(Map.of(P0, 1L), lastOffsets());
    assertEquals(3L, state("orders/1").getLong("last"), "orders/1's state stays at hour 3 for its new owner");
    assertEquals(0, restarts("market"), "a rebalance is not a failure");
  }

  @Test
  void aFencedProducerEndsTheLifeAndNothingOfItsStepIsVisible() throws Exception {
    startByPartitions(24);
    awaitTicksRead(1);
    input(P0, 1, 1);
    tick(1);
    await(() -> outputs().size() == 2);
    input(P0, 2, 2);
    AtomicBoolean fenced = new AtomicBoolean();
    mesh.fenceAtCommit = records -> records.contains("orders/0@2:[2]") && fenced.compareAndSet(false, true);
    tick(2);
    await(() -> mesh.producers.size() == 2 && mesh.producers.get(1).transactionInitialized());
    assertTrue(mesh.producers.get(0).history().stream().noneMatch(r -> text(r).contains("@2")),
        "the fenced producer's hour 2 was never committed");
    assertEquals(1, restarts("market"));
    awaitTicksRead(2);
    tick(3); // the new life reads ticks from their end
    await(() -> outputs().size() == 6);
    assertEquals(List.of("orders/0@2:[2]", "orders/1@2:[]", "orders/0@3:[]", "orders/1@3:[]"),
        outputs().subList(2, 6), "the new life stepped hour 2 once, from the committed state");
  }

  @Test
  void aFailedCommitIsAbortedTheStateTakenAgainAndTheStepRedoneOnce() throws Exception {
    startByPartitions(24);
    awaitTicksRead(1);
    input(P0, 1, 1);
    tick(1);
    await(() -> outputs().size() == 2);
    input(P0, 2, 2);
    input(P0, 2, 3);
    AtomicBoolean failed = new AtomicBoolean();
    mesh.failCommit = records -> records.contains("orders/0@2:[2, 3]") && failed.compareAndSet(false, true);
    tick(2);
    await(() -> outputs().size() == 4);
    assertTrue(failed.get());
    assertEquals(1, mesh.producers.get(0).aborts);
    assertEquals(List.of("orders/0@2:[2, 3]", "orders/1@2:[]"), outputs().subList(2, 4),
        "the inputs were read again from the committed positions into the committed state: not twice");
    assertEquals(2, attempts.get("orders/0@2"), "stepped once, aborted, stepped again");
    assertEquals(1, mesh.producers.size(), "an abort keeps the producer");
    assertEquals(0, restarts("market"));
  }

  @Test
  void offsetsThatStayUnstableAreWaitedForAndThisLoopsOwnPendingCommitIsEndedByAnAbortedOffsetsOnlyTransaction()
      throws Exception {
    // Issue 16: after a broker outage the group's offsets stayed unstable, and the market waited a minute, silent, in
    // committed(). Here they stay unstable until a producer of this loop aborts a transaction that sent offsets (the
    // abort marker ends its producer id's pending offset commits).
    java.util.concurrent.atomic.AtomicInteger waits = new java.util.concurrent.atomic.AtomicInteger();
    mesh.stable = () -> {
      if (mesh.producers.stream().noneMatch(p -> p.abortedOffsets > 0)) {
        waits.incrementAndGet();
        throw new TimeoutException("Timeout of 5000ms expired before the last committed offset could be determined");
      }
    };
    startByPartitions(24);
    awaitTicksRead(1);
    input(P0, 1, 1);
    tick(1);
    await(() -> outputs().size() == 2);
    assertEquals(StepLoop.CLEAR_AFTER, waits.get(), "the loop waited that many times before it acted");
    assertEquals(1, mesh.producers.get(0).abortedOffsets, "one offsets-only transaction, aborted");
    assertEquals(List.of("orders/0@1:[1]", "orders/1@1:[]"), outputs());
    assertEquals(Map.of(P0, 1L, P1, 0L), lastOffsets(), "the aborted offset (0) changed nothing");
    assertEquals(0, restarts("market"));
  }

  @Test
  void offsetsThatNeverBecomeStableEndTheLifeAfterTheLookUpTimeAndTheNextLifeWaitsAgain() throws Exception {
    java.util.concurrent.atomic.AtomicInteger waits = new java.util.concurrent.atomic.AtomicInteger();
    mesh.stable = () -> {
      waits.incrementAndGet();
      throw new TimeoutException("Timeout of 5000ms expired before the last committed offset could be determined");
    };
    startByPartitions(24);
    await(() -> restarts("market") >= 1);
    assertTrue(waits.get() >= 12, "12 waits of 5 s (the look-up's minute) before the life ended: " + waits.get());
    assertEquals(1, mesh.producers.get(0).abortedOffsets, "the first life cleared its own pending offsets once");
    assertTrue(outputs().isEmpty());
  }

  // ---- the daily shape: the member given the ticks owns one shard over every input partition

  @Test
  void theTicksOwnerStepsDailyDeadLettersBadInputsAndCommitsTheTickOffsets() throws Exception {
    TopicPartition a = new TopicPartition("in.a", 0);
    TopicPartition b = new TopicPartition("in.b", 0);
    log.topic("in.a", 1);
    log.topic("in.a.dlq", 1);
    log.topic("in.b", 1);
    log.topic("ticks", 1);
    mesh.tickGroup = List.of(TICKS);
    start(new StepLoop.Settings("daily", "g.daily", StepLoop.Ownership.TICKS, Pattern.compile("in\\.[ab]"),
        ticks(Duration.ofDays(1)), STATE, 0, 3));
    awaitTicksRead(1);
    input(a, 1, 1);
    log.append(a, cut(1) - 400, "{not json");
    log.append(b, cut(1) - 300, "garbage");
    input(a, 2, "boom");
    log.append(a, cut(2) - 500, "{not json, but of a type the model does not read", "unread");
    input(a, 2, 3);
    input(b, 2, 20);
    tick(2);
    await(() -> outputs().size() == 1);
    assertEquals(List.of("daily@2:[1, 3, 20]"), outputs(), "a fresh step starts at the tick, on every input before it");
    List<ProducerRecord<String, byte[]>> dead = committed("in.a.dlq");
    assertEquals(2, dead.size(), "both bad records of in.a, in the step's transaction; in.b has no dead-letter topic; "
        + "the one of a type the model does not read is passed over undecoded");
    assertEquals("{not json", text(dead.get(0)));
    assertTrue(header(dead.get(0), DeadLetters.REASON).startsWith("not an envelope"), header(dead.get(0),
        DeadLetters.REASON));
    assertTrue(header(dead.get(1), DeadLetters.REASON).startsWith("not understood by daily"));
    assertEquals("2", header(dead.get(1), DeadLetters.SOURCE_OFFSET));
    assertEquals(Map.of(TICKS, 1L), lastOffsets(), "the tick is consumed in the step's transaction");

    Consumer<String, byte[]> ticks = mesh.ticks.get(0);
    ((MockConsumer<String, byte[]>) ticks).schedulePollTask(() -> ((MockConsumer<String, byte[]>) ticks)
        .rebalance(List.of()));
    ((MockConsumer<String, byte[]>) ticks).schedulePollTask(() -> ((MockConsumer<String, byte[]>) ticks)
        .rebalance(List.of(TICKS)));
    input(a, 5, 5);
    tick(10);
    await(() -> outputs().size() == 4);
    assertEquals(List.of("daily@8:[5]", "daily@9:[]", "daily@10:[]"), outputs().subList(1, 4),
        "taken again from its state (inputs after their committed positions) and 3 days caught up, not 8");
    assertEquals(Map.of(TICKS, 2L), lastOffsets());
    assertEquals(0, restarts("daily"));
  }

  @Test
  void aFreshTicksOwnerStepsTheLatestTickEmittedBeforeItJoinedAndACommittedOneGoesOnFromItsOffset() throws Exception {
    TopicPartition a = new TopicPartition("in.a", 0);
    log.topic("in.a", 1);
    log.topic("ticks", 1);
    for (long period = 1; period <= 12; period++) { // a world's ticks before this group's first member joined
      tick(period);
    }
    log.append(TICKS, System.currentTimeMillis(), new JsonObject().put("event_type", "catchup").encode());
    input(a, 12, 7);
    mesh.tickGroup = List.of(TICKS);
    start(new StepLoop.Settings("hourly", "g.hourly", StepLoop.Ownership.TICKS, Pattern.compile("in\\.a"),
        ticks(Duration.ofHours(1)), STATE, 0, 3));
    await(() -> outputs().size() == 1);
    assertEquals(List.of("hourly@12:[7]"), outputs(), "the latest tick at once, not the next one a period later");
    assertEquals(Map.of(TICKS, 12L), lastOffsets(), "the offset after the tick stepped");

    Consumer<String, byte[]> ticks = mesh.ticks.get(0);
    ((MockConsumer<String, byte[]>) ticks).schedulePollTask(() -> ((MockConsumer<String, byte[]>) ticks)
        .rebalance(List.of()));
    ((MockConsumer<String, byte[]>) ticks).schedulePollTask(() -> ((MockConsumer<String, byte[]>) ticks)
        .rebalance(List.of(TICKS)));
    await(() -> ((LogConsumer) ticks).polls > 20);
    tick(13);
    await(() -> outputs().size() == 2);
    assertEquals("hourly@13:[]", outputs().get(1), "a committed group resumes after its offset: nothing stepped twice");
    assertEquals(1, attempts.get("hourly@12"));
    assertEquals(0, restarts("hourly"));
  }

  // ---- the state record and the catch ladder

  @Test
  void aStateRecordKeepsPositionsAndSnapshotAndAnOldRecordIsASnapshotAlone() {
    byte[] record = StepLoop.stateRecord(Map.of(P1, 7L, P0, 3L), "{\"x\":1}".getBytes(StandardCharsets.UTF_8));
    assertArrayEquals("{\"x\":1}".getBytes(StandardCharsets.UTF_8), StepLoop.snapshotOf(record));
    assertEquals(Map.of(P0, 3L, P1, 7L), StepLoop.positionsOf(record));
    byte[] old = "{\"shard\":\"orders/0\"}".getBytes(StandardCharsets.UTF_8);
    assertArrayEquals(old, StepLoop.snapshotOf(old));
    assertEquals(Map.of(), StepLoop.positionsOf(old));
  }

  @Test
  void fencingAuthorisationAndSequenceErrorsNeedANewProducerOtherKafkaErrorsAnAbort() {
    assertTrue(StepLoop.fatal(new ProducerFencedException("fenced")));
    assertTrue(StepLoop.fatal(new KafkaException("send failed", new ProducerFencedException("fenced"))));
    assertTrue(StepLoop.fatal(new TopicAuthorizationException(Set.of("out"))));
    assertTrue(StepLoop.fatal(new org.apache.kafka.common.errors.OutOfOrderSequenceException("gap")));
    assertFalse(StepLoop.fatal(new TimeoutException("coordinator away")));
    assertFalse(StepLoop.fatal(new org.apache.kafka.clients.consumer.CommitFailedException("old generation")));
  }

  // ---- the harness

  private void start(StepLoop.Settings settings) {
    worker = new KafkaWorker(settings.name(), FAST, metrics, new StepLoop(settings, mesh, (key, saved) -> {
      long last = saved == null ? Long.MIN_VALUE
          : new JsonObject(new String(saved, StandardCharsets.UTF_8)).getLong("last");
      return new Tally(key, last);
    }, nanos -> { }, FAST)).start();
  }

  private static StepLoop.Ticks ticks(Duration period) {
    return new StepLoop.Ticks("ticks", "tick", "n", EPOCH, period,
        game -> Instant.ofEpochMilli(cut(Duration.between(EPOCH, game).dividedBy(period))));
  }

  private static long cut(long period) {
    return REAL0 + period * 1000;
  }

  private void tick(long period) {
    log.append(TICKS, System.currentTimeMillis(), new JsonObject().put("event_type", "tick")
        .put("data", new JsonObject().put("n", period)).encode());
  }

  /** An input envelope just before period's cut. */
  private void input(TopicPartition p, long period, Object n) {
    log.append(p, cut(period) - 500, new JsonObject().put("event_type", "e").put("data", new JsonObject().put("n", n))
        .encode());
  }

  private List<String> outputs() {
    return committed(OUT).stream().map(StepLoopTest::text).toList();
  }

  private List<ProducerRecord<String, byte[]>> committed(String topic) {
    List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
    for (TestProducer p : mesh.producers) {
      p.history().stream().filter(r -> r.topic().equals(topic)).forEach(out::add);
    }
    return out;
  }

  private JsonObject state(String key) {
    return new JsonObject(new String(StepLoop.snapshotOf(mesh.load(Set.of(key)).get(key)), StandardCharsets.UTF_8));
  }

  /** The offsets of the last committed transaction, as plain numbers. */
  private Map<TopicPartition, Long> lastOffsets() {
    List<Map<String, Map<TopicPartition, OffsetAndMetadata>>> all = new ArrayList<>();
    mesh.producers.forEach(p -> all.addAll(p.consumerGroupOffsetsHistory()));
    Map<TopicPartition, Long> out = new HashMap<>();
    all.get(all.size() - 1).values().forEach(m -> m.forEach((p, o) -> out.put(p, o.offset())));
    return out;
  }

  private double restarts(String loop) {
    var counter = metrics.registry().find("event_bus_loop_restarts_total").tag("loop", loop).counter();
    return counter == null ? 0 : counter.count();
  }

  private static String text(ProducerRecord<String, byte[]> r) {
    return new String(r.value(), StandardCharsets.UTF_8);
  }

  private static String header(ProducerRecord<String, byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    for (long end = System.nanoTime() + 20_000_000_000L; !condition.getAsBoolean(); Thread.sleep(5)) {
      assertTrue(System.nanoTime() < end, "timed out");
    }
  }

  /** A model that says which inputs each period took: {@code key@period:[n, …]} on {@link #OUT}. */
  private final class Tally implements StepLoop.Model {
    private final String key;
    private final List<Object> taken = new ArrayList<>();
    private long last;

    Tally(String key, long last) {
      this.key = key;
      this.last = last;
    }

    @Override
    public long last() {
      return last;
    }

    @Override
    public boolean reads(String topic, String eventType) {
      return !"unread".equals(eventType);
    }

    @Override
    public void input(JsonObject envelope) {
      Object n = envelope.getJsonObject("data").getValue("n");
      if ("boom".equals(n)) {
        throw new IllegalArgumentException("boom is not a number");
      }
      taken.add(n);
    }

    @Override
    public List<ProducerRecord<String, byte[]>> step(long period, Instant gameTime, Instant cut) {
      attempts.merge(key + "@" + period, 1, Integer::sum);
      last = period;
      String said = key + "@" + period + ":" + taken;
      taken.clear();
      return List.of(new ProducerRecord<>(OUT, key, said.getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public byte[] snapshot() {
      return new JsonObject().put("last", last).encode().getBytes(StandardCharsets.UTF_8);
    }
  }

  /** The topics: records per partition, shared by every consumer of every life. */
  private static final class Log {
    private final Map<String, Integer> topics = new LinkedHashMap<>();
    private final Map<TopicPartition, List<ConsumerRecord<String, byte[]>>> records = new HashMap<>();

    synchronized void topic(String name, int partitions) {
      topics.put(name, partitions);
      for (int i = 0; i < partitions; i++) {
        records.put(new TopicPartition(name, i), new ArrayList<>());
      }
    }

    synchronized void append(TopicPartition p, long timestamp, String value) {
      append(p, timestamp, value, null);
    }

    /** A record with an {@code event_type} header when {@code eventType} is not null. */
    synchronized void append(TopicPartition p, long timestamp, String value, String eventType) {
      List<ConsumerRecord<String, byte[]>> in = records.get(p);
      var headers = new org.apache.kafka.common.header.internals.RecordHeaders();
      if (eventType != null) {
        headers.add(EnvelopeRecords.HEADER_EVENT_TYPE, eventType.getBytes(StandardCharsets.UTF_8));
      }
      in.add(new ConsumerRecord<>(p.topic(), p.partition(), in.size(), timestamp, TimestampType.LOG_APPEND_TIME, -1,
          -1, null, value.getBytes(StandardCharsets.UTF_8), headers, java.util.Optional.empty()));
    }

    synchronized List<ConsumerRecord<String, byte[]>> from(TopicPartition p, long offset) {
      List<ConsumerRecord<String, byte[]>> in = records.getOrDefault(p, List.of());
      return List.copyOf(in.subList((int) Math.min(offset, in.size()), in.size()));
    }

    synchronized Map<TopicPartition, Long> ends() {
      Map<TopicPartition, Long> out = new HashMap<>();
      records.forEach((p, in) -> out.put(p, (long) in.size()));
      return out;
    }
  }

  /** A mock consumer over the {@link Log}: it is handed what the log holds from its position, again after a seek. */
  private static final class LogConsumer extends MockConsumer<String, byte[]> {
    private final Log log;
    private final Map<TopicPartition, Long> fed = new HashMap<>();
    volatile int polls;

    LogConsumer(Log log, String reset) {
      super(reset);
      this.log = log;
      Map<TopicPartition, Long> beginnings = new HashMap<>();
      synchronized (log) {
        log.topics.forEach((topic, n) -> {
          List<PartitionInfo> infos = new ArrayList<>();
          for (int i = 0; i < n; i++) {
            infos.add(new PartitionInfo(topic, i, null, null, null));
            beginnings.put(new TopicPartition(topic, i), 0L);
          }
          updatePartitions(topic, infos);
        });
      }
      updateBeginningOffsets(beginnings);
      updateEndOffsets(log.ends());
    }

    @Override
    public synchronized ConsumerRecords<String, byte[]> poll(Duration timeout) {
      updateEndOffsets(log.ends());
      for (TopicPartition p : assignment()) {
        if (!paused().contains(p)) {
          for (ConsumerRecord<String, byte[]> r : log.from(p, Math.max(position(p), fed.getOrDefault(p, 0L)))) {
            addRecord(r);
            fed.put(p, r.offset() + 1);
          }
        }
      }
      ConsumerRecords<String, byte[]> records = super.poll(timeout);
      polls++;
      if (records.isEmpty()) {
        try {
          Thread.sleep(1); // a real poll waits; this one keeps the loop from spinning
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return records;
    }

    @Override
    public synchronized Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions) {
      updateEndOffsets(log.ends());
      return super.endOffsets(partitions);
    }

    @Override
    public synchronized void seek(TopicPartition p, long offset) {
      super.seek(p, offset);
      fed.put(p, Math.min(fed.getOrDefault(p, 0L), offset));
    }

    @Override
    public synchronized void seekToBeginning(Collection<TopicPartition> partitions) {
      super.seekToBeginning(partitions);
      partitions.forEach(fed::remove);
    }

    /** Run when the group's committed offsets are asked for, as Kafka lets that call return: {@link Mesh#stable}. */
    volatile Runnable beforeCommitted = () -> { };

    @Override
    public synchronized Map<TopicPartition, OffsetAndMetadata> committed(Set<TopicPartition> partitions,
        Duration timeout) {
      beforeCommitted.run();
      return super.committed(partitions, timeout);
    }

    @Override
    public synchronized Map<TopicPartition, OffsetAndMetadata> committed(Set<TopicPartition> partitions) {
      beforeCommitted.run();
      return super.committed(partitions);
    }

    @Override
    public synchronized void rebalance(Collection<TopicPartition> assignment) {
      super.rebalance(assignment);
      fed.clear();
    }
  }

  private static final class FirstPartition implements Partitioner {
    @Override
    public int partition(String topic, Object key, byte[] keyBytes, Object value, byte[] valueBytes, Cluster cluster) {
      return 0;
    }

    @Override
    public void close() {}

    @Override
    public void configure(Map<String, ?> configs) {}
  }

  /** The clients of every life, kept so the test sees what each did; the state topic is their committed history. */
  private final class Mesh implements StepLoop.Clients {
    final List<TestProducer> producers = new CopyOnWriteArrayList<>();
    final List<LogConsumer> inputs = new CopyOnWriteArrayList<>();
    final List<LogConsumer> ticks = new CopyOnWriteArrayList<>();
    volatile List<TopicPartition> inputGroup = List.of();
    volatile List<TopicPartition> tickGroup = List.of();
    volatile Predicate<List<String>> failCommit = records -> false;
    volatile Predicate<List<String>> fenceAtCommit = records -> false;
    volatile java.util.function.Consumer<List<String>> afterCommit = records -> { };
    /**
     * What ends before a consumer's committed offsets can be read: a read_committed consumer's {@code committed()}
     * waits while a transaction holding offsets of the group is open (the last owner's, paused or killed).
     */
    volatile Runnable stable = () -> { };

    @Override
    public Producer<String, byte[]> producer(String role, String transactionalId) {
      TestProducer p = new TestProducer();
      producers.add(p);
      return p;
    }

    @Override
    public Consumer<String, byte[]> consumer(String role, String group, String autoOffsetReset) {
      LogConsumer c = new LogConsumer(log, autoOffsetReset);
      c.beforeCommitted = () -> stable.run();
      boolean isInputs = role.endsWith("-inputs");
      (isInputs ? inputs : ticks).add(c);
      if (group != null) {
        List<TopicPartition> given = isInputs ? inputGroup : tickGroup;
        c.schedulePollTask(() -> { // the group's first assignment, in the first poll
          c.rebalance(List.of()); // (MockConsumer assigns a pattern's partitions on subscribing, without callbacks)
          c.rebalance(given);
        });
      }
      return c;
    }

    @Override
    public Map<String, byte[]> load(Set<String> keys) {
      Map<String, byte[]> latest = new HashMap<>();
      committed(STATE).stream().filter(r -> keys.contains(r.key())).forEach(r -> latest.put(r.key(), r.value()));
      return latest;
    }
  }

  /** A mock producer whose commits can fail or be fenced, and whose committed offsets reach the group's consumer. */
  private final class TestProducer extends MockProducer<String, byte[]> {
    private Map<TopicPartition, OffsetAndMetadata> offsets = Map.of();
    volatile int aborts;
    /** Aborted transactions that had sent offsets. */
    volatile int abortedOffsets;

    TestProducer() {
      super(true, new FirstPartition(), new StringSerializer(), new ByteArraySerializer());
    }

    @Override
    public void sendOffsetsToTransaction(Map<TopicPartition, OffsetAndMetadata> offsets, ConsumerGroupMetadata group) {
      super.sendOffsetsToTransaction(offsets, group);
      this.offsets = Map.copyOf(offsets);
    }

    @Override
    public void abortTransaction() {
      super.abortTransaction();
      if (!offsets.isEmpty()) {
        abortedOffsets++;
      }
      offsets = Map.of();
      aborts++;
    }

    @Override
    public void commitTransaction() {
      List<String> records = uncommittedRecords().stream().map(StepLoopTest::text).toList();
      if (mesh.failCommit.test(records)) {
        throw new KafkaException("the transaction coordinator went away");
      }
      if (mesh.fenceAtCommit.test(records)) {
        fenceProducer();
      }
      super.commitTransaction();
      if (!offsets.isEmpty()) { // as the group coordinator would: a consumer given these partitions starts there
        List<LogConsumer> group = offsets.containsKey(TICKS) ? mesh.ticks : mesh.inputs;
        group.get(group.size() - 1).commitSync(offsets);
        offsets = Map.of();
      }
      mesh.afterCommit.accept(records);
    }
  }
}
