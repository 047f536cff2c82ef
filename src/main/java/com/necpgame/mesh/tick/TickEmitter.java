package com.necpgame.mesh.tick;

import com.necpgame.mesh.kafka.EnvelopeRecords;
import com.necpgame.mesh.kafka.KafkaClients;
import com.necpgame.mesh.kafka.PartitionScan;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Emits ticks, as the one leader. Every emitter uses the same transactional id, so {@link #takeOver} fences whoever
 * emitted before (a paused old leader's next commit fails with {@link Fenced}, nothing of it is visible) and aborts
 * what it left open; it then reads the last tick of each schedule from its topic (read committed) and continues from
 * there. {@link #emitDue} sends everything due in one transaction. All calls are blocking and from one thread.
 */
public final class TickEmitter implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(TickEmitter.class);

  /** Another emitter took over: this one must stop. */
  public static final class Fenced extends Exception {
    Fenced(Throwable cause) {
      super("another tick emitter took over: " + cause.getMessage(), cause);
    }
  }

  /** A schedule and the topic its ticks go to. */
  public record Channel(TickSchedule schedule, String topic) {}

  private final KafkaClients kafka;
  private final String transactionalId;
  private final GameClock clock;
  private final List<Channel> channels;
  private final int maxCatchUp;
  private final Map<String, Instant> last = new HashMap<>();
  private KafkaProducer<String, byte[]> producer;

  public TickEmitter(KafkaClients kafka, String transactionalId, GameClock clock, List<Channel> channels,
      int maxCatchUp) {
    this.kafka = kafka;
    this.transactionalId = transactionalId;
    this.clock = clock;
    this.channels = channels;
    this.maxCatchUp = maxCatchUp;
  }

  /** Fences the previous emitter and reads where each schedule is. */
  public void takeOver() {
    close();
    Map<String, Object> props = kafka.producerProps("tick");
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    try {
      producer.initTransactions();
      last.clear();
      for (Channel c : channels) {
        Instant at = lastTick(c);
        last.put(c.schedule().name(), at);
        LOG.info("tick emitter {}: {} resumes after {}", transactionalId, c.schedule().name(),
            at == null ? "nothing (no tick in " + c.topic() + ")" : c.schedule().tickId(at));
      }
    } catch (RuntimeException e) {
      close(); // not taken over (an initTransactions that timed out, a resume read that failed): emitting without
      // knowing where each schedule is would repeat or skip ticks; the next try starts anew
      throw e;
    }
  }

  /** Whether it took over and was not fenced or closed since. */
  public boolean ready() {
    return producer != null;
  }

  /** Emits what is due at {@code now} in one transaction; answers the real time of the next firing. */
  public Instant emitDue(Instant now) throws Fenced {
    Instant gameNow = clock.gameAt(now);
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
    Map<String, Instant> reached = new HashMap<>();
    for (Channel c : channels) {
      TickSchedule s = c.schedule();
      TickPlan plan = TickPlan.of(s, last.get(s.name()), gameNow, maxCatchUp);
      for (Instant t : plan.emit()) {
        records.add(record(c, TickEvents.tick(s, clock, t, now)));
      }
      if (plan.catchUp() != null) {
        records.add(record(c, TickEvents.catchUp(s, plan, now)));
        LOG.info("tick {} caught up: {} emitted late, {} skipped", s.name(), plan.catchUp().emitted(),
            plan.catchUp().skipped());
      }
      reached.put(s.name(), plan.last());
    }
    if (!records.isEmpty()) {
      send(records);
    }
    last.putAll(reached);
    return nextFiring();
  }

  /** The real time at which the next tick of any schedule is due. */
  public Instant nextFiring() {
    Instant next = null;
    for (Channel c : channels) {
      Instant from = last.get(c.schedule().name());
      Instant t = c.schedule().next(from == null ? clock.gameAt(Instant.now()) : from);
      if (t != null && (next == null || t.isBefore(next))) {
        next = t;
      }
    }
    return next == null ? null : clock.realAt(next);
  }

  private static ProducerRecord<String, byte[]> record(Channel c, JsonObject envelope) {
    ProducerRecord<String, byte[]> record = EnvelopeRecords.record(c.topic(), "event_type", envelope);
    // every tick of a schedule on one partition, in order
    return new ProducerRecord<>(record.topic(), null, null, c.schedule().name(), record.value(), record.headers());
  }

  private void send(List<ProducerRecord<String, byte[]>> records) throws Fenced {
    try {
      producer.beginTransaction();
      records.forEach(producer::send);
      producer.commitTransaction();
    } catch (ProducerFencedException | InvalidProducerEpochException e) {
      close();
      throw new Fenced(e);
    } catch (KafkaException e) {
      try {
        producer.abortTransaction();
      } catch (KafkaException | IllegalStateException abort) {
        // A commit that timed out (the broker away) leaves the producer able only to retry that commit: abort is an
        // IllegalStateException, and so would every later transaction be. Closed, the next step takes over again
        // with a new producer, whose initTransactions ends the open transaction and whose resume reads what is there.
        close();
        if (abort instanceof ProducerFencedException || abort instanceof InvalidProducerEpochException) {
          throw new Fenced(abort);
        }
      }
      throw e;
    } catch (IllegalStateException e) {
      close(); // a producer that can only retry an earlier call that timed out: the next step takes over anew
      throw e;
    }
  }

  /**
   * The game time of the last tick or summary of a schedule in its topic, or null: each partition read backwards in
   * growing windows, each a {@link PartitionScan} bounded by the request timeout, until one holds a tick.
   */
  private Instant lastTick(Channel c) {
    Duration timeout = Duration.ofMillis(kafka.config().requestTimeoutMs());
    try (KafkaConsumer<String, byte[]> consumer = kafka.consumer("tick-resume", null, "earliest")) {
      List<TopicPartition> parts = PartitionScan.partitionsOf(consumer, c.topic(), timeout);
      Map<TopicPartition, Long> begins = consumer.beginningOffsets(parts, timeout);
      Map<TopicPartition, Long> ends = consumer.endOffsets(parts, timeout);
      List<Instant> found = new ArrayList<>();
      for (TopicPartition p : parts) {
        int before = found.size();
        for (long window = 256, to = ends.get(p); to > begins.get(p) && found.size() == before; window *= 4) {
          long from = Math.max(begins.get(p), to - window);
          PartitionScan.between(consumer, Map.of(p, from), Map.of(p, to)).readAll(timeout, r -> {
            Instant at = leavesAt(r.value(), c.schedule());
            if (at != null) {
              found.add(at);
            }
          });
          to = from;
        }
      }
      return found.stream().max(Instant::compareTo).orElse(null);
    }
  }

  private static Instant leavesAt(byte[] value, TickSchedule schedule) {
    try {
      return TickEvents.leavesAt(new JsonObject(new String(value, StandardCharsets.UTF_8)), schedule);
    } catch (RuntimeException e) {
      return null; // not a tick of ours
    }
  }

  @Override
  public void close() {
    if (producer != null) {
      producer.close(Duration.ofSeconds(5));
      producer = null;
    }
  }
}
