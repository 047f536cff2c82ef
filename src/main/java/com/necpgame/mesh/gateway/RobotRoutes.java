package com.necpgame.mesh.gateway;

import com.necpgame.mesh.robot.RobotVerticle;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import java.util.Map;

/**
 * {@code GET /robots/pool}: the robot pool by type (persona), busy and idle, as every process follows it from
 * {@code robot-pool-state}. Asked of this process's robots verticle.
 */
final class RobotRoutes {

  private static final BusReplies REPLIES = new BusReplies(Map.of(), "robots_unavailable",
      "the robot pool did not answer (is verticles.robots enabled in this process?)");

  private final Vertx vertx;

  RobotRoutes(Vertx vertx) {
    this.vertx = vertx;
  }

  void mount(Router router) {
    router.get("/robots/pool").handler(ctx -> REPLIES.answer(ctx, 200,
        vertx.eventBus().request(RobotVerticle.POOL, null)));
  }
}
