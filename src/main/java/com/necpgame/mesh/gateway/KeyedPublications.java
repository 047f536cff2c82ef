package com.necpgame.mesh.gateway;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.gateway.Publications.Refusal;
import com.necpgame.mesh.idempotency.KafkaLookup;
import com.necpgame.mesh.idempotency.KeyRow;
import com.necpgame.mesh.idempotency.PublishKey;
import com.necpgame.mesh.idempotency.PublishKeys;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes with an idempotency key, the same on every process (the key's row in PostgreSQL is the one truth):
 * <ol>
 *   <li>the key is claimed with its event id fixed <em>before</em> the send, so every later attempt reuses that id
 *       (the keys of a batch are claimed in one statement, and their acknowledgements recorded in one);
 *   <li>the claimant sends, then records Kafka's acknowledgement; a repeat answers it ({@code replayed: true}) and
 *       writes nothing to Kafka; the same key with another body is 409 {@code idempotency_key_reused};
 *   <li>a repeat while the claim is in flight waits up to {@code idempotency.in_flight_wait_ms} for it, then is 409
 *       {@code in_progress} with Retry-After;
 *   <li>a claim whose send failed, or unfinished for {@code idempotency.pending_timeout_ms} (its process died between
 *       the claim and recording the acknowledgement), is taken over by one process, which looks for its event id in
 *       the topic ({@link KafkaLookup}) and sends it, with the same id, only when it is not there.
 * </ol>
 * While PostgreSQL does not answer within {@code idempotency.db_timeout_ms}, a keyed publish is 503 with Retry-After.
 */
final class KeyedPublications {

  private static final Logger LOG = LoggerFactory.getLogger(KeyedPublications.class);
  private static final long IN_FLIGHT_POLL_MS = 100;

  private final Vertx vertx;
  private final MeshContext mesh;
  private final MeshConfig.Idempotency config;
  private final PublishKeys keys;

  KeyedPublications(Vertx vertx, MeshContext mesh) {
    this.vertx = vertx;
    this.mesh = mesh;
    this.config = mesh.config().idempotency();
    this.keys = mesh.pool() == null ? null : new PublishKeys(mesh.pool());
  }

  /**
   * A keyed event of a request: its key, its topic, its envelope (its event id the caller's, or a fresh one) and how it
   * is sent (the envelope to Kafka's acknowledgement {@code {partition, offset}}).
   */
  record Keyed(PublishKey key, String topic, JsonObject envelope, Function<JsonObject, Future<JsonObject>> send) {}

  /**
   * Publishes the keyed {@code events} of one request: per event, in order, its acknowledgement {@code {event_id,
   * topic, partition, offset, published, replayed}}, or a {@link Refusal}. However many they are, the events whose
   * keys are new cost two statements: one claims every key, one records every acknowledgement; a key already held
   * (a repeat, one in flight, an abandoned claim, or a key given twice) takes the per-key path.
   */
  List<Future<JsonObject>> publishAll(List<Keyed> events, String requestId) {
    if (events.isEmpty()) {
      return List.of();
    }
    if (keys == null) {
      Refusal refused = unavailable(new IllegalStateException("no database"), requestId);
      return events.stream().map(e -> Future.<JsonObject>failedFuture(refused)).toList();
    }
    List<Attempt> attempts = events.stream().map(e -> new Attempt(e, requestId)).toList();
    List<Promise<JsonObject>> answers = attempts.stream().map(a -> Promise.<JsonObject>promise()).toList();
    db(keys.claim(attempts.stream().map(Attempt::claim).toList(), config.windowMs()), requestId)
        .onFailure(e -> answers.forEach(answer -> answer.fail(e)))
        .onSuccess(claimed -> {
          List<Attempt> fresh = new ArrayList<>();
          List<Future<JsonObject>> sends = new ArrayList<>();
          for (int i = 0; i < attempts.size(); i++) {
            if (claimed.get(i)) {
              fresh.add(attempts.get(i));
              sends.add(attempts.get(i).send());
            } else {
              attempts.get(i).existing().onComplete(answers.get(i));
            }
          }
          Future.join(sends).onComplete(sent -> record(fresh, sends, requestId).onComplete(recorded -> {
            for (int i = 0, f = 0; i < attempts.size(); i++) {
              if (claimed.get(i)) {
                answers.get(i).handle(sends.get(f++));
              }
            }
          }));
        });
    return answers.stream().map(Promise::future).toList();
  }

  /**
   * Records, in one statement, the acknowledgements of the {@code sends} that succeeded ({@code attempts}' in the same
   * order). Kafka has those events: their callers get the acknowledgements even when they cannot be recorded (a repeat
   * then finds the claim pending, and the event in Kafka once the claim is taken over), so this never fails.
   */
  private Future<Void> record(List<Attempt> attempts, List<Future<JsonObject>> sends, String requestId) {
    List<PublishKeys.Acknowledged> acks = new ArrayList<>();
    for (int i = 0; i < attempts.size(); i++) {
      if (sends.get(i).succeeded()) {
        JsonObject ack = sends.get(i).result();
        acks.add(new PublishKeys.Acknowledged(attempts.get(i).event.key(), ack.getString("event_id"),
            ack.getInteger("partition"), ack.getLong("offset")));
      }
    }
    if (acks.isEmpty()) {
      return Future.succeededFuture();
    }
    Future<?> hold = config.holdAfterAckMs() == 0 ? Future.succeededFuture()
        : vertx.timer(config.holdAfterAckMs(), TimeUnit.MILLISECONDS);
    return hold.compose(v -> db(keys.published(acks), requestId)).transform(recorded -> {
      if (recorded.failed()) {
        LOG.warn("idempotency keys of request {}: {} events are in Kafka but their acknowledgements were not "
            + "recorded: {}", requestId, acks.size(), String.valueOf(recorded.cause()));
      }
      return Future.succeededFuture();
    });
  }

  /** One keyed event of a request, from its claim to its answer. */
  private final class Attempt {
    private final Keyed event;
    private final PublishKey key;
    private final String requestId;
    private final long waitUntil;
    private int claims = 1;

    Attempt(Keyed event, String requestId) {
      this.event = event;
      this.key = event.key();
      this.requestId = requestId;
      this.waitUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.inFlightWaitMs());
    }

    PublishKeys.Claim claim() {
      return new PublishKeys.Claim(key, event.envelope().getString("event_id"), event.topic());
    }

    /** Claims the key again on its own (its row expired after the request's claim found it held). */
    private Future<JsonObject> claimAgain() {
      claims++;
      return db(keys.claim(List.of(claim()), config.windowMs()), requestId)
          .compose(claimed -> claimed.get(0) ? sendAndRecord() : existing());
    }

    /** The key is held: by a published event, another body, a send in flight or an abandoned claim. */
    private Future<JsonObject> existing() {
      return db(keys.read(key), requestId).compose(row -> {
        if (row == null) { // expired and deleted between the claim and the read: claim it again
          return claims < 3 ? claimAgain() : Future.failedFuture(inProgress());
        }
        return switch (row.decide(key.bodyHash(), config.pendingTimeoutMs())) {
          case CONFLICT -> Future.failedFuture(new Refusal(409, "idempotency_key_reused", "idempotency key \""
              + key.shown() + "\" was used within idempotency.window_ms for a different event (topic, event type, "
              + "source or payload differ); use a new key for a new event", null));
          case REPLAY -> Future.succeededFuture(ack(row.eventId(), row.topic(), row.partition(), row.offset(), true));
          case IN_PROGRESS -> System.nanoTime() < waitUntil
              ? vertx.timer(IN_FLIGHT_POLL_MS, TimeUnit.MILLISECONDS).compose(t -> existing())
              : Future.failedFuture(inProgress());
          case RECOVER -> db(keys.takeOver(key, row), requestId)
              .compose(mine -> mine == null ? existing() : recover(mine));
        };
      });
    }

    /**
     * This process took over an abandoned claim: the event is looked for in the topic from the claim's time; found,
     * its acknowledgement is recorded and answered; not there, it is sent with the claim's event id.
     */
    private Future<JsonObject> recover(KeyRow row) {
      LOG.info("idempotency key of {} (request {}): claim {} of event {} abandoned ({}); looking for it in {}",
          key.principal(), requestId, row.attempt() - 1, row.eventId(), row.state(), row.topic());
      Duration within = Duration.ofMillis(config.recoveryTimeoutMs());
      return vertx.executeBlocking(() -> {
        try (var consumer = mesh.kafka().consumer("idempotency", null, "earliest")) {
          return java.util.Optional.ofNullable(KafkaLookup.find(consumer, row.topic(), row.eventId(),
              row.createdAtMillis(), within));
        }
      }, false).transform(done -> {
        if (done.failed()) {
          LOG.warn("idempotency key of {} (request {}): could not look for event {} in {}: {}", key.principal(),
              requestId, row.eventId(), row.topic(), String.valueOf(done.cause()));
          keys.unknown(key, row.eventId());
          return Future.failedFuture(new Refusal(503, "idempotency_unverified", "an earlier attempt with this "
              + "idempotency key may have been published; the mesh could not check Kafka yet, so it sent nothing. "
              + "Retry later", null, 1));
        }
        if (done.result().isPresent()) {
          KafkaLookup.Found found = done.result().get();
          LOG.info("idempotency key of {}: event {} was in {} at {}/{}; answered, not sent again", key.principal(),
              row.eventId(), row.topic(), found.partition(), found.offset());
          return db(keys.published(List.of(new PublishKeys.Acknowledged(key, row.eventId(), found.partition(),
              found.offset()))), requestId)
              .map(v -> ack(row.eventId(), row.topic(), found.partition(), found.offset(), true));
        }
        event.envelope().put("event_id", row.eventId());
        return sendAndRecord();
      });
    }

    /** This request holds the claim: send, then record the acknowledgement (or that the outcome is unknown). */
    private Future<JsonObject> sendAndRecord() {
      Future<JsonObject> sent = send();
      return sent.transform(done -> record(List.of(this), List.of(sent), requestId)).compose(v -> sent);
    }

    /**
     * This request holds the claim: sends the event (with the claim's event id), answering Kafka's acknowledgement;
     * when the send fails, the key is marked unknown (the event may or may not be in Kafka).
     */
    Future<JsonObject> send() {
      String eventId = event.envelope().getString("event_id");
      return event.send().apply(event.envelope()).transform(sent -> {
        if (sent.failed()) {
          keys.unknown(key, eventId).onFailure(e -> LOG.warn("idempotency key of {}: could not mark event {} "
              + "unknown: {}", key.principal(), eventId, e.toString()));
          return Future.failedFuture(sent.cause());
        }
        return Future.succeededFuture(ack(eventId, event.topic(), sent.result().getInteger("partition"),
            sent.result().getLong("offset"), false));
      });
    }

    private Refusal inProgress() {
      return new Refusal(409, "in_progress", "a publish with idempotency key \"" + key.shown() + "\" is in progress "
          + "and was not acknowledged within " + config.inFlightWaitMs() + " ms (idempotency.in_flight_wait_ms); "
          + "retry after the Retry-After seconds to get its acknowledgement", null, 1);
    }

  }

  /** A call to PostgreSQL, bounded by idempotency.db_timeout_ms; any failure of it is 503. */
  private <T> Future<T> db(Future<T> call, String requestId) {
    return call.timeout(config.dbTimeoutMs(), TimeUnit.MILLISECONDS)
        .recover(e -> Future.failedFuture(unavailable(e, requestId)));
  }

  static JsonObject ack(String eventId, String topic, Integer partition, Long offset, boolean replayed) {
    return new JsonObject().put("event_id", eventId).put("topic", topic).put("partition", partition)
        .put("offset", offset).put("published", true).put("replayed", replayed);
  }

  private static Refusal unavailable(Throwable cause, String requestId) {
    LOG.warn("the idempotency store did not answer (request id {}): {}", requestId, String.valueOf(cause));
    return new Refusal(503, "idempotency_unavailable", ApiErrors.unavailableMessage("the idempotency store "
        + "(PostgreSQL) did not answer, so a keyed publish cannot be deduplicated and was not sent; publishes without "
        + "a key are not affected", requestId), null, 1);
  }
}
