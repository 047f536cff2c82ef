package com.necpgame.mesh.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.necpgame.mesh.MeshMetrics;
import com.necpgame.mesh.config.ConfigLoader;
import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.testsupport.OwnBroker;
import com.necpgame.mesh.testsupport.TestKafka;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The market's step loop alone (a {@link StepLoop} whose shards are the partitions of a 12-partition input topic,
 * transactional, read_committed, its group subscribed by pattern) on a broker of its own that is stopped for 15 s and
 * started again several times while inputs are published and ticks come every 200 ms: after each return the loop
 * steps again within the bound. Each cycle logs the time from the broker's return to the loop's next step; a cycle
 * that waits longer than {@link #STALL_MS} logs what the broker knows of the open transactions, of the producers on
 * the group's offsets partition and the loop's outputs, of the group's committed offsets, and where the loop's thread
 * waits (issue 16: once, after a 19 s outage, the market waited a whole minute in {@code committed()}).
 */
class StepLoopOutageIT {

  private static final Logger LOG = LoggerFactory.getLogger(StepLoopOutageIT.class);
  private static final int PARTITIONS = 12;
  private static final Duration PERIOD = Duration.ofMillis(200);
  /** Cycles and outage length: a few for the suite; {@code -Doutage.cycles=N -Doutage.ms=M} for a longer hunt. */
  private static final int CYCLES = Integer.getInteger("outage.cycles", 2);
  private static final long OUTAGE_MS = Long.getLong("outage.ms", 15_000);
  /**
   * Which cycles stop the broker while the loop is idle (the ticks held back from 1.5 s before the stop until the
   * return, so no step is under way, as the market in issue 16's run) and which while it steps: {@code idle}, {@code
   * busy} or {@code alternate} (odd cycles idle).
   */
  private static final String MODE = System.getProperty("outage.mode", "alternate");
  /** How long, from the broker's return, the loop has to step again (a minute's wait in committed() exceeds it). */
  private static final long RESUME_BOUND_MS = 45_000;
  /** A cycle waiting this long has the broker's view of its transactions logged. */
  private static final long STALL_MS = 20_000;

  /** Committed steps seen on the output topic, and when the latest was read. */
  private final AtomicLong steps = new AtomicLong();
  private final AtomicLong lastStepAt = new AtomicLong();
  private final AtomicLong inputsTaken = new AtomicLong();
  private volatile boolean running = true;
  /** Whether ticks are sent (held back before an idle cycle's stop). */
  private volatile boolean ticking = true;

  @Test
  void theMarketsStepLoopStepsAgainSoonAfterEachOutage(@TempDir Path dir) throws Exception {
    verbose();
    try (OwnBroker broker = OwnBroker.start(dir.resolve("kafka"))) {
      String bootstrap = broker.bootstrapServers();
      MeshConfig config = ConfigLoader.load(new JsonObject().put("kafka", new JsonObject()
          .put("bootstrap_servers", bootstrap)
          // as the mesh of LoopsSurviveOutageIT: a blocked call fails within seconds while the broker is away
          .put("producer", new JsonObject().put("max_block_ms", 3000).put("delivery_timeout_ms", 12_000))), Map.of());
      KafkaClients kafka = new KafkaClients(config.kafka(), bootstrap, "outage");
      String inputs = "economy.orders";
      String ticks = "world.tick.hourly";
      String state = "market.state";
      String out = "simulation.event";
      String group = "event-mesh.market";
      try (Admin admin = kafka.admin()) {
        admin.createTopics(List.of(new NewTopic(inputs, PARTITIONS, (short) 1), new NewTopic(ticks, 6, (short) 1),
            new NewTopic(out, 12, (short) 1), new NewTopic(state, 1, (short) 1)
                .configs(Map.of("cleanup.policy", "compact")))).all().get(60, TimeUnit.SECONDS);
        LOG.info("broker features: {}", admin.describeFeatures().featureMetadata().get(30, TimeUnit.SECONDS)
            .finalizedFeatures());
        Instant epoch = Instant.now();
        StepLoop loop = marketLoop("market", kafka, group, inputs, ticks, state, out, epoch);
        List<Thread> load = List.of(thread("outage-ticks", () -> tick(kafka, ticks, epoch)),
            thread("outage-orders", () -> publish(kafka, inputs)), thread("outage-outputs", () -> follow(kafka, out)));
        try (KafkaWorker worker = new KafkaWorker("market", new MeshMetrics(), loop).start()) {
          worker.ready().get(60, TimeUnit.SECONDS);
          await("the loop's first step", 60_000, () -> steps.get() > 0);
          List<Long> resumed = new ArrayList<>();
          for (int cycle = 1; cycle <= CYCLES; cycle++) {
            boolean idle = MODE.equals("idle") || MODE.equals("alternate") && cycle % 2 == 1;
            Thread.sleep(1000 + cycle * 137L); // the stop lands at a different point of the step cycle each time
            if (idle) {
              ticking = false;
              Thread.sleep(1500);
            }
            long down = System.nanoTime();
            broker.stop();
            Thread.sleep(Math.max(0, OUTAGE_MS - (System.nanoTime() - down) / 1_000_000));
            broker.start();
            ticking = true;
            long back = System.currentTimeMillis();
            long away = (System.nanoTime() - down) / 1_000_000;
            boolean logged = false;
            while (lastStepAt.get() < back && System.currentTimeMillis() - back < RESUME_BOUND_MS + 5_000) {
              if (!logged && System.currentTimeMillis() - back > STALL_MS) {
                logged = true;
                evidence(admin, group, List.of(new TopicPartition(out, 0), new TopicPartition(state, 0)));
              }
              Thread.sleep(50);
            }
            long after = lastStepAt.get() >= back ? lastStepAt.get() - back : -1;
            resumed.add(after);
            LOG.info("cycle {} ({}): broker away {} ms; the loop stepped again {} ms after its return ({} steps, {} "
                + "inputs taken so far)", cycle, idle ? "stopped while the loop was idle" : "stopped while it stepped",
                away, after, steps.get(), inputsTaken.get());
            if (logged) {
              evidence(admin, group, List.of(new TopicPartition(out, 0), new TopicPartition(state, 0)));
            }
          }
          LOG.info("{} outages of {} ms: the loop stepped again after {} ms (-1: not within {} ms)", CYCLES, OUTAGE_MS,
              resumed, RESUME_BOUND_MS + 5_000);
          for (int i = 0; i < resumed.size(); i++) {
            long ms = resumed.get(i);
            assertTrue(ms >= 0 && ms < RESUME_BOUND_MS, "cycle " + (i + 1) + ": the loop stepped again after " + ms
                + " ms (bound " + RESUME_BOUND_MS + " ms); all cycles: " + resumed);
          }
        } finally {
          running = false;
          for (Thread t : load) {
            t.join(10_000);
          }
        }
      }
    }
  }

  /**
   * The wait for unstable offsets on the real broker: another producer's transaction holds offsets of the group (a
   * process paused in a step, its transaction timeout Kafka's 60 s) when the loop joins. The loop logs its wait, aborts
   * an offsets-only transaction of its own after 10 s (the broker lists it aborted; it does not end the other one),
   * and steps only once that transaction commits, from the offsets it committed, without a restart.
   */
  @Test
  void aLoopWaitsForAnotherProducersOpenOffsetsAndGoesOnFromThemOnceTheyAreCommitted() throws Exception {
    String inputs = TestKafka.unique("unstable-in");
    String ticks = TestKafka.unique("unstable-ticks");
    String state = TestKafka.unique("unstable-state");
    String out = TestKafka.unique("unstable-out");
    String group = TestKafka.unique("unstable-group");
    TestKafka.admin().createTopics(List.of(new NewTopic(inputs, 2, (short) 1), new NewTopic(ticks, 1, (short) 1),
        new NewTopic(out, 1, (short) 1), new NewTopic(state, 1, (short) 1)
            .configs(Map.of("cleanup.policy", "compact")))).all().get(60, TimeUnit.SECONDS);
    KafkaClients kafka = TestKafka.clients(TestKafka.config(new JsonObject()));
    TopicPartition p0 = new TopicPartition(inputs, 0);
    Map<String, Object> props = kafka.producerProps("last-owner");
    props.put("transactional.id", group + ".last-owner");
    props.put("transaction.timeout.ms", 60_000);
    MeshMetrics metrics = new MeshMetrics();
    try (KafkaProducer<String, byte[]> orders = kafka.producer("orders")) {
      for (int i = 0; i < 5; i++) {
        orders.send(new ProducerRecord<>(inputs, 0, "k", new JsonObject().put("event_type", "order")
            .encode().getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
      }
    }
    try (KafkaProducer<String, byte[]> lastOwner = new KafkaProducer<>(props,
        new org.apache.kafka.common.serialization.StringSerializer(),
        new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      lastOwner.initTransactions();
      lastOwner.beginTransaction();
      lastOwner.sendOffsetsToTransaction(Map.of(p0, new OffsetAndMetadata(3)),
          new org.apache.kafka.clients.consumer.ConsumerGroupMetadata(group));
      Instant epoch = Instant.now();
      StepLoop loop = marketLoop("unstable", kafka, group, inputs, ticks, state, out, epoch);
      List<Thread> load = List.of(thread("unstable-ticks", () -> tick(kafka, ticks, epoch)),
          thread("unstable-outputs", () -> follow(kafka, out)));
      try (KafkaWorker worker = new KafkaWorker("unstable", metrics, loop).start()) {
        Admin admin = TestKafka.admin();
        await("the loop given its partitions", 120_000, () -> assigned(admin, group));
        long started = System.currentTimeMillis();
        String own = null;
        while (own == null && System.currentTimeMillis() - started < 60_000) { // 10 s, then its offsets-only abort
          Thread.sleep(500);
          for (TransactionListing t : admin.listTransactions().all().get(30, TimeUnit.SECONDS)) {
            if (t.transactionalId().startsWith(group + ".") && !t.transactionalId().endsWith(".last-owner")
                && t.state() == org.apache.kafka.clients.admin.TransactionState.COMPLETE_ABORT) {
              own = t.transactionalId();
            }
          }
        }
        LOG.info("the loop's own transaction {} was aborted {} ms after it was given its partitions", own,
            System.currentTimeMillis() - started);
        assertTrue(own != null, "the waiting loop aborted an offsets-only transaction of its own");
        assertEquals(0, steps.get(), "no step while the group's offsets are held by an open transaction");
        long committedAt = System.currentTimeMillis();
        lastOwner.commitTransaction();
        await("a step after the last owner's commit", 60_000, () -> steps.get() > 0);
        LOG.info("the loop waited {} ms for the open transaction and stepped {} ms after its commit",
            committedAt - started, lastStepAt.get() - committedAt);
        Map<TopicPartition, OffsetAndMetadata> offsets = TestKafka.admin().listConsumerGroupOffsets(group)
            .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        assertEquals(5, offsets.get(p0).offset(), "it went on from the last owner's offset 3 to the end");
        assertEquals(2, inputsTaken.get(), "the two orders after the last owner's offset, each once");
        var restarts = metrics.registry().find("event_bus_loop_restarts_total").tag("loop", "unstable").counter();
        assertEquals(0, restarts == null ? 0 : restarts.count(), "the wait ended no life");
      } finally {
        running = false;
        for (Thread t : load) {
          t.join(10_000);
        }
      }
    }
  }

  /** Whether a member of the group has been given partitions. */
  private static boolean assigned(Admin admin, String group) {
    try {
      return admin.describeConsumerGroups(List.of(group)).all().get(30, TimeUnit.SECONDS).get(group).members()
          .stream().anyMatch(m -> !m.assignment().topicPartitions().isEmpty());
    } catch (Exception e) {
      return false;
    }
  }

  /** What the broker knows of the transactions that may hold the group's offsets, and where the loop waits. */
  private static void evidence(Admin admin, String group, List<TopicPartition> outputs) {
    TopicPartition offsets = new TopicPartition("__consumer_offsets", Utils.abs(group.hashCode()) % 12);
    try {
      LOG.info("evidence: features {}", admin.describeFeatures().featureMetadata().get(10, TimeUnit.SECONDS)
          .finalizedFeatures());
      var listed = admin.listTransactions().all().get(10, TimeUnit.SECONDS);
      LOG.info("evidence: transactions {}", listed);
      List<String> ids = listed.stream().map(TransactionListing::transactionalId).toList();
      if (!ids.isEmpty()) {
        admin.describeTransactions(ids).all().get(10, TimeUnit.SECONDS)
            .forEach((id, d) -> LOG.info("evidence: transaction {}: {}", id, d));
      }
      List<TopicPartition> parts = new ArrayList<>(outputs);
      parts.add(offsets);
      admin.describeProducers(parts).all().get(10, TimeUnit.SECONDS)
          .forEach((p, s) -> LOG.info("evidence: producers on {}: {}", p, s.activeProducers()));
    } catch (Exception e) {
      LOG.info("evidence: the admin look-ups failed: {}", e.toString());
    }
    for (boolean stable : new boolean[] {true, false}) {
      try {
        LOG.info("evidence: the group's offsets (require_stable {}): {}", stable, admin.listConsumerGroupOffsets(group,
            new ListConsumerGroupOffsetsOptions().requireStable(stable)).partitionsToOffsetAndMetadata()
            .get(5, TimeUnit.SECONDS));
      } catch (Exception e) {
        LOG.info("evidence: the group's offsets (require_stable {}) not given: {}", stable, e.toString());
      }
    }
    Thread.getAllStackTraces().forEach((t, stack) -> {
      if (t.getName().equals("loop-market")) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < Math.min(stack.length, 25); i++) {
          s.append("\n    at ").append(stack[i]);
        }
        LOG.info("evidence: the loop's thread now:{}", s);
      }
    });
  }

  /** The loggers {@link #verbose} turns up, with their level. */
  private static final Map<String, Level> VERBOSE = Map.of("kafka.coordinator.transaction", Level.DEBUG,
      "org.apache.kafka.coordinator.transaction", Level.DEBUG,
      "org.apache.kafka.coordinator.group.OffsetMetadataManager", Level.DEBUG,
      "org.apache.kafka.clients.producer.internals.TransactionManager", Level.DEBUG,
      "org.apache.kafka.coordinator.group", Level.INFO,
      "org.apache.kafka.clients.consumer.internals.ConsumerCoordinator", Level.INFO);

  /** The broker's transaction and group coordinators and the client's transaction manager, told in detail. */
  private static void verbose() {
    VERBOSE.forEach((name, level) -> ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(name)).setLevel(level));
  }

  /** The levels back to the configuration's: the suite's other classes run in this JVM after this one. */
  @AfterEach
  void quiet() {
    VERBOSE.keySet().forEach(name -> ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(name)).setLevel(null));
  }

  private Thread thread(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** An hourly tick for every period as it comes (those sent while the broker is away are lost, as the emitter's). */
  /** A step loop shaped like the market's: shards by input partition, hourly ticks from {@code epoch}. */
  private StepLoop marketLoop(String name, KafkaClients kafka, String group, String inputs, String ticks, String state,
      String out, Instant epoch) {
    StepLoop.Settings settings = new StepLoop.Settings(name, group, StepLoop.Ownership.INPUT_PARTITIONS,
        Pattern.compile(Pattern.quote(inputs)), new StepLoop.Ticks(ticks, "world.tick.hourly", "game_hour", epoch,
        PERIOD, UnaryOperator.identity()), state, 200, 24);
    return new StepLoop(settings, StepLoop.clients(kafka, state, 1 << 20), (key, saved) -> new Shard(out, saved),
        nanos -> { });
  }

  private void tick(KafkaClients kafka, String topic, Instant epoch) {
    try (KafkaProducer<String, byte[]> producer = kafka.producer("ticks")) {
      for (long n = Duration.between(epoch, Instant.now()).toMillis() / PERIOD.toMillis(); running; n++) {
        long wait = epoch.plus(PERIOD.multipliedBy(n)).toEpochMilli() - System.currentTimeMillis();
        if (wait > 0) {
          Thread.sleep(wait);
        }
        if (!ticking) {
          continue;
        }
        producer.send(new ProducerRecord<>(topic, "tick", new JsonObject().put("event_type", "world.tick.hourly")
            .put("data", new JsonObject().put("game_hour", n)).encode().getBytes(StandardCharsets.UTF_8)));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.warn("ticks stopped", e);
    }
  }

  /** Orders on every partition, about 200 a second. */
  private void publish(KafkaClients kafka, String topic) {
    try (KafkaProducer<String, byte[]> producer = kafka.producer("orders")) {
      for (long i = 0; running; i++) {
        int partition = (int) (i % PARTITIONS);
        producer.send(new ProducerRecord<>(topic, partition, "c" + partition, new JsonObject()
            .put("event_type", "economy.order.placed").put("data", new JsonObject().put("n", i)).encode()
            .getBytes(StandardCharsets.UTF_8)));
        if (partition == PARTITIONS - 1) {
          Thread.sleep(60);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.warn("orders stopped", e);
    }
  }

  /** The loop's committed outputs, read as they come: when the last one arrived. */
  private void follow(KafkaClients kafka, String topic) {
    try (KafkaConsumer<String, byte[]> consumer = kafka.consumer("outputs", null, "latest")) {
      List<TopicPartition> parts = PartitionScan.partitionsOf(consumer, topic, Duration.ofSeconds(30));
      consumer.assign(parts);
      consumer.seekToEnd(parts);
      while (running) {
        if (!consumer.poll(Duration.ofMillis(100)).isEmpty()) {
          lastStepAt.set(System.currentTimeMillis());
          steps.incrementAndGet();
        }
      }
    } catch (RuntimeException e) {
      LOG.warn("the outputs' reader stopped", e);
    }
  }

  /** A shard that counts what it takes and writes one record a step. */
  private final class Shard implements StepLoop.Model {
    private final String out;
    private long last = Long.MIN_VALUE;
    private long taken;

    Shard(String out, byte[] saved) {
      this.out = out;
      if (saved != null) {
        JsonObject s = new JsonObject(new String(saved, StandardCharsets.UTF_8));
        last = s.getLong("last");
        taken = s.getLong("taken");
      }
    }

    @Override
    public long last() {
      return last;
    }

    @Override
    public void input(JsonObject envelope) {
      taken++;
      inputsTaken.incrementAndGet();
    }

    @Override
    public List<ProducerRecord<String, byte[]>> step(long period, Instant gameTime, Instant cut) {
      last = period;
      return List.of(new ProducerRecord<>(out, "p" + period, ("stepped " + period + " after " + taken)
          .getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public byte[] snapshot() {
      return new JsonObject().put("last", last).put("taken", taken).encode().getBytes(StandardCharsets.UTF_8);
    }
  }

  private static void await(String what, long ms, java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    for (long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms); !condition.getAsBoolean();
        Thread.sleep(100)) {
      assertTrue(System.nanoTime() < end, "timed out after " + ms + " ms waiting for " + what);
    }
  }
}
