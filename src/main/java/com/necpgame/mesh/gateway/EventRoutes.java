package com.necpgame.mesh.gateway;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.envelope.Envelope;
import com.necpgame.mesh.envelope.EventIds;
import com.necpgame.mesh.envelope.Violation;
import com.necpgame.mesh.kafka.EnvelopePublisher;
import com.necpgame.mesh.kafka.EnvelopePublisher.PublishException;
import com.necpgame.mesh.store.EventStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code POST /events/publish}: the seed's publish request becomes an envelope, is validated, and is answered with
 * its topic, partition and offset once Kafka acknowledged it; {@code POST /events/publish/batch} does the same for
 * many at once, {@code POST /events/game/publish} for the seed's structured game event. {@code GET
 * /events/{eventId}/status}: what the event store knows of an event.
 */
final class EventRoutes {

  /** Events are keyed by session (a match's events stay in order); without one Kafka spreads them. */
  static final String KEY_FIELD = "session_id";
  private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
  private static final Pattern ACTION = Pattern.compile("[a-z][a-z0-9_]{0,60}");
  private static final Set<String> GAME_FIELDS = Set.of("player_id", "session_id", "action_type", "topic",
      "game_mode", "map_name", "action_data", "position", "server_id", "region", "version");
  private static final Set<String> FIELDS = Set.of("event_type", "topic", "source", "payload", "priority",
      "is_replayable", "correlation_id", "session_id", "player_id");

  private final MeshContext mesh;
  private final EnvelopePublisher publisher;
  private final TopicGate topics;
  private final EventStore store;

  EventRoutes(Vertx vertx, MeshContext mesh, EnvelopePublisher publisher) {
    this.mesh = mesh;
    this.publisher = publisher;
    this.topics = new TopicGate(vertx, mesh);
    this.store = new EventStore(mesh.pool());
  }

  void mount(Router router) {
    router.post("/events/publish").consumes("application/json").handler(this::publish);
    router.post("/events/publish/batch").consumes("application/json").handler(this::publishBatch);
    router.post("/events/game/publish").consumes("application/json").handler(this::publishGame);
    router.get("/events/:eventId/status").handler(this::status);
  }

  /** Why an event was not published: the status and error body it gets. */
  static final class Refusal extends RuntimeException {
    final int status;
    final String code;
    final JsonArray details;

    Refusal(int status, String code, String message, JsonArray details) {
      super(message, null, false, false);
      this.status = status;
      this.code = code;
      this.details = details;
    }

    JsonObject toJson() {
      return new JsonObject().put("code", code).put("message", getMessage())
          .put("details", details == null ? new JsonArray() : details);
    }
  }

  private void publish(RoutingContext ctx) {
    JsonObject request = jsonBody(ctx);
    if (request != null) {
      publishOne(request).onSuccess(ctx::json)
          .onFailure(e -> send(ctx, e instanceof Refusal r ? r : unavailable(e)));
    }
  }

  /**
   * The seed's structured game event ({@code player_id, session_id, action_type, topic, game_mode, map_name,
   * action_data, position, server_id, region, version}) as event type {@code game.<action_type>} from its server.
   */
  private void publishGame(RoutingContext ctx) {
    JsonObject game = jsonBody(ctx);
    if (game == null) {
      return;
    }
    JsonArray problems = new JsonArray();
    game.fieldNames().stream().filter(f -> !GAME_FIELDS.contains(f)).sorted()
        .forEach(f -> problems.add(new Violation("/" + f, "unknown field; expected one of "
            + GAME_FIELDS.stream().sorted().toList()).toJson()));
    if (!(game.getValue("action_type") instanceof String action) || !ACTION.matcher(action).matches()) {
      problems.add(new Violation("/action_type", "expected a lower-case action such as kill or match_start").toJson());
    }
    if (!problems.isEmpty()) {
      send(ctx, new Refusal(400, "invalid_event", "the event is not valid", problems));
      return;
    }
    JsonObject data = new JsonObject();
    for (String field : List.of("action_type", "game_mode", "map_name", "action_data", "position", "server_id",
        "region")) {
      if (game.getValue(field) != null) {
        data.put(field, game.getValue(field));
      }
    }
    if (game.getValue("version") != null) {
      data.put("game_version", game.getValue("version"));
    }
    JsonObject request = new JsonObject().put("event_type", "game." + game.getString("action_type"))
        .put("topic", game.getValue("topic")).put("source", game.getValue("server_id", "game-server"))
        .put("payload", data);
    for (String id : List.of("player_id", "session_id")) {
      if (game.getValue(id) != null) {
        request.put(id, game.getValue(id));
      }
    }
    publishOne(request).onSuccess(ctx::json).onFailure(e -> send(ctx, e instanceof Refusal r ? r : unavailable(e)));
  }

  /**
   * {@code {"events": [...]}}, at most {@code http.max_batch_events}: every event is validated and published on its
   * own; 200 when all were published, 207 when some were not, with a result per event in order.
   */
  private void publishBatch(RoutingContext ctx) {
    JsonObject request = jsonBody(ctx);
    if (request == null) {
      return;
    }
    if (!(request.getValue("events") instanceof JsonArray events)) {
      send(ctx, new Refusal(400, "invalid_batch", "expected {\"events\": [ ... ]}",
          new JsonArray().add(new Violation("/events", "expected an array of events").toJson())));
      return;
    }
    int max = mesh.config().http().maxBatchEvents();
    if (events.size() > max) {
      send(ctx, new Refusal(413, "too_many_events", "a batch holds at most " + max + " events (http.max_batch_events); "
          + "this one has " + events.size(), null));
      return;
    }
    List<Future<JsonObject>> results = new ArrayList<>(events.size());
    for (Object event : events) {
      results.add(publishOne(event));
    }
    Future.join(results).onComplete(done -> {
      JsonArray out = new JsonArray();
      int failed = 0;
      for (int i = 0; i < results.size(); i++) {
        Future<JsonObject> r = results.get(i);
        if (r.succeeded()) {
          out.add(r.result().put("index", i));
        } else {
          failed++;
          Refusal refusal = r.cause() instanceof Refusal rf ? rf : unavailable(r.cause());
          out.add(new JsonObject().put("index", i).put("status", refusal.status).put("error", refusal.toJson()));
        }
      }
      ctx.response().setStatusCode(failed == 0 ? 200 : 207);
      ctx.json(new JsonObject().put("published", results.size() - failed).put("failed", failed).put("results", out));
    });
  }

  /** One publish request to Kafka: the acknowledgement, or a {@link Refusal} saying why not. */
  private Future<JsonObject> publishOne(Object item) {
    if (!(item instanceof JsonObject request)) {
      return Future.failedFuture(new Refusal(400, "invalid_event", "an event must be a JSON object", null));
    }
    JsonArray problems = new JsonArray();
    JsonObject envelope = envelopeOf(request, problems);
    String topic = request.getValue("topic") instanceof String t ? t : null;
    if (topic == null || !TOPIC.matcher(topic).matches()) {
      problems.add(new Violation("/topic", "expected a topic name (1-249 of a-z A-Z 0-9 . _ -)").toJson());
    }
    if (!problems.isEmpty()) {
      return Future.failedFuture(new Refusal(400, "invalid_event", "the event is not valid", problems));
    }
    return topics.open(topic)
        .compose(v -> publisher.publish(topic, KEY_FIELD, envelope))
        .map(ack -> new JsonObject().put("event_id", envelope.getString("event_id")).put("topic", topic)
            .put("partition", ack.getInteger("partition")).put("offset", ack.getLong("offset")).put("published", true))
        .recover(e -> Future.failedFuture(e instanceof TopicGate.NoSuchTopic
            ? new Refusal(404, "topic_not_found", e.getMessage(), null)
            : e instanceof PublishException p && p.code() == 413
                ? new Refusal(413, "payload_too_large", p.getMessage(), null)
                : unavailable(e)));
  }

  private static Refusal unavailable(Throwable e) {
    return new Refusal(503, "kafka_unavailable", "the event was not published: " + e.getMessage(), null);
  }

  private static void send(RoutingContext ctx, Refusal refusal) {
    ApiErrors.send(ctx, refusal.status, refusal.code, refusal.getMessage(), refusal.details);
  }

  /** The body as a JSON object, or null after answering 400. */
  static JsonObject jsonBody(RoutingContext ctx) {
    if (ctx.body().length() <= 0) {
      ApiErrors.send(ctx, 400, "malformed_json", "the body is empty; expected a JSON object");
      return null;
    }
    try {
      return ctx.body().asJsonObject();
    } catch (DecodeException | ClassCastException e) {
      ApiErrors.send(ctx, 400, "malformed_json", "the body is not a JSON object: " + e.getMessage());
      return null;
    }
  }

  /** The envelope of a publish request; problems are reported with pointers into the request, not the envelope. */
  private JsonObject envelopeOf(JsonObject request, JsonArray problems) {
    request.fieldNames().stream().filter(f -> !FIELDS.contains(f)).sorted()
        .forEach(f -> problems.add(new Violation("/" + f, "unknown field; expected one of "
            + FIELDS.stream().sorted().toList()).toJson()));
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
    for (String id : List.of("correlation_id", "session_id", "player_id")) {
      if (request.getValue(id) != null) {
        envelope.put(id, request.getValue(id));
      }
    }
    for (Violation v : mesh.validator().validate(envelope)) {
      problems.add(new Violation(requestPointer(v.pointer()), v.message()).toJson());
    }
    return envelope;
  }

  private static String requestPointer(String envelopePointer) {
    if (envelopePointer.startsWith("/data")) {
      return "/payload" + envelopePointer.substring("/data".length());
    }
    return envelopePointer.startsWith("/metadata/") ? "/" + envelopePointer.substring("/metadata/".length())
        : envelopePointer;
  }

  private void status(RoutingContext ctx) {
    String id = ctx.pathParam("eventId");
    store.status(id).onSuccess(status -> {
      if (status == null) {
        ApiErrors.send(ctx, 404, "event_not_found", "the event store has no event " + id
            + " (events are indexed from Kafka within moments of being published)");
      } else {
        ctx.json(status);
      }
    }).onFailure(e -> ApiErrors.send(ctx, 503, "database_unavailable", "the event store did not answer"));
  }
}
