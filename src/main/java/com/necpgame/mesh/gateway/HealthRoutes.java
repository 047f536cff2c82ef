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

  /**
   * Always 200 while the process runs (a liveness probe must not restart a process because Kafka is away), with the
   * seed's fields: {@code kafka_connected} (a broker answered within 2 s), {@code topics_active} (topics but Kafka's
   * internal ones) and {@code subscribers_active} (active subscriptions), each null when its source did not answer in
   * time. They are read at most once per {@link #FACTS_MS} and shared by the probes in between.
   */
  private void health(RoutingContext ctx) {
    facts().onComplete(ar -> ctx.json(new JsonObject().put("status", "healthy").put("domain", DOMAIN)
        .put("timestamp", java.time.Instant.now().toString()).put("version", MeshVersion.VERSION)
        .put("node_id", mesh.config().nodeId())
        .mergeIn(ar.succeeded() ? ar.result() : new JsonObject().put("kafka_connected", false)
            .putNull("topics_active").putNull("subscribers_active"))));
  }

  /** The seed's {@code domain}: the service the health answer is of. */
  static final String DOMAIN = "event-bus-service";
  static final long FACTS_MS = 5000;
  private static final long FACT_TIMEOUT_MS = 2000;
  private Future<JsonObject> facts;
  private long factsAt;

  private Future<JsonObject> facts() {
    long now = System.nanoTime();
    if (facts == null || (facts.isComplete() && now - factsAt > FACTS_MS * 1_000_000)) {
      factsAt = now;
      Future<Boolean> kafka = kafkaReachable().map(true).otherwise(false);
      Future<Object> topics = vertx.<Object>executeBlocking(() -> mesh.admin().listTopics().names()
          .get(FACT_TIMEOUT_MS, TimeUnit.MILLISECONDS).size(), false).otherwise((Object) null);
      Future<Object> subscribers = mesh.pool()
          .query("SELECT count(*) FROM event_subscriptions WHERE is_active AND status = 'active'").execute()
          .<Object>map(rows -> rows.iterator().next().getLong(0))
          .timeout(FACT_TIMEOUT_MS, TimeUnit.MILLISECONDS).otherwise((Object) null);
      facts = Future.join(kafka, topics, subscribers).transform(done -> Future.succeededFuture(new JsonObject()
          .put("kafka_connected", kafka.result()).put("topics_active", topics.result())
          .put("subscribers_active", subscribers.result())));
    }
    return facts;
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
