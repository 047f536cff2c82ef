package com.necpgame.mesh.gateway;

import com.necpgame.mesh.MeshContext;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET /health}: the process is alive. {@code GET /ready}: Kafka and PostgreSQL answer, so this instance can
 * take traffic (503 with the failing check otherwise, and 503 {@code DRAINING} from the moment it was asked to stop).
 */
public final class HealthRoutes {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HealthRoutes.class);

  private final Vertx vertx;
  private final MeshContext mesh;

  public HealthRoutes(Vertx vertx, MeshContext mesh) {
    this.vertx = vertx;
    this.mesh = mesh;
  }

  public void mount(Router router) {
    router.get("/health").handler(this::health);
    router.get("/ready").handler(this::ready);
  }

  private void health(RoutingContext ctx) {
    ctx.json(new JsonObject().put("status", "UP").put("node_id", mesh.config().nodeId()));
  }

  private void ready(RoutingContext ctx) {
    if (mesh.metrics().draining()) {
      ctx.response().setStatusCode(503);
      ctx.json(new JsonObject().put("status", "DRAINING").put("node_id", mesh.config().nodeId()));
      return;
    }
    Future<JsonObject> kafka = check("kafka", kafkaReachable());
    Future<JsonObject> database = check("database", mesh.pool().query("SELECT 1").execute().mapEmpty());
    Future.join(kafka, database).onComplete(ar -> {
      boolean up = isUp(kafka.result()) && isUp(database.result());
      ctx.response().setStatusCode(up ? 200 : 503);
      ctx.json(new JsonObject().put("status", up ? "UP" : "DOWN").put("node_id", mesh.config().nodeId())
          .put("checks", new JsonObject().put("kafka", kafka.result()).put("database", database.result())));
    });
  }

  private Future<Void> kafkaReachable() {
    long timeout = Math.min(mesh.config().kafka().requestTimeoutMs(), 5000);
    return Future.fromCompletionStage(mesh.admin().describeCluster().nodes().toCompletionStage(), vertx.getOrCreateContext())
        .compose(nodes -> nodes.isEmpty() ? Future.failedFuture("no broker available") : Future.<Void>succeededFuture())
        .timeout(timeout, TimeUnit.MILLISECONDS);
  }

  /** A check's result; why it failed is logged, not answered (/ready is public, the text names hosts and ports). */
  private static Future<JsonObject> check(String name, Future<Void> probe) {
    return probe.map(v -> new JsonObject().put("status", "UP")).otherwise(e -> {
      LOG.warn("readiness check {} failed: {}", name, String.valueOf(e));
      return new JsonObject().put("status", "DOWN").put("error", name + " did not answer; the cause is in the log");
    });
  }

  private static boolean isUp(JsonObject check) {
    return "UP".equals(check.getString("status"));
  }
}
