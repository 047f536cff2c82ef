package com.necpgame.mesh.delivery;

import com.necpgame.mesh.kafka.DeadLetters;
import com.necpgame.mesh.kafka.EnvelopeRecords;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies one poll's events to the topics of the {@code kafka} subscriptions that match them, each subscription on its
 * own: a target the broker refuses costs only its own subscription, never the others' copies or the router's commit.
 *
 * <p>Per subscription: its copies are sent (after the first one refused at once, the rest of its copies in that round
 * are not sent: a missing topic makes each send wait {@code max.block.ms}), then acknowledged. A refusal is
 * <b>retriable</b> when Kafka marks it so ({@link RetriableException}: a timeout, no leader, not enough replicas, an
 * unknown topic or partition, ...) or no acknowledgement came in time: only that subscription's failed copies are
 * sent again after its own backoff ({@code backoff × 2^(n−1)}), up to {@code maxAttempts} times in all. Any other
 * refusal is <b>permanent</b> (an internal or invalid topic, {@code TopicAuthorizationException}, {@code
 * RecordTooLargeException}, a record without key for a compacted topic, ...). A permanent refusal, or a retriable one
 * still there after the last attempt, gives up: the failed events go to the dead-letter topic with the reason in
 * {@code dlq.*} headers (as a webhook's do) and the subscription is {@link Pauses#pause paused} with that reason.
 * The dead letters are written and acknowledged before the pause: if even they fail, the broker is the problem rather
 * than one target, and the whole batch fails (to be read again) instead of pausing everyone.
 */
final class KafkaCopies {

  /** Pauses a subscription whose copies failed for good; returns whether it was paused now. */
  interface Pauses {
    boolean pause(String subscriptionId, String reason) throws Exception;
  }

  /** What is done when a subscription gives up: metrics, for one. */
  interface GaveUp {
    void gaveUp(String subscriptionId, boolean permanent, int events);
  }

  private static final Logger LOG = LoggerFactory.getLogger(KafkaCopies.class);

  private final Producer<String, byte[]> producer;
  private final String deadLetterTopic;
  private final int maxAttempts;
  private final Duration backoff;
  private final Duration ackTimeout;
  private final Pauses pauses;
  private final GaveUp gaveUp;

  KafkaCopies(Producer<String, byte[]> producer, String deadLetterTopic, int maxAttempts, Duration backoff,
      Duration ackTimeout, Pauses pauses, GaveUp gaveUp) {
    this.producer = producer;
    this.deadLetterTopic = deadLetterTopic;
    this.maxAttempts = maxAttempts;
    this.backoff = backoff;
    this.ackTimeout = ackTimeout;
    this.pauses = pauses;
    this.gaveUp = gaveUp;
  }

  /** Whether Kafka may accept the same record later: a retriable refusal, or no answer in time. */
  static boolean retriable(Throwable error) {
    return error instanceof RetriableException || error instanceof TimeoutException;
  }

  /**
   * Sends each subscription's copies of these records (in record order); returns the subscriptions given up on (their
   * events dead-lettered, themselves paused). Throws only when the dead-letter topic fails too.
   */
  Set<String> deliver(Map<Subscription, List<ConsumerRecord<String, byte[]>>> copies) throws Exception {
    Set<String> paused = new HashSet<>();
    Map<Subscription, List<ConsumerRecord<String, byte[]>>> pending = copies;
    for (int attempt = 1; !pending.isEmpty(); attempt++) {
      Map<Subscription, Round> rounds = new LinkedHashMap<>();
      for (Map.Entry<Subscription, List<ConsumerRecord<String, byte[]>>> e : pending.entrySet()) {
        rounds.put(e.getKey(), send(e.getKey(), e.getValue()));
      }
      Map<Subscription, List<ConsumerRecord<String, byte[]>>> again = new LinkedHashMap<>();
      long deadline = System.nanoTime() + ackTimeout.toNanos();
      for (Map.Entry<Subscription, Round> e : rounds.entrySet()) {
        Round round = e.getValue().await(deadline);
        if (round.failed.isEmpty()) {
          continue;
        }
        Subscription s = e.getKey();
        boolean permanent = !retriable(round.error);
        if (permanent || attempt >= maxAttempts) {
          giveUp(s, round, attempt, permanent);
          paused.add(s.id());
        } else {
          LOG.debug("subscription {}: {} copies to {} failed ({}); attempt {} of {} follows", s.id(),
              round.failed.size(), s.endpoint(), describe(round.error), attempt + 1, maxAttempts);
          again.put(s, round.failed);
        }
      }
      if (!again.isEmpty()) {
        Thread.sleep(backoff.toMillis() << Math.min(attempt - 1, 16));
      }
      pending = again;
    }
    return paused;
  }

  private void giveUp(Subscription s, Round round, int attempts, boolean permanent) throws Exception {
    String reason = "kafka topic " + s.endpoint() + " refused the copies " + (permanent ? "for good" : "after "
        + attempts + " attempt(s)") + ": " + describe(round.error);
    List<Future<RecordMetadata>> dead = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> r : round.failed) {
      dead.add(producer.send(DeadLetters.undelivered(deadLetterTopic, r.topic(), eventId(r), r.value(),
          "subscription:" + s.id(), reason, attempts)));
    }
    for (Future<RecordMetadata> f : dead) {
      f.get(ackTimeout.toMillis(), TimeUnit.MILLISECONDS); // fails the batch: no pause while the broker is down
    }
    boolean now = pauses.pause(s.id(), reason);
    LOG.warn("subscription {} {}: {} event(s) dead-lettered to {} ({})", s.id(), now ? "paused" : "already paused",
        round.failed.size(), deadLetterTopic, reason);
    gaveUp.gaveUp(s.id(), permanent, round.failed.size());
  }

  private Round send(Subscription s, List<ConsumerRecord<String, byte[]>> records) throws InterruptedException {
    Round round = new Round(records);
    for (ConsumerRecord<String, byte[]> r : records) {
      if (round.error != null) {
        round.failed.add(r); // refused at once: the rest waits for the next attempt instead of blocking on each
        continue;
      }
      Future<RecordMetadata> f = producer.send(copy(r, s));
      round.sent.add(f);
      if (f.isDone()) {
        Throwable error = failure(f, 0);
        if (error != null) {
          round.error = error;
        }
      }
    }
    return round;
  }

  /** One subscription's copies in one attempt: sent (futures in record order), failed, and the first error. */
  private static final class Round {
    final List<ConsumerRecord<String, byte[]>> records;
    final List<Future<RecordMetadata>> sent = new ArrayList<>();
    final List<ConsumerRecord<String, byte[]>> failed = new ArrayList<>();
    Throwable error;

    Round(List<ConsumerRecord<String, byte[]>> records) {
      this.records = records;
    }

    /** Waits for the acknowledgements (until {@code deadline}, nanoTime) and lists the copies that failed. */
    Round await(long deadline) throws InterruptedException {
      List<ConsumerRecord<String, byte[]>> unsent = new ArrayList<>(failed);
      failed.clear();
      for (int i = 0; i < sent.size(); i++) {
        Throwable e = failure(sent.get(i), Math.max(0, deadline - System.nanoTime()));
        if (e != null) {
          failed.add(records.get(i));
          error = error == null ? e : error;
        }
      }
      failed.addAll(unsent);
      return this;
    }
  }

  /** Why a send failed (the broker's refusal, or a {@link TimeoutException} when no answer came), or null. */
  private static Throwable failure(Future<RecordMetadata> f, long waitNanos) throws InterruptedException {
    try {
      f.get(waitNanos, TimeUnit.NANOSECONDS);
      return null;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ApiException || e.getCause() instanceof TimeoutException) {
        return e.getCause();
      }
      throw new IllegalStateException("the producer failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      return new TimeoutException("no acknowledgement within the wait");
    }
  }

  static ProducerRecord<String, byte[]> copy(ConsumerRecord<String, byte[]> r, Subscription s) {
    ProducerRecord<String, byte[]> copy = copy(r, s.endpoint(), h -> !h.equals(DeliveryRouter.HEADER_SUBSCRIPTION));
    copy.headers().add(DeliveryRouter.HEADER_SUBSCRIPTION, s.id().getBytes(StandardCharsets.UTF_8));
    return copy;
  }

  /** {@code r} to be sent to {@code topic}: its key, its value and the headers whose name {@code keep} accepts. */
  static ProducerRecord<String, byte[]> copy(ConsumerRecord<String, byte[]> r, String topic, Predicate<String> keep) {
    ProducerRecord<String, byte[]> out = new ProducerRecord<>(topic, null, r.key(), r.value());
    for (Header h : r.headers()) {
      if (keep.test(h.key())) {
        out.headers().add(h);
      }
    }
    return out;
  }

  /** The id a copy's status and dead letter go by: the event's ({@link EnvelopeRecords#eventId}), or its place. */
  static String eventId(ConsumerRecord<String, byte[]> r) {
    return eventId(r, () -> EnvelopeRecords.decode(r.value()));
  }

  /** {@link #eventId(ConsumerRecord)} from {@code envelope}, the value decoded (asked only without the header). */
  static String eventId(ConsumerRecord<String, byte[]> r, Supplier<JsonObject> envelope) {
    String id = EnvelopeRecords.eventId(r, envelope);
    return id != null ? id : EnvelopeRecords.place(r);
  }

  private static String describe(Throwable e) {
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }
}
