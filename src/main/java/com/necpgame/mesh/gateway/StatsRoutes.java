package com.necpgame.mesh.gateway;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.MeshMetrics;
import com.necpgame.mesh.kafka.TopicInspector;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * {@code GET /metrics}: the Prometheus exposition. {@code GET /stats}: the seed's summary from the same counters, plus
 * the topic and subscription counts; throughput is over the last {@link #WINDOW_SECONDS} seconds.
 */
final class StatsRoutes {

  static final int WINDOW_SECONDS = 10;
  private static final String PUBLISHED = "event_bus_events_published_total";
  private static final String CONSUMED = "event_bus_events_consumed_total";

  private final Vertx vertx;
  private final MeshContext mesh;
  private final MeshMetrics metrics;
  /** (nanoTime, published so far) once a second, the last WINDOW_SECONDS + 1 of them. */
  private final Deque<double[]> samples = new ArrayDeque<>();

  StatsRoutes(Vertx vertx, MeshContext mesh) {
    this.vertx = vertx;
    this.mesh = mesh;
    this.metrics = mesh.metrics();
  }

  void mount(Router router) {
    router.get("/metrics").handler(ctx -> ctx.response()
        .putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(metrics.scrape()));
    router.get("/stats").handler(this::stats);
    sample();
    vertx.setPeriodic(1000, id -> sample());
  }

  private void sample() {
    samples.addLast(new double[] {System.nanoTime(), metrics.total(PUBLISHED, MeshMetrics.SUCCESS)});
    while (samples.size() > WINDOW_SECONDS + 1) {
      samples.removeFirst();
    }
  }

  private void stats(RoutingContext ctx) {
    Future<Integer> topics = vertx.executeBlocking(() -> (int) new TopicInspector(mesh.admin(),
        Duration.ofMillis(mesh.config().kafka().requestTimeoutMs())).all().values().stream()
        .filter(d -> !d.isInternal()).count(), false);
    Future<Long> subscriptions = mesh.pool()
        .query("SELECT count(*) FROM event_subscriptions WHERE is_active AND status = 'active'").execute()
        .map(rows -> rows.iterator().next().getLong(0));
    Future.join(topics, subscriptions).onComplete(done -> {
      double published = metrics.total(PUBLISHED, MeshMetrics.SUCCESS);
      double failed = metrics.total(PUBLISHED, MeshMetrics.FAILURE);
      JsonObject stats = new JsonObject()
          .put("total_events_published", (long) published)
          .put("total_events_consumed", (long) metrics.total(CONSUMED, MeshMetrics.SUCCESS))
          .put("active_topics", topics.succeeded() ? topics.result() : null)
          .put("active_subscriptions", subscriptions.succeeded() ? subscriptions.result() : null)
          .put("average_processing_time", metrics.meanPublishSeconds())
          .put("error_rate", published + failed == 0 ? 0.0 : failed / (published + failed))
          .put("throughput_per_second", throughput(published));
      ctx.json(stats);
    });
  }

  private double throughput(double publishedNow) {
    double[] oldest = samples.peekFirst();
    double seconds = oldest == null ? 0 : (System.nanoTime() - oldest[0]) / 1e9;
    return seconds < 0.5 ? 0.0 : Math.round((publishedNow - oldest[1]) / seconds * 10) / 10.0;
  }
}
