package com.necpgame.mesh.tick;

import com.necpgame.mesh.kafka.ConsumerThreads;
import com.necpgame.mesh.kafka.CutReader;
import com.necpgame.mesh.kafka.EnvelopeRecords;
import com.necpgame.mesh.kafka.KafkaClients;
import com.necpgame.mesh.kafka.StateTopic;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a daily step ({@link Step}: diplomacy, the crowd) exactly once per game day across all processes, on a thread
 * of its own. Daily ticks are read in a consumer group; they are keyed by schedule, so one member gets them all and
 * is the step's owner. For each day after the step's last, up to the tick's, it reads the input topics up to that
 * day's real time ({@link CutReader}, from positions kept in the step's state), steps, and commits the outputs, the new
 * state (with the input positions) and the tick's offset in one Kafka transaction. A new owner restores the state and
 * goes on from the day after it.
 */
public final class DailyLoop {

  private static final Logger LOG = LoggerFactory.getLogger(DailyLoop.class);

  /** A daily simulation step: a plain model behind Kafka records. */
  public interface Step {
    /** An input event (an envelope) read before the day's cut, in order per input partition. */
    void input(JsonObject envelope);

    /** Steps the day; the records to publish (outputs on any topic). */
    List<ProducerRecord<String, byte[]>> step(long gameDay, Instant gameTime, Instant cut);

    /** The whole state, to restore with the step's factory. */
    byte[] snapshot();

    /** The last day stepped, or MIN_VALUE when none. */
    long lastDay();
  }

  private final String name;
  /** Told how many nanoseconds each day's step took (a meter). */
  private volatile java.util.function.LongConsumer stepTimer = nanos -> { };
  private final KafkaClients kafka;
  private final GameClock clock;
  private final String dailyTopic;
  private final Pattern inputs;
  private final StateTopic state;
  private final String group;
  private final long graceMs;
  private final int maxCatchUpDays;
  private final Function<byte[], Step> restore;
  private volatile boolean running = true;
  private volatile KafkaConsumer<String, byte[]> ticks;
  private volatile KafkaConsumer<String, byte[]> input;
  private Thread thread;
  private Step step;
  private CutReader reader;

  /**
   * @param restore a step from its snapshot, or a fresh step for null
   * @param inputs the input topics (every partition, read by the owner only)
   */
  public DailyLoop(String name, KafkaClients kafka, GameClock clock, String dailyTopic, Pattern inputs,
      String stateTopic, String group, long graceMs, int maxCatchUpDays, Function<byte[], Step> restore) {
    this.name = name;
    this.kafka = kafka;
    this.clock = clock;
    this.dailyTopic = dailyTopic;
    this.inputs = inputs;
    this.state = new StateTopic(kafka, stateTopic);
    this.group = group;
    this.graceMs = graceMs;
    this.maxCatchUpDays = maxCatchUpDays;
    this.restore = restore;
  }


  /** Where the duration of each day's step goes (nanoseconds), before {@link #start()}. */
  public void timeStepsWith(java.util.function.LongConsumer timer) {
    this.stepTimer = timer;
  }
  public void start() {
    thread = new Thread(() -> ConsumerThreads.supervise(name + " daily loop", () -> running, this::run), name);
    thread.setDaemon(true);
    thread.start();
  }

  /** One life of the loop, with clients of its own: it takes the step's state again when the ticks are assigned. */
  private void run() {
    step = null;
    reader = null;
    Map<String, Object> props = kafka.producerProps(name);
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, group + "." + UUID.randomUUID());
    props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 64 << 20);
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(),
        new ByteArraySerializer());
        KafkaConsumer<String, byte[]> t = kafka.consumer(name + "-ticks", group, "latest");
        KafkaConsumer<String, byte[]> in = kafka.consumer(name + "-inputs", null, "earliest")) {
      ticks = t;
      input = in;
      producer.initTransactions();
      t.subscribe(List.of(dailyTopic), new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
          if (!partitions.isEmpty()) {
            step = null; // the ticks moved to another process, which restores the committed state
          }
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
          if (!partitions.isEmpty() && step == null) {
            takeOver();
          }
        }
      });
      while (running) {
        if (reader != null) {
          reader.idle(Duration.ZERO);
        }
        for (ConsumerRecord<String, byte[]> r : t.poll(Duration.ofMillis(500))) {
          JsonObject tick = new JsonObject(new String(r.value(), StandardCharsets.UTF_8));
          if (!"world.tick.daily".equals(tick.getString("event_type")) || step == null) {
            continue;
          }
          long day = tick.getJsonObject("data").getLong("game_day");
          TopicPartition p = new TopicPartition(r.topic(), r.partition());
          stepUpTo(day, producer, Map.of(p, new OffsetAndMetadata(r.offset() + 1)));
        }
      }
    } catch (WakeupException e) {
      // stopping
    }
  }

  /** This process owns the step now: its state and its input positions. */
  private void takeOver() {
    byte[] saved = state.load(Set.of(name)).get(name);
    step = restore.apply(saved == null ? null : snapshotOf(saved));
    Map<TopicPartition, Long> positions = new HashMap<>();
    if (saved != null) {
      JsonObject at = new JsonObject(new String(positionsOf(saved), StandardCharsets.UTF_8));
      at.forEach(e -> {
        int slash = e.getKey().lastIndexOf('/');
        positions.put(new TopicPartition(e.getKey().substring(0, slash), Integer.parseInt(e.getKey().substring(slash + 1))),
            ((Number) e.getValue()).longValue());
      });
    }
    List<TopicPartition> parts = new ArrayList<>();
    for (Map.Entry<String, List<PartitionInfo>> topic : input.listTopics().entrySet()) {
      if (inputs.matcher(topic.getKey()).matches()) {
        topic.getValue().forEach(i -> parts.add(new TopicPartition(i.topic(), i.partition())));
      }
    }
    input.assign(parts);
    for (TopicPartition p : parts) {
      if (positions.containsKey(p)) {
        input.seek(p, positions.get(p));
      }
    }
    reader = new CutReader(input);
    LOG.info("{}: stepping here, {} (inputs: {} partitions)", name,
        step.lastDay() == Long.MIN_VALUE ? "from the next daily tick" : "after day " + step.lastDay(), parts.size());
  }

  private void stepUpTo(long day, KafkaProducer<String, byte[]> producer, Map<TopicPartition, OffsetAndMetadata> tick) {
    long from = step.lastDay() == Long.MIN_VALUE ? day : Math.max(step.lastDay() + 1, day - maxCatchUpDays + 1);
    for (long d = from; d <= day && running; d++) {
      Instant gameTime = clock.gameEpoch().plus(Duration.ofDays(d));
      Instant cut = clock.realAt(gameTime);
      Map<TopicPartition, Long> next = new HashMap<>();
      reader.readUntil(cut.toEpochMilli(), graceMs, next).values().forEach(records -> records.forEach(r -> {
        try {
          step.input(new JsonObject(new String(r.value(), StandardCharsets.UTF_8)));
        } catch (RuntimeException e) {
          LOG.debug("{}: input {}-{}/{} is not an envelope: {}", name, r.topic(), r.partition(), r.offset(), e.toString());
        }
      }));
      long started = System.nanoTime();
      List<ProducerRecord<String, byte[]>> out = new ArrayList<>(step.step(d, gameTime, cut));
      stepTimer.accept(System.nanoTime() - started);
      out.add(new ProducerRecord<>(state.topic(), name, withPositions(step.snapshot(), next)));
      try {
        producer.beginTransaction();
        out.forEach(producer::send);
        if (d == day) {
          producer.sendOffsetsToTransaction(tick, ticks.groupMetadata());
        }
        producer.commitTransaction();
      } catch (KafkaException e) {
        LOG.warn("{}: day {} was not committed ({}); reloading the state", name, d, e.toString());
        try {
          producer.abortTransaction();
        } catch (KafkaException ignored) {
          throw e;
        }
        takeOver();
        return;
      }
    }
  }

  /** A state record: 4 bytes of the positions' length, the positions' JSON, then the step's snapshot. */
  private static byte[] withPositions(byte[] snapshot, Map<TopicPartition, Long> positions) {
    JsonObject at = new JsonObject();
    positions.forEach((p, o) -> at.put(p.topic() + "/" + p.partition(), o));
    byte[] head = at.encode().getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[4 + head.length + snapshot.length];
    java.nio.ByteBuffer.wrap(out).putInt(head.length).put(head).put(snapshot);
    return out;
  }

  private static byte[] positionsOf(byte[] saved) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(saved);
    byte[] head = new byte[b.getInt()];
    b.get(head);
    return head;
  }

  /** The step's own snapshot inside a state record. */
  public static byte[] snapshotOf(byte[] saved) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(saved);
    int skip = b.getInt();
    byte[] out = new byte[saved.length - 4 - skip];
    b.position(4 + skip);
    b.get(out);
    return out;
  }

  public void stop() {
    running = false;
    ConsumerThreads.stop(thread, 15_000, ticks, input);
  }
}
