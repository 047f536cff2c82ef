package com.necpgame.mesh.gateway;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.config.SecurityConfig;
import com.necpgame.mesh.config.WorldConfig;
import com.necpgame.mesh.envelope.Envelope;
import com.necpgame.mesh.envelope.EventIds;
import com.necpgame.mesh.envelope.Violation;
import com.necpgame.mesh.kafka.EnvelopePublisher;
import com.necpgame.mesh.market.MarketVerticle;
import com.necpgame.mesh.market.OrderIds;
import com.necpgame.mesh.security.Principal;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The market: orders in ({@code POST /market/orders}, {@code DELETE /market/orders/{id}}) as events on the orders
 * topic keyed by commodity, and what the market process knows out ({@code GET /market/prices}, {@code GET
 * /market/history}, {@code GET /market/{commodity}}), asked of the market verticle of this process over the event bus.
 */
final class MarketRoutes {

  /** Order ids carry their commodity, so a cancel goes to the same partition as the order, after it. */
  private static final Pattern ORDER_ID = Pattern.compile("ord\\.([a-z][a-z0-9_]{0,63})\\.([0-9a-f-]{36})");
  private static final BusReplies REPLIES = new BusReplies(Map.of(404, "commodity_not_found"), "market_unavailable",
      "the market did not answer (is verticles.market enabled in this process?)");

  private final Vertx vertx;
  private final MeshContext mesh;
  private final WorldConfig world;
  private final EnvelopePublisher publisher;

  MarketRoutes(Vertx vertx, MeshContext mesh, EnvelopePublisher publisher) {
    this.vertx = vertx;
    this.mesh = mesh;
    this.world = mesh.config().world();
    this.publisher = publisher;
  }

  void mount(Router router) {
    EventRoutes.json(router.post("/market/orders"), this::place);
    router.delete("/market/orders/:orderId").handler(this::cancel);
    router.get("/market/prices").handler(ctx -> REPLIES.answer(ctx, 200,
        vertx.eventBus().request(MarketVerticle.PRICES, null)));
    router.get("/market/history").handler(this::history); // before /market/:commodity, which would take it
    router.get("/market/:commodity").handler(ctx -> REPLIES.answer(ctx, 200,
        vertx.eventBus().request(MarketVerticle.BOOK, ctx.pathParam("commodity"))));
  }

  /**
   * {@code ?hours=48&commodity=}: each commodity's hourly clearings (price, volume, game hour) of the last {@code hours}
   * game hours, at most {@link MarketVerticle#HISTORY_HOURS}; 400 {@code invalid_query} for anything else.
   */
  private void history(RoutingContext ctx) {
    Long hours = RequestFields.queryNumber(ctx, "hours", MarketVerticle.HISTORY_HOURS, 1, MarketVerticle.HISTORY_HOURS);
    String commodity = ctx.queryParams().get("commodity");
    if (hours == null) {
      ApiErrors.send(ctx, 400, "invalid_query", "the query is not valid", new JsonArray().add(new Violation("/hours",
          "an integer from 1 to " + MarketVerticle.HISTORY_HOURS + " (game hours of clearings kept)").toJson()));
      return;
    }
    if (commodity != null && !world.commodities().containsKey(commodity)) {
      ApiErrors.send(ctx, 400, "invalid_query", "the query is not valid", new JsonArray().add(new Violation(
          "/commodity", "unknown commodity; known: " + world.commodities().keySet()).toJson()));
      return;
    }
    JsonObject ask = new JsonObject().put("hours", hours.intValue()).put("commodity", commodity);
    REPLIES.answer(ctx, 200, vertx.eventBus().request(MarketVerticle.HISTORY, ask));
  }

  /**
   * {@code {commodity, side, limit_price?, quantity, owner, time_in_force?}}: 202 with the order id and where the
   * order event landed; it takes part in the next clearing. An authenticated principal places its own orders: the
   * owner is the principal (an {@code owner} naming anyone else is refused 403), and the order id is bound to it
   * ({@link OrderIds}). Anonymous callers name any owner, as before.
   */
  private void place(RoutingContext ctx, JsonObject body) {
    Object commodity = body.getValue("commodity");
    if (commodity instanceof String c && !world.commodities().containsKey(c)) {
      ApiErrors.send(ctx, 400, "invalid_order", "the order is not valid", new JsonArray().add(new Violation(
          "/commodity", "unknown commodity; known: " + world.commodities().keySet()).toJson()));
      return;
    }
    String principal = authenticated(ctx);
    if (principal != null && body.containsKey("owner") && !principal.equals(body.getValue("owner"))) {
      forged(ctx);
      return;
    }
    JsonObject data = principal == null ? body.copy().put("order_id", "ord." + commodity + "." + EventIds.newId())
        : body.copy().put("owner", principal).put("order_id", OrderIds.newId(String.valueOf(commodity), principal));
    publish(ctx, "economy.order.placed", data);
  }

  private void cancel(RoutingContext ctx) {
    Matcher id = ORDER_ID.matcher(ctx.pathParam("orderId"));
    if (!id.matches()) {
      ApiErrors.send(ctx, 404, "order_not_found", "no order " + ctx.pathParam("orderId") + " (order ids look like "
          + "ord.<commodity>.<uuid>)");
      return;
    }
    JsonObject data = new JsonObject().put("order_id", id.group(0)).put("commodity", id.group(1))
        .put("reason", "cancelled through the API");
    String owner = ctx.queryParams().get("owner");
    String principal = authenticated(ctx);
    if (principal != null) {
      if (owner != null && !owner.equals(principal)) {
        forged(ctx);
        return;
      }
      if (!OrderIds.madeFor(id.group(2), principal)) { // not this principal's order, nor whether it exists
        ApiErrors.send(ctx, 404, "order_not_found", "no order " + id.group(0) + " of " + principal);
        return;
      }
      owner = principal;
    }
    if (owner != null) {
      data.put("owner", owner);
    }
    publish(ctx, "economy.order.cancelled", data);
  }

  /** The name of the principal that authenticated the request, or null for an anonymous one. */
  private static String authenticated(RoutingContext ctx) {
    Principal p = SecurityHandler.principal(ctx);
    return p == null || SecurityConfig.ANONYMOUS.equals(p.via()) ? null : p.name();
  }

  private static void forged(RoutingContext ctx) {
    ApiErrors.send(ctx, 403, "forbidden", "an authenticated principal places and cancels its own orders only: leave "
        + "out owner or give its own name, " + authenticated(ctx));
  }

  /** Validates the event's data against its schema (pointers into the request body) and sends it, keyed by commodity. */
  private void publish(RoutingContext ctx, String type, JsonObject data) {
    JsonObject envelope = Envelope.create(type, "gateway.market", data).toJson();
    JsonArray problems = new JsonArray();
    mesh.validator().validate(envelope).forEach(v -> problems.add(new Violation(
        v.pointer().startsWith("/data") ? v.pointer().substring("/data".length()) : v.pointer(), v.message()).toJson()));
    if (!problems.isEmpty()) {
      ApiErrors.send(ctx, 400, "invalid_order", "the order is not valid", problems);
      return;
    }
    String topic = world.market().ordersTopic();
    RequestIds.Ids ids = RequestIds.of(ctx);
    if (ids.correlationId() != null) {
      envelope.put("correlation_id", ids.correlationId());
    }
    publisher.publish(topic, "data.commodity", envelope, ids.requestId()).onSuccess(ack -> ctx.response().setStatusCode(202)
        .putHeader("content-type", "application/json").end(new JsonObject()
            .put("order_id", data.getString("order_id")).put("event_id", envelope.getString("event_id"))
            .put("event_type", type).put("topic", topic).put("partition", ack.getInteger("partition"))
            .put("offset", ack.getLong("offset")).encode()))
        .onFailure(e -> ApiErrors.unavailable(ctx, "kafka_unavailable", "the order was not sent", e));
  }
}
