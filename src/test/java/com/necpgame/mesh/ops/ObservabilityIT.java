package com.necpgame.mesh.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.kafka.EnvelopeRecords;
import com.necpgame.mesh.testsupport.MeshProcess;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One jar process with everything on (store, delivery, tick, market, diplomacy, crowd), JSON logs at DEBUG: every
 * meter the Grafana dashboard and the alert rules use is exported at {@code /metrics}; a request's
 * {@code X-Request-Id} and {@code X-Correlation-Id} come back, ride on the Kafka record as headers (the correlation
 * id also in the envelope) and are in the log entries of that request; every log line is a JSON object.
 */
class ObservabilityIT {

  private static final Pattern METRIC = Pattern.compile("event_bus_[a-z0-9_]+");

  @Test
  void dashboardAndAlertMetricsAreExportedAndRequestIdsReachKafkaAndTheLog(@TempDir Path dir) throws Exception {
    Set<String> wanted = referencedMetrics();
    assertTrue(wanted.size() >= 15, "the dashboard and rules use the mesh's meters: " + wanted);
    String suffix = TestKafka.unique("obs");
    String events = "game.obs." + suffix;
    Path topics = dir.resolve("topics.json");
    Files.writeString(topics, new JsonObject().put("topics", new JsonArray()
        .add(topic(events, 3)).add(topic("hourly." + suffix, 1)).add(topic("daily." + suffix, 1))
        .add(topic("leader." + suffix, 1)).add(topic("sim." + suffix, 3))
        .add(topic("orders." + suffix, 3).put("configs", new JsonObject().put("message.timestamp.type",
            "LogAppendTime")))
        .add(topic("mstate." + suffix, 3).put("cleanup_policy", "compact"))
        .add(topic("wstate." + suffix, 1).put("cleanup_policy", "compact"))).encode());
    JsonObject on = new JsonObject().put("enabled", true);
    JsonObject config = MeshProcess.sharedConfig(suffix)
        .put("log", new JsonObject().put("level", "DEBUG").put("format", "json"))
        .put("metrics", new JsonObject().put("consumer_lag_interval_ms", 500))
        .put("topics", new JsonObject().put("file", topics.toString()).put("default_replication_factor", 1))
        .put("delivery", new JsonObject().put("refresh_ms", 200).put("webhook", new JsonObject().put("poll_ms", 100)))
        .put("world", new JsonObject()
            .put("factions", new JsonArray().add("arasaka").add("nomads"))
            .put("commodities", new JsonObject().put("food", 4))
            .put("output_topic", "sim." + suffix).put("state_topic", "wstate." + suffix)
            .put("clock", new JsonObject().put("real_epoch", Instant.now().toString()).put("time_scale", 86400))
            .put("tick", new JsonObject().put("topics", new JsonObject().put("hourly", "hourly." + suffix)
                .put("daily", "daily." + suffix).put("leader", "leader." + suffix)))
            .put("market", new JsonObject().put("grace_ms", 0).put("topics", new JsonObject()
                .put("orders", "orders." + suffix).put("state", "mstate." + suffix)))
            .put("crowd", new JsonObject().put("population", 1000)));
    config.getJsonObject("verticles").put("tick", on).put("market", on).put("diplomacy", on).put("crowd", on);

    MeshProcess mesh = MeshProcess.start("obs", dir.resolve("mesh"), config);
    Set<String> missing = wanted;
    String requestId = "req-" + suffix;
    String correlationId = "corr-" + suffix;
    try {
      HttpResponse<String> hook = mesh.post("/subscriptions", new JsonObject().put("service_name", "obs")
          .put("method", "webhook").put("endpoint", "http://127.0.0.1:" + closedPort() + "/hook")
          .put("topic_pattern", events).put("retry_delay", 1));
      assertEquals(201, hook.statusCode(), hook.body());
      Thread.sleep(500); // the delivery router re-reads subscriptions every 200 ms
      HttpResponse<String> published = mesh.post("/events/publish", new JsonObject().put("event_type", "game.obs.ping")
          .put("topic", events).put("source", "obs-it").put("payload", new JsonObject().put("n", 1)),
          "X-Request-Id", requestId, "X-Correlation-Id", correlationId);
      assertEquals(200, published.statusCode(), published.body());
      assertEquals(requestId, published.headers().firstValue("X-Request-Id").orElse(null));
      assertTrue(mesh.get("/health").headers().firstValue("X-Request-Id").orElse("").matches("[0-9a-f-]{36}"),
          "a request without an id gets one");

      // the store group's lag appears once it has committed on the topic, which may be after the other meters
      String storeLag = "event_bus_consumer_lag{group=\"" + suffix + ".store\",topic=\"" + events + "\"";
      boolean lagMeasured = false;
      for (long end = System.currentTimeMillis() + 60_000;
          (!missing.isEmpty() || !lagMeasured) && System.currentTimeMillis() < end; ) {
        String scrape = mesh.get("/metrics").body();
        missing = wanted.stream().filter(m -> !Pattern.compile("(?m)^" + m + "[{ ]").matcher(scrape).find())
            .collect(Collectors.toCollection(TreeSet::new));
        lagMeasured = scrape.contains(storeLag);
        if (!missing.isEmpty() || !lagMeasured) {
          Thread.sleep(500);
        }
      }
      assertTrue(lagMeasured, "the store group's lag on the topic is measured");
    } finally {
      mesh.close();
    }
    assertEquals(Set.of(), missing, "every meter the dashboard and alert rules use is exported");

    ConsumerRecord<String, byte[]> record = TestKafka.records(events).get(0);
    assertEquals(requestId, EnvelopeRecords.header(record.headers(), EnvelopeRecords.HEADER_REQUEST_ID));
    assertEquals(correlationId, EnvelopeRecords.header(record.headers(), EnvelopeRecords.HEADER_CORRELATION_ID));
    assertEquals(correlationId, new JsonObject(new String(record.value())).getString("correlation_id"));

    List<String> lines = mesh.log().lines().filter(l -> !l.isBlank() && !l.startsWith("Picked up ")).toList();
    boolean requestLogged = false;
    for (String line : lines) {
      JsonObject entry;
      try {
        entry = new JsonObject(line);
      } catch (DecodeException e) {
        throw new AssertionError("not a JSON log line: " + line);
      }
      JsonObject mdc = entry.getJsonObject("mdc", new JsonObject());
      requestLogged |= requestId.equals(mdc.getString("request_id"))
          && correlationId.equals(mdc.getString("correlation_id"))
          && entry.getString("formattedMessage", "").startsWith("POST /events/publish -> 200");
    }
    assertTrue(requestLogged, "the request is logged with its ids in the MDC");
  }

  /** Every event_bus_* series the dashboard's and the rules' expressions name. */
  private static Set<String> referencedMetrics() throws Exception {
    Set<String> names = new TreeSet<>();
    JsonObject dashboard = new JsonObject(Files.readString(Path.of("k8s/monitoring/grafana-dashboard.json")));
    StringBuilder exprs = new StringBuilder();
    for (Object panel : dashboard.getJsonArray("panels")) {
      for (Object target : ((JsonObject) panel).getJsonArray("targets")) {
        exprs.append(((JsonObject) target).getString("expr")).append('\n');
      }
    }
    exprs.append(Files.readString(Path.of("k8s/monitoring/prometheus-rules.yaml")));
    Matcher m = METRIC.matcher(exprs);
    while (m.find()) {
      names.add(m.group());
    }
    return names;
  }

  private static JsonObject topic(String name, int partitions) {
    return new JsonObject().put("name", name).put("partitions", partitions).put("dlq", false);
  }

  /** A port nothing listens on: one of this fork's own, never handed out again, so no other server takes it. */
  private static int closedPort() throws Exception {
    return TestMesh.freePort();
  }
}
