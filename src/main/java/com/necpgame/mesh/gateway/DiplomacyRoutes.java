package com.necpgame.mesh.gateway;

import com.necpgame.mesh.diplomacy.DiplomacyVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.Map;

/**
 * {@code GET /diplomacy}: every pair's state, love and fear as of the last daily evaluation; {@code GET
 * /diplomacy/{a}/{b}}: one pair and its changes. Asked of this process's diplomacy verticle, which follows the state
 * the evaluating process commits.
 */
final class DiplomacyRoutes {

  private static final BusReplies REPLIES = new BusReplies(Map.of(404, "pair_not_found"), "diplomacy_unavailable",
      "diplomacy did not answer (is verticles.diplomacy enabled in this process?)");

  private final Vertx vertx;

  DiplomacyRoutes(Vertx vertx) {
    this.vertx = vertx;
  }

  void mount(Router router) {
    router.get("/diplomacy").handler(ctx -> REPLIES.answer(ctx, 200,
        vertx.eventBus().request(DiplomacyVerticle.MATRIX, null)));
    router.get("/diplomacy/:a/:b").handler(ctx -> REPLIES.answer(ctx, 200, vertx.eventBus().request(
        DiplomacyVerticle.HISTORY, new JsonObject().put("a", ctx.pathParam("a")).put("b", ctx.pathParam("b")))));
  }
}
