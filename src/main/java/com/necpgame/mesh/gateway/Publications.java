package com.necpgame.mesh.gateway;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.envelope.Envelope;
import com.necpgame.mesh.envelope.EventIds;
import com.necpgame.mesh.envelope.Violation;
import com.necpgame.mesh.idempotency.PublishKey;
import com.necpgame.mesh.kafka.EnvelopePublisher;
import com.necpgame.mesh.kafka.EnvelopePublisher.PublishException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The seed's publish request ({@code event_type, topic, source, payload, priority, ...}) to Kafka, for every way in:
 * it becomes an envelope, is validated, and is acknowledged with its topic, partition and offset once Kafka took it,
 * or refused with the status and error body that say why.
 */
final class Publications {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Publications.class);

  /** Events are keyed by session (a match's events stay in order); without one Kafka spreads them. */
  static final String KEY_FIELD = "session_id";
  static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
  private static final Set<String> FIELDS = Set.of("event_type", "topic", "source", "payload", "priority",
      "is_replayable", "correlation_id", "session_id", "player_id", PublishKey.EVENT_ID, PublishKey.FIELD);

  /** Why an event was not published: the status and error body it gets. */
  static final class Refusal extends RuntimeException {
    final int status;
    final String code;
    final JsonArray details;
    /** For a 429: whole seconds to wait before trying again (0: not said). */
    final long retryAfterSeconds;

    Refusal(int status, String code, String message, JsonArray details) {
      this(status, code, message, details, 0);
    }

    Refusal(int status, String code, String message, JsonArray details, long retryAfterSeconds) {
      super(message, null, false, false);
      this.status = status;
      this.code = code;
      this.details = details;
      this.retryAfterSeconds = retryAfterSeconds;
    }

    /**
     * The refusal a failure of {@link #publish} stands for: itself, or 503 for anything else, whose cause is logged
     * with {@code requestId} (if known), not answered (see ApiErrors).
     */
    static Refusal of(Throwable e, String requestId) {
      return e instanceof Refusal r ? r : unavailable("the event was not published", e, requestId);
    }

    /** 503 {@code kafka_unavailable}: {@code what} failed; {@code cause} is logged, not answered (see ApiErrors). */
    static Refusal unavailable(String what, Throwable cause, String requestId) {
      LOG.warn("{} (request id {}): {}", what, requestId, String.valueOf(cause));
      return new Refusal(503, "kafka_unavailable", ApiErrors.unavailableMessage(what, requestId), null);
    }

    JsonObject toJson() {
      return new JsonObject().put("code", code).put("message", getMessage())
          .put("details", details == null ? new JsonArray() : details);
    }
  }

  /** Whether a caller may publish one event to a topic now: null, or the refusal (403, 429) it gets. */
  @FunctionalInterface
  interface Admission {
    Refusal admit(String topic);
  }

  private final MeshContext mesh;
  private final EnvelopePublisher publisher;
  private final TopicGate topics;
  private final KeyedPublications keyed;
  private final LocalMap<String, String> pending;

  Publications(Vertx vertx, MeshContext mesh, EnvelopePublisher publisher) {
    this.mesh = mesh;
    this.publisher = publisher;
    this.topics = new TopicGate(vertx, mesh);
    this.keyed = new KeyedPublications(vertx, mesh);
    this.pending = pending(vertx);
  }

  /** As {@link #publish(Object, Admission, RequestIds.Ids, String, String)} without an Idempotency-Key header. */
  Future<JsonObject> publish(Object item, Admission admission, RequestIds.Ids ids, String principal) {
    return publish(item, admission, ids, principal, null);
  }

  /**
   * The events this process accepted and Kafka has not acknowledged yet, by id, with their topic: what {@code GET
   * /events/{id}/status} answers {@code pending} from (on this process only; other processes know nothing of them).
   */
  static LocalMap<String, String> pending(Vertx vertx) {
    return vertx.sharedData().getLocalMap("mesh.events.pending");
  }

  /**
   * One publish request: {@code {event_id, topic, partition, offset, published}}, or failed with a {@link Refusal}.
   * A valid event is then let through by {@code admission} (the caller's ACL and rate limits) or refused. The event
   * takes the request's correlation id when it names none, and its record carries the request id. A request with an
   * idempotency key ({@code headerKey}, its {@code idempotency_key} or its own {@code event_id}), scoped to {@code
   * principal}, is published at most once within {@code idempotency.window_ms} ({@link KeyedPublications}; its answer
   * has {@code replayed}); one without takes the path it always took, with no database call.
   */
  Future<JsonObject> publish(Object item, Admission admission, RequestIds.Ids ids, String principal,
      String headerKey) {
    return publishAll(java.util.Collections.singletonList(item), admission, ids, principal, headerKey).get(0);
  }

  /**
   * The publish requests of a batch, each as {@link #publish} (without an Idempotency-Key header): an outcome per
   * request, in order. The keyed ones are claimed, and their acknowledgements recorded, together.
   */
  List<Future<JsonObject>> publishAll(List<?> items, Admission admission, RequestIds.Ids ids, String principal) {
    return publishAll(items, admission, ids, principal, null);
  }

  private List<Future<JsonObject>> publishAll(List<?> items, Admission admission, RequestIds.Ids ids,
      String principal, String headerKey) {
    List<Future<JsonObject>> outcomes = new ArrayList<>(items.size());
    List<Accepted> keyedEvents = new ArrayList<>();
    List<Promise<JsonObject>> keyedOutcomes = new ArrayList<>();
    for (Object item : items) {
      Accepted event;
      try {
        event = accept(item, admission, ids, principal, headerKey);
      } catch (Refusal refused) {
        outcomes.add(Future.failedFuture(refused));
        continue;
      }
      if (event.key() == null) {
        outcomes.add(topics.open(event.topic())
            .compose(v -> send(event.topic(), event.envelope(), ids))
            .map(ack -> new JsonObject().put("event_id", event.envelope().getString("event_id"))
                .put("topic", event.topic()).put("partition", ack.getInteger("partition"))
                .put("offset", ack.getLong("offset")).put("published", true))
            .recover(e -> Future.failedFuture(refusal(e, ids))));
      } else {
        Promise<JsonObject> outcome = Promise.promise();
        keyedEvents.add(event);
        keyedOutcomes.add(outcome);
        outcomes.add(outcome.future());
      }
    }
    if (!keyedEvents.isEmpty()) {
      publishKeyed(keyedEvents, keyedOutcomes, ids);
    }
    return outcomes;
  }

  /** A valid, admitted publish request: its topic, its envelope and its idempotency key (null: none). */
  private record Accepted(String topic, JsonObject envelope, PublishKey key) {}

  /** The publish request {@code item} validated and admitted, or the {@link Refusal} (400, 403, 429) it gets. */
  private Accepted accept(Object item, Admission admission, RequestIds.Ids ids, String principal, String headerKey) {
    if (!(item instanceof JsonObject request)) {
      throw new Refusal(400, "invalid_event", "an event must be a JSON object", null);
    }
    JsonArray problems = new JsonArray();
    PublishKey key = PublishKey.of(principal, request, headerKey, problems);
    JsonObject envelope = envelopeOf(request, ids.correlationId(), problems);
    if (key != null && key.eventId() != null && envelope != null) {
      envelope.put("event_id", key.eventId());
    }
    String topic = request.getValue("topic") instanceof String t ? t : null;
    if (topic == null || !TOPIC.matcher(topic).matches()) {
      problems.add(new Violation("/topic", "expected a topic name (1-249 of a-z A-Z 0-9 . _ -)").toJson());
    }
    if (!problems.isEmpty()) {
      throw new Refusal(400, "invalid_event", "the event is not valid", problems);
    }
    Refusal refused = admission.admit(topic);
    if (refused != null) {
      throw refused;
    }
    return new Accepted(topic, envelope, key);
  }

  /** The keyed events of a request, once their topics are open, to {@link KeyedPublications} together. */
  private void publishKeyed(List<Accepted> events, List<Promise<JsonObject>> outcomes, RequestIds.Ids ids) {
    List<Future<Void>> opened = events.stream().map(e -> topics.open(e.topic())).toList();
    Future.join(opened).onComplete(all -> {
      List<KeyedPublications.Keyed> open = new ArrayList<>();
      List<Promise<JsonObject>> openOutcomes = new ArrayList<>();
      for (int i = 0; i < events.size(); i++) {
        Accepted event = events.get(i);
        if (opened.get(i).failed()) {
          outcomes.get(i).fail(refusal(opened.get(i).cause(), ids));
        } else {
          open.add(new KeyedPublications.Keyed(event.key(), event.topic(), event.envelope(),
              e -> send(event.topic(), e, ids)));
          openOutcomes.add(outcomes.get(i));
        }
      }
      List<Future<JsonObject>> acks = keyed.publishAll(open, ids.requestId());
      for (int i = 0; i < acks.size(); i++) {
        acks.get(i).recover(e -> Future.failedFuture(refusal(e, ids))).onComplete(openOutcomes.get(i));
      }
    });
  }

  /** Sends an envelope, {@link #pending} until Kafka answers. */
  private Future<JsonObject> send(String topic, JsonObject envelope, RequestIds.Ids ids) {
    String id = envelope.getString("event_id");
    pending.put(id, topic);
    return publisher.publish(topic, KEY_FIELD, envelope, ids.requestId()).onComplete(ar -> pending.remove(id));
  }

  private static Refusal refusal(Throwable e, RequestIds.Ids ids) {
    return e instanceof TopicGate.NoSuchTopic
        ? new Refusal(404, "topic_not_found", e.getMessage(), null)
        : e instanceof PublishException p && p.code() == 413
            ? new Refusal(413, "payload_too_large", p.getMessage(), null)
            : Refusal.of(e, ids.requestId());
  }

  /**
   * What a batch came to once every event was answered: {@code {published, failed, results}}, a result per event in
   * order (see {@link #result}).
   */
  static Future<JsonObject> summary(List<Future<JsonObject>> outcomes) {
    return Future.join(outcomes).transform(done -> {
      JsonArray results = new JsonArray();
      for (int i = 0; i < outcomes.size(); i++) {
        results.add(result(outcomes.get(i), i));
      }
      long failed = outcomes.stream().filter(Future::failed).count();
      return Future.succeededFuture(new JsonObject().put("published", outcomes.size() - failed).put("failed", failed)
          .put("results", results));
    });
  }

  /** The outcome of the {@code index}th event of a batch: its acknowledgement, or {@code {index, status, error}}. */
  static JsonObject result(Future<JsonObject> outcome, int index) {
    if (outcome.succeeded()) {
      return outcome.result().copy().put("index", index);
    }
    Refusal refusal = Refusal.of(outcome.cause(), null);
    return new JsonObject().put("index", index).put("status", refusal.status).put("error", refusal.toJson());
  }

  /** The envelope of a publish request; problems are reported with pointers into the request, not the envelope. */
  private JsonObject envelopeOf(JsonObject request, String correlationId, JsonArray problems) {
    RequestFields.of(request, FIELDS, problems); // reports the unknown fields
    Object payload = request.getValue("payload");
    Object data = payload;
    if (payload instanceof String text) {
      try {
        data = new JsonObject(text);
      } catch (DecodeException | ClassCastException e) {
        problems.add(new Violation("/payload", "expected a JSON object, or a string holding one").toJson());
        return null;
      }
    } else if (payload == null) {
      data = new JsonObject();
    }
    JsonObject envelope = new JsonObject()
        .put("event_id", EventIds.newId().toString())
        .put("event_type", request.getValue("event_type"))
        .put("timestamp", Instant.now().toString())
        .put("version", Envelope.CURRENT_VERSION)
        .put("source", request.getValue("source"))
        .put("data", data)
        .put("metadata", new JsonObject().put("priority", request.getValue("priority", "normal"))
            .put("ttl", "7d").put("retry_count", 0));
    if (request.containsKey("is_replayable") && !Boolean.TRUE.equals(request.getValue("is_replayable"))) {
      envelope.getJsonObject("metadata").put("is_replayable", request.getValue("is_replayable")); // the schema checks it
    }
    copyPresent(request, envelope, List.of("correlation_id", "session_id", "player_id"));
    if (correlationId != null && !envelope.containsKey("correlation_id")) {
      envelope.put("correlation_id", correlationId);
    }
    for (Violation v : mesh.validator().validate(envelope)) {
      problems.add(new Violation(requestPointer(v.pointer()), v.message()).toJson());
    }
    return envelope;
  }

  /** {@code to} with the {@code fields} of {@code from} that are there and not null. */
  static JsonObject copyPresent(JsonObject from, JsonObject to, List<String> fields) {
    fields.stream().filter(f -> from.getValue(f) != null).forEach(f -> to.put(f, from.getValue(f)));
    return to;
  }

  private static String requestPointer(String envelopePointer) {
    if (envelopePointer.startsWith("/data")) {
      return "/payload" + envelopePointer.substring("/data".length());
    }
    return envelopePointer.startsWith("/metadata/") ? "/" + envelopePointer.substring("/metadata/".length())
        : envelopePointer;
  }
}
