package com.necpgame.mesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** POST /events/publish and GET /events/{id}/status on a running mesh with a real broker and database. */
class EventRoutesIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static Mesh mesh;
  private static int port;
  private static String topic;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    topic = TestKafka.createTopic("game.routes", 3);
    port = TestMesh.freePort();
    mesh = Mesh.start(TestMesh.config(dir, port,
        new JsonObject().put("http", new JsonObject().put("max_body_bytes", 8192))));
  }

  @AfterAll
  static void stop() {
    mesh.close();
  }

  private static HttpResponse<String> post(String path, String contentType, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("content-type", contentType).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> publish(JsonObject request) throws Exception {
    return post("/events/publish", "application/json", request.encode());
  }

  private static JsonObject seedRequest() {
    return new JsonObject().put("event_type", "game.match.end").put("topic", topic).put("source", "match-service")
        .put("payload", "{\"match_id\":\"123\",\"winner\":\"player456\",\"duration\":1800}").put("priority", "high")
        .put("is_replayable", true).put("session_id", "match-123");
  }

  private static JsonObject error(HttpResponse<String> response) {
    assertEquals("application/json", response.headers().firstValue("content-type").orElse(""), response.body());
    return new JsonObject(response.body()).getJsonObject("error");
  }

  private static List<String> pointers(HttpResponse<String> response) {
    JsonArray details = error(response).getJsonArray("details");
    return details.stream().map(d -> ((JsonObject) d).getString("pointer")).toList();
  }

  @Test
  void publishedEventIsInKafkaAsAnEnvelopeAndItsStatusReachesPublished() throws Exception {
    HttpResponse<String> response = publish(seedRequest());
    assertEquals(200, response.statusCode(), response.body());
    JsonObject ack = new JsonObject(response.body());
    assertEquals(topic, ack.getString("topic"));
    assertEquals(true, ack.getBoolean("published"));

    ConsumerRecord<String, byte[]> record = readAt(ack.getInteger("partition"), ack.getLong("offset"));
    JsonObject envelope = new JsonObject(new String(record.value(), StandardCharsets.UTF_8));
    assertEquals(ack.getString("event_id"), envelope.getString("event_id"));
    assertEquals("game.match.end", envelope.getString("event_type"));
    assertEquals("match-service", envelope.getString("source"));
    assertEquals(new JsonObject().put("match_id", "123").put("winner", "player456").put("duration", 1800),
        envelope.getJsonObject("data"));
    assertEquals("high", envelope.getJsonObject("metadata").getString("priority"));
    assertEquals("match-123", record.key(), "keyed by session so a match stays in order");
    assertTrue(mesh.context().validator().validate(envelope).isEmpty(), "what the mesh emits is a valid envelope");

    JsonObject status = null;
    for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); System.nanoTime() < end; Thread.sleep(50)) {
      HttpResponse<String> s = get("/events/" + ack.getString("event_id") + "/status");
      if (s.statusCode() == 200) {
        status = new JsonObject(s.body());
        break;
      }
      assertEquals(404, s.statusCode(), s.body());
    }
    assertEquals("published", status.getString("status"));
    assertEquals(ack.getInteger("partition"), status.getInteger("partition"));
    assertEquals(ack.getLong("offset"), status.getLong("offset"));
  }

  @Test
  void payloadMayBeAnObjectAndIsOptional() throws Exception {
    assertEquals(200, publish(seedRequest().put("payload", new JsonObject().put("winner", "p1"))).statusCode());
    assertEquals(200, publish(seedRequest().put("payload", (Object) null)).statusCode());
  }

  @Test
  void invalidEventsAreRefusedWithEveryProblemAndItsPointer() throws Exception {
    HttpResponse<String> response = publish(seedRequest().put("event_type", "MatchEnd").put("priority", "urgent")
        .put("colour", "red").put("player_id", 42));
    assertEquals(400, response.statusCode(), response.body());
    assertEquals("invalid_event", error(response).getString("code"));
    assertEquals(List.of("/colour", "/event_type", "/player_id", "/priority"),
        pointers(response).stream().sorted().toList());

    HttpResponse<String> noSource = publish(seedRequest().put("payload", "[1,2]").putNull("topic"));
    JsonObject request = seedRequest();
    request.remove("source");
    assertEquals(List.of("/source"), pointers(publish(request)));
    assertEquals(List.of("/payload", "/topic"), pointers(noSource).stream().sorted().toList());
    assertEquals(List.of("/topic"), pointers(publish(seedRequest().put("topic", "../etc/passwd"))));
  }

  @Test
  void batchPublishesTheValidEventsAndReportsTheInvalidOnesNoneLostOrDuplicated() throws Exception {
    JsonArray events = new JsonArray()
        .add(seedRequest().put("payload", new JsonObject().put("n", 0)))
        .add(seedRequest().put("event_type", "Bad Type"))
        .add(seedRequest().put("payload", new JsonObject().put("n", 2)))
        .add("not an event")
        .add(seedRequest().put("topic", TestKafka.unique("nowhere")))
        .add(seedRequest().put("payload", new JsonObject().put("n", 5)));
    HttpResponse<String> response = post("/events/publish/batch", "application/json",
        new JsonObject().put("events", events).encode());
    assertEquals(207, response.statusCode(), response.body());
    JsonObject body = new JsonObject(response.body());
    assertEquals(3, body.getInteger("published"));
    assertEquals(3, body.getInteger("failed"));
    JsonArray results = body.getJsonArray("results");
    assertEquals(List.of(0, 1, 2, 3, 4, 5), results.stream().map(r -> ((JsonObject) r).getInteger("index")).toList());
    assertEquals(List.of("/event_type"), results.getJsonObject(1).getJsonObject("error").getJsonArray("details")
        .stream().map(d -> ((JsonObject) d).getString("pointer")).toList());
    assertEquals(400, results.getJsonObject(3).getInteger("status"));
    assertEquals(404, results.getJsonObject(4).getInteger("status"));
    for (int i : new int[] {0, 2, 5}) {
      JsonObject ack = results.getJsonObject(i);
      ConsumerRecord<String, byte[]> record = readAt(ack.getInteger("partition"), ack.getLong("offset"));
      JsonObject envelope = new JsonObject(new String(record.value(), StandardCharsets.UTF_8));
      assertEquals(ack.getString("event_id"), envelope.getString("event_id"));
      assertEquals(i, envelope.getJsonObject("data").getInteger("n"), "each acknowledgement points at its own event");
    }
    assertEquals(3, results.stream().map(r -> ((JsonObject) r).getString("event_id")).filter(java.util.Objects::nonNull)
        .distinct().count(), "three distinct events, none duplicated");
  }

  @Test
  void batchOfOnlyValidEventsIs200AndAnOversizedOrMalformedBatchIsRefusedWhole() throws Exception {
    HttpResponse<String> ok = post("/events/publish/batch", "application/json", new JsonObject()
        .put("events", new JsonArray().add(seedRequest()).add(seedRequest())).encode());
    assertEquals(200, ok.statusCode(), ok.body());
    assertEquals(2, new JsonObject(ok.body()).getInteger("published"));
    assertEquals(200, post("/events/publish/batch", "application/json", "{\"events\":[]}").statusCode());

    JsonArray tooMany = new JsonArray();
    for (int i = 0; i < 1001; i++) {
      tooMany.add(new JsonObject());
    }
    HttpResponse<String> over = post("/events/publish/batch", "application/json",
        new JsonObject().put("events", tooMany).encode());
    assertEquals(413, over.statusCode(), over.body());
    assertEquals("too_many_events", error(over).getString("code"));
    HttpResponse<String> notABatch = post("/events/publish/batch", "application/json", "{\"event\":{}}");
    assertEquals(400, notABatch.statusCode());
    assertEquals(List.of("/events"), pointers(notABatch));
  }

  @Test
  void structuredGameEventBecomesAGameEnvelopeFromItsServer() throws Exception {
    JsonObject game = new JsonObject("{\"player_id\":\"player123\",\"session_id\":\"session456\","
        + "\"action_type\":\"kill\",\"topic\":\"" + topic + "\",\"game_mode\":\"battle_royale\","
        + "\"map_name\":\"Neon_City\",\"action_data\":{\"weapon\":\"plasma_rifle\",\"distance\":150.5,"
        + "\"headshot\":true},\"position\":{\"x\":1250.3,\"y\":890.7,\"z\":45.2},\"server_id\":\"server-01\","
        + "\"region\":\"us-east-1\",\"version\":\"1.2.3\"}");
    HttpResponse<String> response = post("/events/game/publish", "application/json", game.encode());
    assertEquals(200, response.statusCode(), response.body());
    JsonObject ack = new JsonObject(response.body());
    JsonObject envelope = new JsonObject(new String(readAt(ack.getInteger("partition"), ack.getLong("offset")).value(),
        StandardCharsets.UTF_8));
    assertEquals("game.kill", envelope.getString("event_type"));
    assertEquals("server-01", envelope.getString("source"));
    assertEquals("player123", envelope.getString("player_id"));
    assertEquals("session456", envelope.getString("session_id"));
    assertEquals("plasma_rifle", envelope.getJsonObject("data").getJsonObject("action_data").getString("weapon"));
    assertEquals(45.2, envelope.getJsonObject("data").getJsonObject("position").getDouble("z"));
    assertEquals("1.2.3", envelope.getJsonObject("data").getString("game_version"));

    HttpResponse<String> bad = post("/events/game/publish", "application/json",
        game.copy().put("action_type", "Kill!").put("weapon", "x").encode());
    assertEquals(400, bad.statusCode());
    assertEquals(List.of("/action_type", "/weapon"), pointers(bad).stream().sorted().toList());
  }

  @Test
  void statsAndMetricsCountWhatWasPublished() throws Exception {
    for (int i = 0; i < 3; i++) {
      assertEquals(200, publish(seedRequest()).statusCode());
    }
    JsonObject stats = new JsonObject(get("/stats").body());
    assertTrue(stats.getLong("total_events_published") >= 3, stats.encode());
    assertTrue(stats.getInteger("active_topics") > 0, stats.encode());
    assertEquals(0L, stats.getLong("active_subscriptions"));
    assertTrue(stats.getDouble("average_processing_time") > 0, stats.encode());
    assertEquals(0.0, stats.getDouble("error_rate"));

    HttpResponse<String> metrics = get("/metrics");
    assertEquals(200, metrics.statusCode());
    assertTrue(metrics.body().contains("event_bus_events_published_total{event_type=\"game.match.end\",status=\"success\","
        + "topic=\"" + topic + "\"}"), metrics.body());
    assertTrue(metrics.body().contains("event_bus_kafka_operations_total{operation=\"publish\",status=\"success\"}"));
    assertTrue(metrics.body().contains("event_bus_event_processing_duration_seconds"));
    assertTrue(metrics.body().contains("event_bus_active_workers"));
  }

  @Test
  void theApiDocumentIsServed() throws Exception {
    HttpResponse<String> doc = get("/openapi.json");
    assertEquals(200, doc.statusCode());
    assertEquals("3.1.0", new JsonObject(doc.body()).getString("openapi"));
  }

  @Test
  void malformedJsonIs400() throws Exception {
    HttpResponse<String> response = post("/events/publish", "application/json", "{\"event_type\": ");
    assertEquals(400, response.statusCode());
    assertEquals("malformed_json", error(response).getString("code"));
    assertEquals(400, post("/events/publish", "application/json", "[1,2,3]").statusCode());
    assertEquals(400, post("/events/publish", "application/json", "").statusCode());
  }

  @Test
  void unknownTopicIs404() throws Exception {
    HttpResponse<String> response = publish(seedRequest().put("topic", TestKafka.unique("nowhere")));
    assertEquals(404, response.statusCode(), response.body());
    assertEquals("topic_not_found", error(response).getString("code"));
  }

  @Test
  void wrongContentTypeIs415() throws Exception {
    HttpResponse<String> response = post("/events/publish", "text/plain", seedRequest().encode());
    assertEquals(415, response.statusCode(), response.body());
    assertEquals("unsupported_media_type", error(response).getString("code"));
  }

  @Test
  void bodyOverTheLimitIs413() throws Exception {
    HttpResponse<String> response = publish(seedRequest().put("payload", new JsonObject().put("blob", "x".repeat(10_000))));
    assertEquals(413, response.statusCode(), response.body());
    assertEquals("payload_too_large", error(response).getString("code"));
  }

  @Test
  void unknownEventStatusAndUnknownRoutesAre404AndWrongMethodIs405() throws Exception {
    HttpResponse<String> status = get("/events/00000000-0000-7000-8000-000000000000/status");
    assertEquals(404, status.statusCode());
    assertEquals("event_not_found", error(status).getString("code"));
    assertEquals("not_found", error(get("/nothing/here")).getString("code"));
    HttpResponse<String> wrongMethod = post("/health", "application/json", "{}");
    assertEquals(405, wrongMethod.statusCode(), wrongMethod.body());
    assertEquals("method_not_allowed", error(wrongMethod).getString("code"));
  }

  private static ConsumerRecord<String, byte[]> readAt(int partition, long offset) {
    var tp = new org.apache.kafka.common.TopicPartition(topic, partition);
    try (var consumer = new KafkaConsumer<>(Map.<String, Object>of("bootstrap.servers", TestKafka.bootstrapServers()),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.assign(List.of(tp));
      consumer.seek(tp, offset);
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < end) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.offset() == offset) {
            return r;
          }
        }
      }
    }
    throw new AssertionError("no record at " + topic + "-" + partition + "@" + offset);
  }
}
