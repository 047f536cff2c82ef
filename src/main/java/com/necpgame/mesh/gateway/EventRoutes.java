package com.necpgame.mesh.gateway;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.envelope.Violation;
import com.necpgame.mesh.gateway.Publications.Refusal;
import com.necpgame.mesh.security.AuditLog;
import com.necpgame.mesh.security.Principal;
import com.necpgame.mesh.security.Security;
import com.necpgame.mesh.store.EventLifecycle;
import com.necpgame.mesh.store.EventStatus;
import com.necpgame.mesh.store.EventStore;
import com.necpgame.mesh.store.SubscriptionRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

/**
 * {@code POST /events/publish} ({@link Publications}), {@code POST /events/publish/batch} for many at once, {@code POST
 * /events/game/publish} for the seed's structured game event; {@code GET /events/{eventId}/status} (the lifecycle of
 * {@link EventLifecycle}; {@code pending} only on the process that accepted the event, while Kafka has not
 * acknowledged it) and {@code POST /events/{eventId}/ack}.
 */
final class EventRoutes {

  private static final Pattern ACTION = Pattern.compile("[a-z][a-z0-9_]{0,60}");
  private static final Set<String> GAME_FIELDS = Set.of("player_id", "session_id", "action_type", "topic",
      "game_mode", "map_name", "action_data", "position", "server_id", "region", "version");

  private final MeshContext mesh;
  private final Publications publications;
  private final Security security;
  private final EventStatus store;
  private final Acknowledgements acks;
  private final LocalMap<String, String> pending;

  EventRoutes(Vertx vertx, MeshContext mesh, Publications publications, Security security) {
    this.mesh = mesh;
    this.publications = publications;
    this.security = security;
    this.store = new EventStatus(mesh.pool());
    this.acks = new Acknowledgements(new SubscriptionRegistry(mesh.pool(), mesh.secrets()), store,
        new EventStore(mesh.pool()));
    this.pending = Publications.pending(vertx);
  }

  void mount(Router router) {
    json(router.post("/events/publish"), this::publish);
    json(router.post("/events/publish/batch"), this::publishBatch);
    json(router.post("/events/game/publish"), this::publishGame);
    router.get("/events/:eventId/status").handler(this::status);
    json(router.post("/events/:eventId/ack"), this::ack);
  }

  /** {@code {"subscription_id": "<id>"}}: the subscription processed the event ({@link Acknowledgements}). */
  private void ack(RoutingContext ctx, JsonObject request) {
    String id = ctx.pathParam("eventId");
    if (!(request.getValue("subscription_id") instanceof String subscription) || subscription.isBlank()
        || request.size() != 1) {
      ApiErrors.send(ctx, 400, "invalid_ack", "expected {\"subscription_id\": \"<id>\"} and nothing else",
          new JsonArray().add(new Violation("/subscription_id", "expected the id of the subscription").toJson()));
      return;
    }
    acks.ack(SecurityHandler.principal(ctx), id, subscription).onSuccess(ctx::json)
        .onFailure(e -> ApiErrors.send(ctx, e instanceof Refusal r ? r
            : Refusal.unavailable("the acknowledgement was not recorded", e, RequestIds.of(ctx).requestId())));
  }

  /** The header of a single publish's idempotency key; a batch gives each event its own {@code idempotency_key}. */
  static final String IDEMPOTENCY_KEY = "Idempotency-Key";
  /** On an answer that repeats an earlier acknowledgement (nothing was written to Kafka). */
  static final String REPLAYED = "Idempotent-Replayed";

  private void publish(RoutingContext ctx, JsonObject request) {
    publications.publish(request, admission(ctx), RequestIds.of(ctx), SecurityHandler.principal(ctx).name(),
        ctx.request().getHeader(IDEMPOTENCY_KEY)).onSuccess(ack -> {
          if (ack.getBoolean("replayed", false)) {
            ctx.response().putHeader(REPLAYED, "true");
          }
          ctx.json(ack);
        })
        .onFailure(e -> ApiErrors.send(ctx, Refusal.of(e, null)));
  }

  /**
   * The seed's structured game event ({@code player_id, session_id, action_type, topic, game_mode, map_name,
   * action_data, position, server_id, region, version}) as event type {@code game.<action_type>} from its server.
   */
  private void publishGame(RoutingContext ctx, JsonObject game) {
    JsonArray problems = new JsonArray();
    RequestFields.of(game, GAME_FIELDS, problems); // reports the unknown fields
    if (!(game.getValue("action_type") instanceof String action) || !ACTION.matcher(action).matches()) {
      problems.add(new Violation("/action_type", "expected a lower-case action such as kill or match_start").toJson());
    }
    if (!problems.isEmpty()) {
      ApiErrors.send(ctx, 400, "invalid_event", "the event is not valid", problems);
      return;
    }
    JsonObject data = Publications.copyPresent(game, new JsonObject(), List.of("action_type", "game_mode",
        "map_name", "action_data", "position", "server_id", "region"));
    if (game.getValue("version") != null) {
      data.put("game_version", game.getValue("version"));
    }
    JsonObject request = Publications.copyPresent(game, new JsonObject(), List.of("player_id", "session_id"))
        .put("event_type", "game." + game.getString("action_type")).put("topic", game.getValue("topic"))
        .put("source", game.getValue("server_id", "game-server")).put("payload", data);
    publish(ctx, request);
  }

  /**
   * {@code {"events": [...]}}, at most {@code http.max_batch_events}: every event is validated and published on its
   * own; 200 when all were published, 207 when some were not, with a result per event in order.
   */
  private void publishBatch(RoutingContext ctx, JsonObject request) {
    if (!(request.getValue("events") instanceof JsonArray events)) {
      ApiErrors.send(ctx, 400, "invalid_batch", "expected {\"events\": [ ... ]}",
          new JsonArray().add(new Violation("/events", "expected an array of events").toJson()));
      return;
    }
    int max = mesh.config().http().maxBatchEvents();
    if (events.size() > max) {
      ApiErrors.send(ctx, 413, "too_many_events", "a batch holds at most " + max + " events "
          + "(http.max_batch_events); this one has " + events.size());
      return;
    }
    if (ctx.request().getHeader(IDEMPOTENCY_KEY) != null) {
      ApiErrors.send(ctx, 400, "invalid_batch", "a batch takes no Idempotency-Key header: give each event its own "
          + "idempotency_key field (or event_id)", new JsonArray().add(new Violation("", "Idempotency-Key header on "
          + "a batch").toJson()));
      return;
    }
    Publications.Admission admission = admission(ctx);
    RequestIds.Ids ids = RequestIds.of(ctx);
    String principal = SecurityHandler.principal(ctx).name();
    List<Future<JsonObject>> outcomes = publications.publishAll(events.stream().toList(), admission, ids, principal);
    Publications.summary(outcomes).onSuccess(summary -> {
      JsonArray results = summary.getJsonArray("results");
      if (!results.isEmpty() && results.stream().allMatch(r -> ((JsonObject) r).getBoolean("replayed", false))) {
        ctx.response().putHeader(REPLAYED, "true");
      }
      ctx.response().setStatusCode(summary.getLong("failed") == 0 ? 200 : 207);
      ctx.json(summary);
    });
  }

  private Publications.Admission admission(RoutingContext ctx) {
    return PublishAdmission.http(security, SecurityHandler.principal(ctx), SecurityHandler.remote(ctx));
  }

  /**
   * {@code route} takes a JSON object ({@code Content-Type: application/json}, else 415): {@code handler} gets it, or
   * the request is answered 400 ({@link #jsonBody}).
   */
  static void json(Route route, BiConsumer<RoutingContext, JsonObject> handler) {
    route.consumes("application/json").handler(ctx -> {
      JsonObject body = jsonBody(ctx);
      if (body != null) {
        handler.accept(ctx, body);
      }
    });
  }

  /** The body as a JSON object, or null after answering 400. */
  static JsonObject jsonBody(RoutingContext ctx) {
    if (ctx.body().length() <= 0) {
      ApiErrors.send(ctx, 400, "malformed_json", "the body is empty; expected a JSON object");
      return null;
    }
    try {
      JsonObject body = ctx.body().asJsonObject();
      if (body == null) { // the JSON text null: answered here, or the caller would wait for an answer never sent
        ApiErrors.send(ctx, 400, "malformed_json", "the body is null; expected a JSON object");
      }
      return body;
    } catch (DecodeException | ClassCastException e) {
      ApiErrors.send(ctx, 400, "malformed_json", "the body is not a JSON object: " + e.getMessage());
      return null;
    }
  }

  /**
   * What the store knows of an event of a topic the caller may subscribe to; an event of another topic is answered as
   * one the store does not have (its id says nothing of its topic, so a 403 would tell that it exists), and audited.
   */
  private void status(RoutingContext ctx) {
    String id = ctx.pathParam("eventId");
    Principal principal = SecurityHandler.principal(ctx);
    store.status(id).map(status -> status == null && pending.containsKey(id) ? EventLifecycle.pending(id, pending.get(id)) : status)
        .onSuccess(status -> {
      boolean hidden = status != null && !principal.acl().maySubscribeTo(status.getString("topic"));
      if (hidden) {
        security.audit().record(AuditLog.ACCESS_DENIED, principal.name(), principal.via(), "event status",
            status.getString("topic"), "topic not in the principal's subscribe ACL", SecurityHandler.remote(ctx));
        security.refused("forbidden", "subscribe");
      }
      if (status == null || hidden) {
        ApiErrors.send(ctx, 404, "event_not_found", "the event store has no event " + id
            + " (events are indexed from Kafka within moments of being published)");
      } else {
        ctx.json(status);
      }
    }).onFailure(e -> ApiErrors.unavailable(ctx, "database_unavailable", "the event store did not answer", e));
  }
}
