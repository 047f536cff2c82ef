package com.necpgame.mesh.delivery;

import static com.necpgame.mesh.store.Rows.column;

import com.necpgame.mesh.kafka.DeadLetters;
import com.necpgame.mesh.kafka.KafkaWorker;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Redelivers the events a {@code requires_ack} subscription of method {@code kafka} or {@code websocket} got and did
 * not acknowledge within its {@code retry_delay}, up to {@code max_retries} times, then dead-letters them; webhooks
 * have their own redelivery ({@link WebhookDispatcher}). One sweep per process ({@link AckSweeper}) every {@code
 * delivery.ack_sweep_ms}:
 *
 * <ol>
 *   <li><b>Claim.</b> One statement takes up to {@link #CLAIM} {@code event_subscription_state} rows {@code delivered},
 *   {@code requires_ack}, whose subscription is active and whose row was last written {@code retry_delay} seconds ago
 *   or more, oldest first, {@code FOR UPDATE SKIP LOCKED} (two processes never claim the same row), and in the same
 *   statement sets their {@code updated_at} to now and adds the attempt: the claim is the lease, the row is not due
 *   again for {@code retry_delay}. A {@code websocket} row is claimed only by a process where a socket of its
 *   subscription is connected ({@link SocketSubscriptions}); with none connected anywhere it waits, and is redelivered
 *   once a socket joins the subscription again (after {@code retry_delay} has passed).</li>
 *   <li><b>Read.</b> The event is read again from Kafka where the delivery read it ({@link RecordReader}): key, value
 *   and headers as the first copy had them.</li>
 *   <li><b>Redeliver.</b> kafka: copied again to the subscription's topic, with the {@code subscription_id} header and
 *   a {@code redelivery} header ({@code "1"}, {@code "2"}, ...); websocket: handed to one socket of the subscription on
 *   this process as its {@code event} frame with {@code "redelivery": n}. {@code attempts} becomes {@code n + 1}.</li>
 *   <li><b>Give up.</b> A row claimed with {@code attempts > max_retries} (the first delivery and {@code max_retries}
 *   redeliveries all unacknowledged) is sent to {@code delivery.dead_letter_topic} (reason {@code "not acknowledged
 *   within retry_delay (N s) after K deliveries"}) and, once Kafka acknowledged the dead letter, marked {@code
 *   failed}. An event Kafka no longer holds (retention) is dead-lettered at once with that reason and no value.</li>
 * </ol>
 * A redelivery that could not be made (Kafka refused the copy or could not be read in time, the socket left) takes its
 * attempt back and notes why in {@code last_error}; it is tried again after {@code retry_delay}. An acknowledgement
 * that comes meanwhile wins: outcomes only change rows still {@code delivered}. A process that dies between the claim
 * and the send loses nothing but time: the row is due again after {@code retry_delay}. Rows written before V11 (no
 * place in Kafka) are never claimed.
 */
final class AckRedelivery {

  /** Rows one sweep claims at most. */
  static final int CLAIM = 500;
  /** The header (and frame field) that counts redeliveries. */
  static final String HEADER_REDELIVERY = "redelivery";

  private static final Logger LOG = LoggerFactory.getLogger(AckRedelivery.class);

  private static final String CLAIM_DUE = "WITH due AS (SELECT s.event_id, s.subscription_id, s.attempts AS before "
      + "FROM event_subscription_state s JOIN event_subscriptions sub ON sub.subscription_id = s.subscription_id "
      + "WHERE s.state = 'delivered' AND s.requires_ack AND s.method IN ('kafka', 'websocket') "
      + "AND (s.method = 'kafka' OR s.subscription_id = ANY($1::varchar[])) AND s.topic IS NOT NULL "
      + "AND sub.status = 'active' AND s.updated_at <= NOW() - make_interval(secs => sub.retry_delay) "
      + "ORDER BY s.updated_at LIMIT $2 FOR UPDATE OF s SKIP LOCKED) "
      + "UPDATE event_subscription_state s SET updated_at = NOW(), "
      + "attempts = CASE WHEN due.before > sub.max_retries THEN s.attempts ELSE s.attempts + 1 END "
      + "FROM due, event_subscriptions sub WHERE s.event_id = due.event_id AND s.subscription_id = due.subscription_id "
      + "AND sub.subscription_id = s.subscription_id RETURNING s.event_id, s.subscription_id, s.method, s.attempts, "
      + "due.before > sub.max_retries AS exhausted, s.topic, s.kafka_partition, s.kafka_offset, sub.endpoint, "
      + "sub.retry_delay";
  /** What became of claimed rows still delivered (an acknowledgement that came meanwhile is kept). */
  private static final String OUTCOMES = "UPDATE event_subscription_state s SET state = u.st, attempts = u.n, "
      + "last_error = COALESCE(u.er, s.last_error) FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], "
      + "$4::int[], $5::text[]) AS u(e, sub, st, n, er) "
      + "WHERE s.event_id = u.e AND s.subscription_id = u.sub AND s.state = 'delivered'";

  /** A claimed row: {@code attempts} as the claim left it. */
  record Due(String eventId, String subscriptionId, String method, int attempts, boolean exhausted,
      RecordReader.Place place, String endpoint, int retryDelay) {

    /** The redelivery this is (1 for the first). */
    int redelivery() {
      return attempts - 1;
    }
  }

  /** One row's outcome to write. */
  private record Outcome(Due due, String state, int attempts, String error) {}

  private final Pool pool;
  private final Producer<String, byte[]> producer;
  private final RecordReader reader;
  private final SocketSubscriptions sockets;
  private final String deadLetterTopic;
  private final Duration timeout;

  /** {@code timeout}: how long a sweep waits for Kafka (reads, acknowledgements of copies and dead letters). */
  AckRedelivery(Pool pool, Producer<String, byte[]> producer, RecordReader reader, SocketSubscriptions sockets,
      String deadLetterTopic, Duration timeout) {
    this.pool = pool;
    this.producer = producer;
    this.reader = reader;
    this.sockets = sockets;
    this.deadLetterTopic = deadLetterTopic;
    this.timeout = timeout;
  }

  /**
   * The sweeps of one process as a {@link KafkaWorker} body: a sweep every {@code every}, at once again after a sweep
   * that claimed all it could; a failed sweep (database or broker away) is logged and the next one tries again. Each
   * life reads with a consumer of its own ({@code consumers}) and sweeps with the {@code AckRedelivery} made for it.
   */
  static KafkaWorker.Body sweeps(Supplier<Consumer<String, byte[]>> consumers,
      Function<RecordReader, AckRedelivery> redelivery, Duration every) {
    return life -> {
      try (Consumer<String, byte[]> c = life.wakes(consumers.get())) {
        AckRedelivery sweeper = redelivery.apply(new RecordReader(c));
        life.ready();
        while (life.running()) {
          int claimed = 0;
          try {
            claimed = sweeper.sweep();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          } catch (WakeupException e) {
            if (life.running()) {
              throw e;
            }
          } catch (Exception e) {
            LOG.warn("ack redelivery sweep failed (tried again in {} ms): {}", every.toMillis(), e.toString());
          }
          if (claimed < CLAIM) {
            life.pause(every);
          }
        }
      }
    };
  }

  /** One sweep, blocking; returns the rows claimed. */
  int sweep() throws Exception {
    List<Due> due = claim();
    if (due.isEmpty()) {
      return 0;
    }
    Map<RecordReader.Place, Optional<ConsumerRecord<String, byte[]>>> records =
        reader.read(due.stream().map(Due::place).distinct().toList(), timeout);
    Map<Due, Future<RecordMetadata>> sent = new LinkedHashMap<>();
    List<Outcome> outcomes = new ArrayList<>();
    for (Due d : due) {
      Optional<ConsumerRecord<String, byte[]>> found = records.get(d.place());
      if (found == null) {
        outcomes.add(notNow(d, "not redelivered: the event could not be read from Kafka in time"));
      } else if (found.isEmpty() || d.exhausted()) {
        String reason = found.isEmpty() ? "not redelivered: Kafka no longer holds the event (" + d.place() + ")"
            : "not acknowledged within retry_delay (" + d.retryDelay() + " s) after " + d.attempts() + " deliveries";
        sent.put(d, producer.send(DeadLetters.undelivered(deadLetterTopic, d.place().topic(), d.eventId(),
            found.map(ConsumerRecord::value).orElse(null), "subscription:" + d.subscriptionId(), reason,
            d.attempts())));
        outcomes.add(new Outcome(d, "failed", d.attempts(), reason));
      } else if ("kafka".equals(d.method())) {
        sent.put(d, producer.send(copy(found.get(), d)));
        outcomes.add(new Outcome(d, "delivered", d.attempts(), null));
      } else if (sockets.redeliver(d.subscriptionId(), found.get(), d.redelivery())) {
        outcomes.add(new Outcome(d, "delivered", d.attempts(), null));
      } else {
        outcomes.add(notNow(d, "not redelivered: no socket of the subscription on this process any more"));
      }
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    for (int i = 0; i < outcomes.size(); i++) {
      Outcome o = outcomes.get(i);
      Future<RecordMetadata> f = sent.get(o.due());
      String error = f == null ? null : failure(f, deadline);
      if (error != null) { // neither the copy nor the dead letter is in Kafka: this attempt did not happen
        outcomes.set(i, notNow(o.due(), ("failed".equals(o.state()) ? "not dead-lettered: " : "not redelivered: ")
            + error));
      } else if ("failed".equals(o.state())) {
        LOG.warn("subscription {}: event {} dead-lettered to {} ({})", o.due().subscriptionId(), o.due().eventId(),
            deadLetterTopic, o.error());
      }
    }
    record(outcomes);
    return due.size();
  }

  /** The row as it was before the claim's attempt, with why nothing was sent; due again after retry_delay. */
  private static Outcome notNow(Due d, String why) {
    LOG.debug("subscription {}: event {} {}", d.subscriptionId(), d.eventId(), why);
    return new Outcome(d, "delivered", d.exhausted() ? d.attempts() : d.attempts() - 1, why);
  }

  /** The copy sent again: the record's key, value and headers, the subscription's id and the redelivery's number. */
  static ProducerRecord<String, byte[]> copy(ConsumerRecord<String, byte[]> r, Due d) {
    ProducerRecord<String, byte[]> copy = KafkaCopies.copy(r, d.endpoint(),
        h -> !h.equals(DeliveryRouter.HEADER_SUBSCRIPTION) && !h.equals(HEADER_REDELIVERY));
    copy.headers().add(DeliveryRouter.HEADER_SUBSCRIPTION, d.subscriptionId().getBytes(StandardCharsets.UTF_8));
    copy.headers().add(HEADER_REDELIVERY, String.valueOf(d.redelivery()).getBytes(StandardCharsets.UTF_8));
    return copy;
  }

  private List<Due> claim() throws Exception {
    String[] live = sockets.live().toArray(String[]::new);
    List<Due> out = new ArrayList<>();
    for (Row r : pool.preparedQuery(CLAIM_DUE).execute(Tuple.of(live, CLAIM)).toCompletionStage()
        .toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      out.add(new Due(r.getString("event_id"), r.getString("subscription_id"), r.getString("method"),
          r.getInteger("attempts"), r.getBoolean("exhausted"), new RecordReader.Place(r.getString("topic"),
          r.getInteger("kafka_partition"), r.getLong("kafka_offset")), r.getString("endpoint"),
          r.getInteger("retry_delay")));
    }
    return out;
  }

  private void record(List<Outcome> o) throws Exception {
    pool.preparedQuery(OUTCOMES).execute(Tuple.of(column(o, x -> x.due().eventId(), String[]::new),
        column(o, x -> x.due().subscriptionId(), String[]::new), column(o, Outcome::state, String[]::new),
        column(o, Outcome::attempts, Integer[]::new), column(o, Outcome::error, String[]::new)))
        .toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Why a send failed, or null when Kafka acknowledged it by {@code deadline} (nanoTime). */
  private static String failure(Future<RecordMetadata> f, long deadline) throws InterruptedException {
    try {
      f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      return null;
    } catch (ExecutionException e) {
      return String.valueOf(e.getCause());
    } catch (TimeoutException e) {
      return "no acknowledgement from Kafka in time";
    }
  }
}
