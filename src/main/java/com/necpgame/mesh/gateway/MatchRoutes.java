package com.necpgame.mesh.gateway;

import com.necpgame.mesh.envelope.Violation;
import com.necpgame.mesh.match.MatchVerticle;
import com.necpgame.mesh.security.Principal;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;

/**
 * Matches among robots for the human player: create one ({@code POST /matches}), read it ({@code GET /matches/{id}},
 * or follow it on {@code GET /matches/{id}/ws}), answer the round's prompt ({@code POST /matches/{id}/responses}) and
 * vote ({@code POST /matches/{id}/votes}) with the match's token in {@code X-Match-Token} (the {@code Authorization}
 * header is the gateway's, for the caller's API key or JWT). Asked over the event bus of this process's
 * {@link com.necpgame.mesh.match.MatchVerticle}, which answers for any match.
 */
final class MatchRoutes {

  private static final int MAX_TEXT = 2000;
  private static final int MAX_LIST = 1000;
  static final String TOKEN_HEADER = "X-Match-Token";
  private static final BusReplies REPLIES = new BusReplies(Map.of(403, "forbidden", 404, "match_not_found",
      409, "out_of_order", 503, "matches_unavailable"), "matches_unavailable",
      "the match service did not answer (is verticles.matches enabled in this process?)");

  private final Vertx vertx;

  MatchRoutes(Vertx vertx) {
    this.vertx = vertx;
  }

  /** The WebSocket route: before the body handler, which would read the upgrade request. */
  void mountSocket(Router router) {
    router.get("/matches/:matchId/ws").handler(this::follow);
  }

  void mount(Router router) {
    EventRoutes.json(router.post("/matches"), this::create);
    router.get("/matches").handler(this::list);
    router.get("/matches/:matchId").handler(ctx -> REPLIES.answer(ctx, 200,
        vertx.eventBus().request(MatchVerticle.GET, ctx.pathParam("matchId"))));
    router.post("/matches/:matchId/responses").consumes("application/json").handler(ctx -> act(ctx, true));
    router.post("/matches/:matchId/votes").consumes("application/json").handler(ctx -> act(ctx, false));
  }

  /**
   * {@code ?state=active|completed|all&limit=100}: the matches every process knows from {@code match-state}, by id;
   * an admin principal also sees each one's player. 400 {@code invalid_query} for another state or limit.
   */
  private void list(RoutingContext ctx) {
    String state = ctx.queryParams().get("state");
    Long limit = RequestFields.queryNumber(ctx, "limit", 100, 1, MAX_LIST);
    JsonArray problems = new JsonArray();
    if (state != null && !state.matches("active|completed|all")) {
      problems.add(new Violation("/state", "one of active (the default), completed, all").toJson());
    }
    if (limit == null) {
      problems.add(new Violation("/limit", "an integer from 1 to " + MAX_LIST + " (default 100)").toJson());
    }
    if (!problems.isEmpty()) {
      ApiErrors.send(ctx, 400, "invalid_query", "the query is not valid", problems);
      return;
    }
    Principal principal = SecurityHandler.principal(ctx);
    JsonObject ask = new JsonObject().put("state", state == null ? "active" : state).put("limit", limit.intValue())
        .put("players", principal != null && principal.acl().admin());
    REPLIES.answer(ctx, 200, vertx.eventBus().request(MatchVerticle.LIST, ask));
  }

  /**
   * {@code {player_id}}: 201 {@code {match_id, token, match}}; the token authorises the player's answers and votes.
   * 503 with {@code Retry-After} when this process runs no match partition now.
   */
  private void create(RoutingContext ctx, JsonObject body) {
    if (!(body.getValue("player_id") instanceof String p) || !p.matches("[A-Za-z0-9._:-]{1,128}")) {
      ApiErrors.send(ctx, 400, "invalid_request", "the request is not valid", new JsonArray().add(
          new Violation("/player_id", "required: 1-128 of letters, digits and . _ : -").toJson()));
      return;
    }
    REPLIES.answer(ctx, 201, vertx.eventBus().request(MatchVerticle.CREATE, new JsonObject().put("player_id", p)));
  }

  /**
   * {@code {round, text}} or {@code {round, identity}}: 202 with the match after it, when this process runs the match;
   * 202 {@code {accepted: true, match}} (the match before it) when another does: it counts if it reaches that process
   * while the round's phase is still open.
   */
  private void act(RoutingContext ctx, boolean response) {
    String token = ctx.request().getHeader(TOKEN_HEADER);
    if (token == null || token.isBlank()) {
      ApiErrors.send(ctx, 401, "unauthorized", "send the match's token (from POST /matches) in " + TOKEN_HEADER);
      return;
    }
    JsonObject body = EventRoutes.jsonBody(ctx);
    if (body == null) {
      return;
    }
    Violation problem = problem(body, response);
    if (problem != null) {
      ApiErrors.send(ctx, 400, "invalid_request", "the request is not valid", new JsonArray().add(problem.toJson()));
      return;
    }
    REPLIES.answer(ctx, 202, pass(ctx.pathParam("matchId"), token, body, response));
  }

  /** Passes a checked answer ({@code response}) or vote on to the match verticle. */
  private Future<Message<JsonObject>> pass(String id, String token, JsonObject body, boolean response) {
    String field = response ? "text" : "identity";
    JsonObject ask = new JsonObject().put("match_id", id).put("token", token).put("round", body.getInteger("round"))
        .put(field, body.getValue(field));
    return vertx.eventBus().request(response ? MatchVerticle.RESPOND : MatchVerticle.VOTE, ask);
  }

  /** What is wrong with an answer {@code {round, text}} or a vote {@code {round, identity}}, or null. */
  private static Violation problem(JsonObject body, boolean response) {
    if (!(body.getValue("round") instanceof Integer round) || round < 1) {
      return new Violation("/round", "required: the round number (an integer from 1)");
    }
    Object value = body.getValue(response ? "text" : "identity");
    if (response && (!(value instanceof String t) || t.isBlank() || t.length() > MAX_TEXT)) {
      return new Violation("/text", "required: the answer, 1-" + MAX_TEXT + " characters");
    }
    if (!response && (!(value instanceof String i) || !i.matches("[A-Z]"))) {
      return new Violation("/identity", "required: the identity letter (A-Z) of the participant you think is the human");
    }
    return null;
  }

  /**
   * The WebSocket of a match: its current view, then every change, as JSON text frames. The player may also play on
   * it: {@code {action: "respond", token, round, text}} or {@code {action: "vote", token, round, identity}}, answered by
   * {@code {ack: action, round}} or an error frame {@code {error: {code, message, details}}}.
   */
  private void follow(RoutingContext ctx) {
    String id = ctx.pathParam("matchId");
    if (!"websocket".equalsIgnoreCase(ctx.request().getHeader("upgrade"))) {
      ApiErrors.send(ctx, 426, "upgrade_required", "GET /matches/{id}/ws is a WebSocket endpoint");
      return;
    }
    ctx.request().toWebSocket().onSuccess(ws -> {
      MessageConsumer<JsonObject> changes = vertx.eventBus().consumer(MatchVerticle.CHANGED + id,
          m -> ws.writeTextMessage(m.body().encode()));
      long expiry = TokenExpiry.closeWhenExpired(vertx, ws, SecurityHandler.principal(ctx));
      ws.closeHandler(v -> {
        changes.unregister();
        vertx.cancelTimer(expiry);
      });
      ws.textMessageHandler(text -> play(ws, id, text));
      vertx.eventBus().<JsonObject>request(MatchVerticle.GET, id)
          .onSuccess(first -> ws.writeTextMessage(first.body().encode()))
          .onFailure(e -> {
            boolean missing = e instanceof ReplyException r && r.failureCode() == 404;
            ws.writeTextMessage(new JsonObject().put("error", new JsonObject()
                .put("code", missing ? "match_not_found" : "matches_unavailable").put("message", e.getMessage())
                .put("details", new JsonArray())).encode());
            ws.close((short) (missing ? 4404 : 1011));
          });
    });
  }

  private void play(io.vertx.core.http.ServerWebSocket ws, String id, String text) {
    JsonObject frame;
    try {
      frame = new JsonObject(text);
    } catch (RuntimeException e) {
      ws.writeTextMessage(error("malformed_json", "the frame is not a JSON object", null));
      return;
    }
    String action = frame.getValue("action") instanceof String a ? a : "";
    if (!action.equals("respond") && !action.equals("vote")) {
      ws.writeTextMessage(error("invalid_request", "the frame is not valid",
          new Violation("/action", "required: respond or vote")));
      return;
    }
    if (!(frame.getValue("token") instanceof String token) || token.isEmpty()) {
      ws.writeTextMessage(error("unauthorized", "the frame needs the match's token in \"token\"", null));
      return;
    }
    boolean response = action.equals("respond");
    Violation problem = problem(frame, response);
    if (problem != null) {
      ws.writeTextMessage(error("invalid_request", "the frame is not valid", problem));
      return;
    }
    pass(id, token, frame, response)
        .onSuccess(r -> ws.writeTextMessage(new JsonObject().put("ack", action).put("round", frame.getInteger("round"))
            .encode()))
        .onFailure(e -> ws.writeTextMessage(error(REPLIES.code(e), e.getMessage(), null)));
  }

  private static String error(String code, String message, Violation detail) {
    return new JsonObject().put("error", new JsonObject().put("code", code).put("message", message)
        .put("details", detail == null ? new JsonArray() : new JsonArray().add(detail.toJson()))).encode();
  }
}
