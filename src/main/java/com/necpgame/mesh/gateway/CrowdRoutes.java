package com.necpgame.mesh.gateway;

import com.necpgame.mesh.crowd.CrowdVerticle;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import java.util.Map;

/**
 * {@code GET /crowd}: the crowd as of its last hourly step (population, factions, and per commodity its schedules at
 * the reference price, stock, unmet need and the hour's orders). Asked of this process's crowd verticle, which follows
 * the state the stepping process commits.
 */
final class CrowdRoutes {

  private static final BusReplies REPLIES = new BusReplies(Map.of(), "crowd_unavailable",
      "the crowd did not answer (is verticles.crowd enabled in this process?)");

  private final Vertx vertx;

  CrowdRoutes(Vertx vertx) {
    this.vertx = vertx;
  }

  void mount(Router router) {
    router.get("/crowd").handler(ctx -> REPLIES.answer(ctx, 200,
        vertx.eventBus().request(CrowdVerticle.SUMMARY, null)));
  }
}
