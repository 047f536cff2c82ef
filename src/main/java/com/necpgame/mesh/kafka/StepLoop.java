package com.necpgame.mesh.kafka;

import com.necpgame.mesh.config.TopicSpec;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.LongConsumer;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ApplicationRecoverableException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transactional step engine of the world simulation (the market's hours, the daily diplomacy and crowd), run as a
 * {@link KafkaWorker.Body}. Its state is a set of shards, each a {@link Model} over some input partitions. Ticks say
 * that a period (an hour, a day) has come; for each period after a shard's last, up to the tick's but at most
 * {@code maxCatchUp} of them, the loop reads the shard's inputs up to the period's real time (its cut), hands
 * them to the model, steps it, and commits in one Kafka transaction the model's outputs, the shard's new state record
 * (its input positions and snapshot, on the compacted state topic) and the offsets of the owning group
 * ({@code sendOffsetsToTransaction}, which fences a member the group has replaced): a period of a shard is stepped once,
 * whatever fails or moves. Who owns a shard is the {@link Ownership}.
 *
 * <p>Failures follow the catch ladder of Kafka's {@code ExactlyOnceMessageProcessor}: a fenced producer or member, an
 * out-of-order sequence, a refused authorisation or an unsupported version ends the life (the worker starts it again
 * with a new producer after its backoff); any other {@link KafkaException} of a transaction aborts it, drops what was
 * read, takes every shard again from the state topic's committed value (which seeks its inputs back to the committed
 * positions) and steps the period again after {@code retry}.
 *
 * <p>Bad input records: a record that is not an envelope (not a JSON object with an {@code event_type}), or that the
 * model throws on, is copied with the reason to its topic's dead-letter topic ({@link DeadLetters}, {@code
 * <topic>.dlq}) in the step's transaction and the step goes on without it: it is dead-lettered exactly once and never
 * blocks the partition. An input topic with no dead-letter topic ({@code dlq: false}) has such a record logged and
 * skipped. A tick that is not a tick is skipped (the next tick says the same).
 */
public final class StepLoop implements KafkaWorker.Body {

  private static final Logger LOG = LoggerFactory.getLogger(StepLoop.class);
  /** How long a look-up of partitions or committed offsets may take: the consumer's default ({@code default.api.timeout.ms}). */
  private static final Duration LOOKUP = Duration.ofMinutes(1);
  /**
   * The step producers' {@code transaction.timeout.ms} (Kafka Streams' exactly-once default; {@code
   * kafka.producer.properties} overrides it): how long the broker keeps the transaction of a process killed in a step
   * open. Until it aborts it, the shards' new owner waits in {@code committed()} and read_committed readers of the
   * outputs and the state stop at it; Kafka's own default, 60 s, stalled the market that long after a kill -9.
   */
  static final int TRANSACTION_TIMEOUT_MS = 10_000;
  /**
   * How long the inputs' group consumer is polled (paused) between ticks. Not zero: a member subscribed by pattern
   * that must rejoin first waits in {@code poll} for fresh metadata, which a zero timeout never gives, so it never
   * rejoined and every rebalance waited for it until its {@code max.poll.interval.ms} (5 minutes), the shards idle.
   */
  private static final Duration GROUP_POLL = Duration.ofMillis(100);
  /**
   * How long one wait for the owning group's committed offsets lasts before the loop logs that it is still waiting
   * (a read_committed consumer's {@code committed()} waits while a transaction holding offsets of the group is open).
   */
  private static final Duration COMMITTED_WAIT = Duration.ofSeconds(5);
  /**
   * After how many such waits unstable offsets make the loop end any offset commit of its own producer id pending on
   * the group's offsets partition (an aborted offsets-only transaction): 10 s, as long as a step transaction may stay
   * open.
   */
  static final int CLEAR_AFTER = (int) (TRANSACTION_TIMEOUT_MS / COMMITTED_WAIT.toMillis());
  /**
   * How many records back from its end a tick partition the group never committed is read from: the last tick
   * transactions (a tick or a catch-up's ticks and summary, and their commit markers) hold the latest tick.
   */
  static final int LATEST_TICK_RECORDS = 8;

  /** Who owns which shard. */
  public enum Ownership {
    /**
     * Each input partition the group {@code group} assigns is a shard (key {@code topic/partition}); every process
     * reads the ticks, without a group, from their end. The market.
     */
    INPUT_PARTITIONS,
    /**
     * The member the group {@code group} gives the ticks to owns the one shard (key: the loop's name) over every
     * partition of the input topics, read without a group from the positions kept in its state. Diplomacy, the crowd.
     */
    TICKS
  }

  /** A shard's model: plain logic behind Kafka records. */
  public interface Model {
    /** The last period stepped, or MIN_VALUE when none. */
    long last();

    /** An input envelope (with a string {@code event_type}) read before the period's cut, in offset order. */
    void input(JsonObject envelope);

    /** The same, for a model that tells its input topics apart (the loop calls this one). */
    default void input(String topic, JsonObject envelope) {
      input(envelope);
    }

    /**
     * Whether the model reads a record of {@code topic} whose {@code event_type} header is {@code eventType} (null
     * when it has none); a record it does not read is passed over undecoded and never dead-lettered by this loop.
     */
    default boolean reads(String topic, String eventType) {
      return true;
    }

    /** Steps the period; the records to publish (on any topic). */
    List<ProducerRecord<String, byte[]>> step(long period, Instant gameTime, Instant cut);

    /** The whole state, to restore the model from. */
    byte[] snapshot();
  }

  /**
   * The ticks: their topic, the event type of those that count and the data field giving their period, and game time:
   * period {@code n} starts at {@code gameEpoch + n × period}, at the real time {@code realAt} gives.
   */
  public record Ticks(String topic, String eventType, String periodField, Instant gameEpoch, Duration period,
      UnaryOperator<Instant> realAt) {}

  /**
   * @param name the loop's name: client ids, logs, the key of a {@link Ownership#TICKS} shard
   * @param group the consumer group whose assignment owns the shards, and the prefix of the transactional ids
   * @param inputs the input topics
   * @param graceMs how long after a period's real time records appended just before it are waited for
   * @param maxCatchUp how many missed periods a shard steps when it catches up (older ones are skipped)
   */
  public record Settings(String name, String group, Ownership ownership, Pattern inputs, Ticks ticks, String stateTopic,
      long graceMs, int maxCatchUp) {}

  /** The clients a life opens and how the state topic is read: Kafka's, or mocks in tests. */
  public interface Clients {
    Producer<String, byte[]> producer(String role, String transactionalId);

    /** A consumer in {@code group} (none when null). */
    Consumer<String, byte[]> consumer(String role, String group, String autoOffsetReset);

    /** The latest committed value of each of {@code keys} present on the state topic. */
    Map<String, byte[]> load(Set<String> keys);
  }

  /** Kafka clients of the mesh: state records up to {@code maxRecordBytes}, inputs fetched 5000 records a poll. */
  public static Clients clients(KafkaClients kafka, String stateTopic, int maxRecordBytes) {
    StateTopic state = new StateTopic(kafka, stateTopic);
    return new Clients() {
      @Override
      public Producer<String, byte[]> producer(String role, String transactionalId) {
        Map<String, Object> props = kafka.producerProps(role);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, maxRecordBytes);
        props.putIfAbsent(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, TRANSACTION_TIMEOUT_MS);
        return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
      }

      @Override
      public Consumer<String, byte[]> consumer(String role, String group, String autoOffsetReset) {
        return kafka.consumer(role, group, autoOffsetReset, Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000));
      }

      @Override
      public Map<String, byte[]> load(Set<String> keys) {
        return state.load(keys);
      }
    };
  }

  private final Settings settings;
  private final Clients clients;
  private final BiFunction<String, byte[], Model> models;
  private final LongConsumer timer;
  private final Backoff retry;
  private final boolean byInputs;
  /**
   * This loop's transactional id, the same in every life: a new life's {@code initTransactions} aborts a transaction
   * the last life left open (a commit that timed out while the broker was away) at once, instead of leaving the state
   * and output topics blocked to readers until the broker's {@code transaction.timeout.ms}.
   */
  private final String transactionalId;

  /**
   * @param models a shard's model from its key and snapshot (null: a fresh model)
   * @param timer told how many nanoseconds each period's models took to step (a meter)
   * @param retry the pause before a period whose transaction was aborted is stepped again
   */
  public StepLoop(Settings settings, Clients clients, BiFunction<String, byte[], Model> models, LongConsumer timer,
      Backoff retry) {
    this.settings = settings;
    this.clients = clients;
    this.models = models;
    this.timer = timer;
    this.retry = retry;
    this.byInputs = settings.ownership() == Ownership.INPUT_PARTITIONS;
    this.transactionalId = settings.group() + "." + UUID.randomUUID();
  }

  public StepLoop(Settings settings, Clients clients, BiFunction<String, byte[], Model> models, LongConsumer timer) {
    this(settings, clients, models, timer, Backoff.SUPERVISION);
  }

  @Override
  public void run(KafkaWorker.Life life) {
    String name = settings.name();
    try (Producer<String, byte[]> producer = clients.producer(name, transactionalId);
        Consumer<String, byte[]> inputs = life.wakes(clients.consumer(name + "-inputs",
            byInputs ? settings.group() : null, "earliest"));
        Consumer<String, byte[]> ticks = life.wakes(clients.consumer(name + "-ticks",
            byInputs ? null : settings.group(), "latest"))) {
      new Run(life, producer, inputs, ticks).run();
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Whether a transaction's failure needs a new producer (Kafka's example stops on these), not just an abort. */
  static boolean fatal(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ApplicationRecoverableException // fenced producer, producer epoch or static member
          || t instanceof OutOfOrderSequenceException || t instanceof AuthorizationException
          || t instanceof UnsupportedVersionException) {
        return true;
      }
    }
    return false;
  }

  /** The key of an {@link Ownership#INPUT_PARTITIONS} shard. */
  public static String keyOf(TopicPartition p) {
    return p.topic() + "/" + p.partition();
  }

  /** A state record: 4 bytes of the positions' length, the positions ({@code {"topic/partition": offset}}), the snapshot. */
  static byte[] stateRecord(Map<TopicPartition, Long> positions, byte[] snapshot) {
    JsonObject at = new JsonObject();
    positions.forEach((p, o) -> at.put(keyOf(p), o));
    byte[] head = at.encode().getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(4 + head.length + snapshot.length).putInt(head.length).put(head).put(snapshot).array();
  }

  /**
   * The model's snapshot inside a state record. A record written before positions were kept is a JSON snapshot alone
   * (its first byte {@code '{'} cannot start a length: that would be over 2 GB).
   */
  public static byte[] snapshotOf(byte[] record) {
    if (record.length > 0 && record[0] == '{') {
      return record;
    }
    int skip = ByteBuffer.wrap(record).getInt();
    byte[] out = new byte[record.length - 4 - skip];
    System.arraycopy(record, 4 + skip, out, 0, out.length);
    return out;
  }

  /** The input positions inside a state record. */
  static Map<TopicPartition, Long> positionsOf(byte[] record) {
    Map<TopicPartition, Long> positions = new HashMap<>();
    if (record.length == 0 || record[0] == '{') {
      return positions;
    }
    int length = ByteBuffer.wrap(record).getInt();
    new JsonObject(new String(record, 4, length, StandardCharsets.UTF_8)).forEach(e -> {
      int slash = e.getKey().lastIndexOf('/');
      positions.put(new TopicPartition(e.getKey().substring(0, slash), Integer.parseInt(e.getKey().substring(slash + 1))),
          ((Number) e.getValue()).longValue());
    });
    return positions;
  }

  /** Partitions in topic then partition order: the order a shard's inputs are handed to its model. */
  private static final Comparator<TopicPartition> IN_ORDER =
      Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition);

  /** A shard this life owns: its model and the input partitions it reads, in order. */
  private record Shard(String key, Model model, SortedSet<TopicPartition> partitions) {}

  /** One life: the clients, the shards they own and where the ticks are; it hears the owning group's rebalances. */
  private final class Run implements ConsumerRebalanceListener {
    private final KafkaWorker.Life life;
    private final Producer<String, byte[]> producer;
    private final Consumer<String, byte[]> inputs;
    private final Consumer<String, byte[]> ticks;
    /** Input records polled and not taken yet: those at or after the last cut read. */
    private final Map<TopicPartition, ArrayDeque<ConsumerRecord<String, byte[]>>> held = new HashMap<>();
    private final Map<String, Shard> shards = new TreeMap<>();
    /** The owned tick partitions' offsets after the latest tick read ({@link Ownership#TICKS}). */
    private final Map<TopicPartition, OffsetAndMetadata> tickOffsets = new HashMap<>();
    private Set<String> deadLetterTopics = Set.of();
    /** The period of the latest tick read, or MIN_VALUE. */
    private long target = Long.MIN_VALUE;
    private int aborts;

    Run(KafkaWorker.Life life, Producer<String, byte[]> producer, Consumer<String, byte[]> inputs,
        Consumer<String, byte[]> ticks) {
      this.life = life;
      this.producer = producer;
      this.inputs = inputs;
      this.ticks = ticks;
    }

    void run() {
      producer.initTransactions();
      if (byInputs) {
        inputs.subscribe(settings.inputs(), this);
        List<TopicPartition> parts = PartitionScan.partitionsOf(ticks, settings.ticks().topic(), LOOKUP);
        ticks.assign(parts);
        ticks.seekToEnd(parts);
      } else {
        ticks.subscribe(List.of(settings.ticks().topic()), this);
      }
      life.ready();
      while (life.running()) {
        if (byInputs || !inputs.assignment().isEmpty()) { // polled paused: to stay in the group, for its callbacks
          inputs.pause(inputs.assignment());
          hold(inputs.poll(byInputs ? GROUP_POLL : Duration.ZERO));
        }
        for (ConsumerRecord<String, byte[]> r : ticks.poll(Duration.ofMillis(400))) {
          Long period = periodOf(r);
          if (period != null) {
            target = Math.max(target, period);
            if (!byInputs) {
              tickOffsets.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
            }
          }
        }
        if (target != Long.MIN_VALUE) {
          stepUpTo(target);
        }
      }
    }

    /** Inputs moved: their shards go. The ticks moved: their new owner takes the shard from the committed state. */
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (byInputs) {
        partitions.forEach(p -> shards.remove(keyOf(p)));
        held.keySet().removeAll(partitions);
      } else if (!partitions.isEmpty()) {
        shards.clear();
        held.keySet().removeAll(inputs.assignment());
        tickOffsets.clear();
        target = Long.MIN_VALUE;
      }
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      if (byInputs) {
        Map<String, Set<TopicPartition>> owned = new TreeMap<>();
        partitions.forEach(p -> owned.put(keyOf(p), Set.of(p)));
        take(owned);
      } else {
        fromLatestTick(partitions);
        if (shards.isEmpty() && !ticks.assignment().isEmpty()) {
          List<TopicPartition> parts = PartitionScan.partitionsOf(inputs, t -> settings.inputs().matcher(t).matches(),
              LOOKUP);
          inputs.assign(parts);
          take(Map.of(settings.name(), Set.copyOf(parts)));
        }
      }
    }

    /**
     * A tick partition the group never committed (a fresh world, or a new group) is read from its last
     * {@value StepLoop#LATEST_TICK_RECORDS} records instead of from its end, so that the owner steps the latest tick
     * emitted before it joined: on a fresh world the emitter's first tick (its current period, at once) may come
     * before the group's first assignment, and waiting for the next would cost a whole period. A committed partition
     * goes on from its committed offset, as before.
     */
    private void fromLatestTick(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      Map<TopicPartition, OffsetAndMetadata> committed = committedOf(ticks, Set.copyOf(partitions));
      List<TopicPartition> fresh = partitions.stream().filter(p -> committed.get(p) == null).toList();
      if (fresh.isEmpty()) {
        return;
      }
      Map<TopicPartition, Long> begins = ticks.beginningOffsets(fresh, LOOKUP);
      Map<TopicPartition, Long> ends = ticks.endOffsets(fresh, LOOKUP);
      for (TopicPartition p : fresh) {
        ticks.seek(p, Math.max(begins.get(p), ends.get(p) - LATEST_TICK_RECORDS));
      }
    }

    /** Takes shards from the state topic's committed values: models restored, inputs at their committed positions. */
    private void take(Map<String, Set<TopicPartition>> owned) {
      if (owned.isEmpty()) {
        return;
      }
      Set<TopicPartition> all = owned.values().stream().flatMap(Set::stream).collect(Collectors.toSet());
      // First the owning group's committed offsets: a read_committed consumer's committed() waits while the last
      // owner's transaction (a paused or killed process) is open, so the state read next includes it if it commits.
      Map<TopicPartition, OffsetAndMetadata> committed = byInputs ? committedOf(inputs, all) : Map.of();
      if (!byInputs) {
        committedOf(ticks, Set.copyOf(ticks.assignment()));
      }
      Map<String, byte[]> saved = clients.load(owned.keySet());
      deadLetterTopics = inputs.listTopics().keySet().stream().filter(t -> t.endsWith(TopicSpec.DLQ_SUFFIX))
          .collect(Collectors.toSet());
      owned.forEach((key, parts) -> {
        byte[] record = saved.get(key);
        Map<TopicPartition, Long> positions = record == null ? Map.of() : positionsOf(record);
        for (TopicPartition p : parts) {
          Long at = positions.get(p);
          if (at == null && committed.get(p) != null) {
            at = committed.get(p).offset();
          }
          if (at == null) {
            inputs.seekToBeginning(List.of(p));
          } else {
            inputs.seek(p, at);
          }
        }
        Model model = models.apply(key, record == null ? null : snapshotOf(record));
        SortedSet<TopicPartition> inOrder = new TreeSet<>(IN_ORDER);
        inOrder.addAll(parts);
        shards.put(key, new Shard(key, model, inOrder));
      });
      LOG.info("{}: stepping {} here (state found for {})", settings.name(), owned.keySet(), saved.keySet());
    }

    /**
     * The owning group's committed offsets of {@code parts}, from {@code consumer} (read_committed). Its {@code
     * committed()} waits while a transaction holding offsets of the group for them is open: the last owner's (a
     * process paused or killed in a step, which the broker aborts after its {@code transaction.timeout.ms}) or one
     * whose markers the broker has not written yet. The wait is logged every {@link #COMMITTED_WAIT} with what the loop
     * knows. After {@link #CLEAR_AFTER} such waits the loop aborts an offsets-only transaction of its own producer (the id every
     * life of this loop has had): the abort marker it makes the broker write on the group's offsets partition ends
     * every offset commit of this producer id still pending there (issue 16: once, after a broker outage, the
     * market's offsets stayed unstable for over a minute and it waited here, silent, until the look-up timed out).
     * Another producer's transaction it leaves to the broker. After {@link #LOOKUP} the life ends.
     */
    private Map<TopicPartition, OffsetAndMetadata> committedOf(Consumer<String, byte[]> consumer,
        Set<TopicPartition> parts) {
      if (parts.isEmpty()) {
        return Map.of();
      }
      long started = System.nanoTime();
      for (int waits = 1; ; waits++) {
        try {
          Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(parts, COMMITTED_WAIT);
          if (waits > 1) {
            LOG.info("{}: the committed offsets of group {} for {} were given after {} ms{}", settings.name(),
                settings.group(), parts, (System.nanoTime() - started) / 1_000_000,
                waits > CLEAR_AFTER ? " (after this loop's own pending ones were ended)" : "");
          }
          return committed;
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
          long waited = (System.nanoTime() - started) / 1_000_000;
          String known = "member " + consumer.groupMetadata().memberId() + " generation "
              + consumer.groupMetadata().generationId() + ", this loop's transactional id " + transactionalId;
          if (waits >= LOOKUP.toMillis() / COMMITTED_WAIT.toMillis()) {
            throw new org.apache.kafka.common.errors.TimeoutException(settings.name() + ": the committed offsets of "
                + "group " + settings.group() + " for " + parts + " were not given within " + waited + " ms (" + known
                + (waits > CLEAR_AFTER ? "; this loop's own pending ones were ended" : "") + ")", e);
          }
          LOG.warn("{}: the committed offsets of group {} for {} not given after {} ms: a transaction holding "
              + "offsets of the group is open (the last owner's until the broker aborts it after its "
              + "transaction.timeout.ms, or one whose markers the broker has not written yet), or the group "
              + "coordinator does not answer ({}: {})",
              settings.name(), settings.group(), parts, waited, known, e.getMessage());
          if (waits == CLEAR_AFTER) {
            clearOwnOffsets(consumer, parts);
          }
        }
      }
    }

    /**
     * Begins a transaction, sends one offset of the group in it and aborts it: the broker writes an abort marker for
     * this producer id on the group's offsets partition, which ends any offset commit of this producer id still
     * pending there. An aborted offset commit changes no offset.
     */
    private void clearOwnOffsets(Consumer<String, byte[]> consumer, Set<TopicPartition> parts) {
      LOG.warn("{}: aborting an offsets-only transaction of transactional id {} to end any offset commit of its "
          + "producer id still pending for group {}", settings.name(), transactionalId, settings.group());
      TopicPartition one = parts.iterator().next();
      try {
        producer.beginTransaction();
        producer.sendOffsetsToTransaction(Map.of(one, new OffsetAndMetadata(0)), consumer.groupMetadata());
        producer.abortTransaction();
      } catch (KafkaException e) {
        if (fatal(e)) {
          throw e;
        }
        LOG.warn("{}: the offsets-only transaction failed ({}); aborting it", settings.name(), e.toString());
        producer.abortTransaction(); // when this fails too the life ends, and the next one aborts it by its id
      }
    }

    /** Every period of every shard up to {@code target}, oldest first, one transaction a period. */
    private void stepUpTo(long target) {
      while (life.running()) {
        long period = Long.MAX_VALUE;
        for (Shard s : shards.values()) {
          if (s.model().last() < target) {
            period = Math.min(period, first(s, target));
          }
        }
        if (period > target || !step(period, target)) {
          return;
        }
      }
    }

    /** The first period a shard steps on its way to {@code target}: a fresh shard starts there. */
    private long first(Shard s, long target) {
      long last = s.model().last();
      return last == Long.MIN_VALUE ? target : Math.max(last + 1, target - settings.maxCatchUp() + 1);
    }

    /** Steps the shards due at {@code period}; false when its transaction was aborted. */
    private boolean step(long period, long target) {
      Ticks t = settings.ticks();
      Instant gameTime = t.gameEpoch().plus(t.period().multipliedBy(period));
      Instant cut = Instant.ofEpochMilli(t.realAt().apply(gameTime).toEpochMilli()); // the cut is a millisecond
      List<Shard> due = shards.values().stream()
          .filter(s -> s.model().last() < period && first(s, target) <= period).toList();
      Set<TopicPartition> parts = new HashSet<>();
      due.forEach(s -> parts.addAll(s.partitions()));
      Map<TopicPartition, Long> next = new HashMap<>();
      Map<TopicPartition, List<ConsumerRecord<String, byte[]>>> read =
          readUntil(parts, cut.toEpochMilli(), next);
      List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
      Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(byInputs ? Map.of() : tickOffsets);
      List<String> stepped = new ArrayList<>();
      long started = System.nanoTime();
      for (Shard s : due) {
        if (shards.get(s.key()) != s) {
          continue; // its partitions left during the read: their new owner steps them
        }
        Map<TopicPartition, Long> positions = new TreeMap<>(IN_ORDER);
        for (TopicPartition p : s.partitions()) {
          read.getOrDefault(p, List.of()).forEach(r -> input(s, r, out));
          positions.put(p, next.get(p));
          if (byInputs) {
            offsets.put(p, new OffsetAndMetadata(next.get(p)));
          }
        }
        out.addAll(s.model().step(period, gameTime, cut));
        out.add(new ProducerRecord<>(settings.stateTopic(), s.key(), stateRecord(positions, s.model().snapshot())));
        stepped.add(s.key());
      }
      if (stepped.isEmpty()) {
        return true;
      }
      timer.accept(System.nanoTime() - started);
      return commit(period, stepped, out, offsets);
    }

    private void input(Shard s, ConsumerRecord<String, byte[]> r, List<ProducerRecord<String, byte[]>> out) {
      if (!s.model().reads(r.topic(), EnvelopeRecords.header(r.headers(), EnvelopeRecords.HEADER_EVENT_TYPE))) {
        return;
      }
      JsonObject envelope;
      try {
        envelope = new JsonObject(new String(r.value(), StandardCharsets.UTF_8));
      } catch (RuntimeException e) {
        deadLetter(r, "not an envelope: " + e.getMessage(), out);
        return;
      }
      if (!(envelope.getValue("event_type") instanceof String)) {
        deadLetter(r, "not an envelope: no event_type", out);
        return;
      }
      try {
        s.model().input(r.topic(), envelope);
      } catch (RuntimeException e) {
        deadLetter(r, "not understood by " + settings.name() + ": " + e, out);
      }
    }

    private void deadLetter(ConsumerRecord<String, byte[]> r, String reason, List<ProducerRecord<String, byte[]>> out) {
      boolean kept = deadLetterTopics.contains(TopicSpec.dlqOf(r.topic()));
      LOG.warn("{}: input {}-{}@{} {}: {}", settings.name(), r.topic(), r.partition(), r.offset(),
          kept ? "dead-lettered" : "skipped (the topic has no dead-letter topic)", reason);
      if (kept) {
        out.add(DeadLetters.of(r, settings.name(), reason, 1));
      }
    }

    private boolean commit(long period, List<String> stepped, List<ProducerRecord<String, byte[]>> out,
        Map<TopicPartition, OffsetAndMetadata> offsets) {
      try {
        producer.beginTransaction();
        out.forEach(producer::send);
        if (!offsets.isEmpty()) {
          producer.sendOffsetsToTransaction(offsets, (byInputs ? inputs : ticks).groupMetadata());
        }
        producer.commitTransaction();
        aborts = 0;
        return true;
      } catch (KafkaException e) {
        if (fatal(e)) {
          throw e;
        }
        LOG.warn("{}: period {} of {} was not committed ({}); aborting and taking the state again", settings.name(),
            period, stepped, e.toString());
        producer.abortTransaction(); // when this fails too the life ends, and the next one has a new producer
        Map<String, Set<TopicPartition>> owned = new TreeMap<>();
        shards.values().forEach(s -> owned.put(s.key(), s.partitions()));
        shards.clear();
        owned.values().forEach(held.keySet()::removeAll);
        take(owned);
        life.pause(retry.after(++aborts));
        return false;
      }
    }

    /**
     * Reads inputs up to a time cut, so that a step sees the same inputs however late it runs and however often it is
     * replayed: a step for cut {@code t} takes, per partition in offset order, the records not taken before up to the
     * first whose timestamp is at or after {@code t}; that record and the rest wait for a later cut. A partition is
     * done when such a record was read, or when its end was reached once the wall clock is past {@code t + graceMs} (a
     * record appended later has a later timestamp; for strict cuts give input topics
     * {@code message.timestamp.type=LogAppendTime}). Between steps the partitions are paused, so nothing piles up in
     * memory and polling keeps the consumer in its group. A partition that leaves during the read (a rebalance in a
     * poll) is dropped from it. {@code nextOffsets} gets where each partition continues: its first record not taken.
     */
    private Map<TopicPartition, List<ConsumerRecord<String, byte[]>>> readUntil(Set<TopicPartition> parts, long cutMs,
        Map<TopicPartition, Long> nextOffsets) {
      Map<TopicPartition, List<ConsumerRecord<String, byte[]>>> out = new HashMap<>();
      if (parts.isEmpty()) {
        return out;
      }
      long waitUntil = cutMs + settings.graceMs() - System.currentTimeMillis();
      if (waitUntil > 0) {
        sleep(waitUntil);
      }
      Map<TopicPartition, Long> ends = inputs.endOffsets(parts);
      List<TopicPartition> open = new ArrayList<>(parts);
      inputs.pause(inputs.assignment());
      inputs.resume(parts);
      while (!open.isEmpty()) {
        for (var it = open.iterator(); it.hasNext(); ) {
          TopicPartition p = it.next();
          if (!inputs.assignment().contains(p)) {
            out.remove(p);
            it.remove();
            continue;
          }
          List<ConsumerRecord<String, byte[]>> taken = out.computeIfAbsent(p, k -> new ArrayList<>());
          ArrayDeque<ConsumerRecord<String, byte[]>> queue = held.getOrDefault(p, new ArrayDeque<>());
          while (!queue.isEmpty() && queue.peek().timestamp() < cutMs) {
            taken.add(queue.poll());
          }
          boolean reachedCut = !queue.isEmpty();
          boolean atEnd = queue.isEmpty() && inputs.position(p) >= ends.get(p);
          if (reachedCut || atEnd) {
            inputs.pause(List.of(p));
            nextOffsets.put(p, reachedCut ? queue.peek().offset() : inputs.position(p));
            it.remove();
          }
        }
        if (!open.isEmpty()) {
          hold(inputs.poll(Duration.ofMillis(200)));
        }
      }
      inputs.pause(inputs.assignment());
      return out;
    }

    private void hold(Iterable<ConsumerRecord<String, byte[]>> records) {
      for (ConsumerRecord<String, byte[]> r : records) {
        held.computeIfAbsent(new TopicPartition(r.topic(), r.partition()), k -> new ArrayDeque<>()).add(r);
      }
    }

    /** The period of a tick of the kind that counts, or null. */
    private Long periodOf(ConsumerRecord<String, byte[]> r) {
      try {
        JsonObject tick = new JsonObject(new String(r.value(), StandardCharsets.UTF_8));
        return settings.ticks().eventType().equals(tick.getString("event_type"))
            ? tick.getJsonObject("data").getLong(settings.ticks().periodField()) : null;
      } catch (RuntimeException e) {
        LOG.warn("{}: tick {}-{}@{} skipped: {}", settings.name(), r.topic(), r.partition(), r.offset(), e.toString());
        return null;
      }
    }
  }
}
