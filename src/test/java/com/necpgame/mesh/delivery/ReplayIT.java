package com.necpgame.mesh.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.envelope.EventIds;
import com.necpgame.mesh.testsupport.TestDatabase;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** POST /replay, its status and cancel, on a running mesh with a real broker and database; and resume after restart. */
class ReplayIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  /** Small batches and frequent checkpoints, so a replay of a few thousand events takes long enough to interrupt. */
  private static final JsonObject SLOW_REPLAY = new JsonObject().put("replay", new JsonObject().put("batch_size", 20)
      .put("checkpoint_ms", 100).put("poll_ms", 100).put("lease_ms", 3000))
      .put("http", new JsonObject().put("max_body_bytes", 8192));
  private static Mesh mesh;
  private static int port;
  private static String big;
  private static final int BIG = 4000;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    big = TestKafka.createTopic("replay.big", 3);
    try (KafkaProducer<String, byte[]> producer = producer()) {
      long t = Instant.now().minusSeconds(600).toEpochMilli();
      for (int i = 0; i < BIG; i++) {
        send(producer, big, t + i, i % 2 == 0 ? "game.match.end" : "game.kill", "k" + (i % 50), i);
      }
    }
    port = TestMesh.freePort();
    mesh = Mesh.start(TestMesh.config(dir, port, SLOW_REPLAY));
  }

  @AfterAll
  static void stop() {
    mesh.close();
  }

  @Test
  void replaysExactlyTheMatchingEventsOfTheWindowIntoTheTarget() throws Exception {
    String source = TestKafka.createTopic("replay.src", 3);
    String target = TestKafka.createTopic("replay.dst", 2);
    long t0 = Instant.now().minusSeconds(120).toEpochMilli();
    Set<String> expected = new HashSet<>();
    try (KafkaProducer<String, byte[]> producer = producer()) {
      // three groups ten seconds apart; the window holds the middle one
      for (int group = 0; group < 3; group++) {
        for (int i = 0; i < 12; i++) {
          String type = i % 3 == 0 ? "game.match.end" : "game.kill";
          String id = send(producer, source, t0 + group * 10_000L + i, type, "s" + i, group * 100 + i);
          if (group == 1 && type.equals("game.match.end")) {
            expected.add(id);
          }
        }
      }
    }
    HttpResponse<String> created = post("/replay", new JsonObject().put("topic", source)
        .put("start_time", Instant.ofEpochMilli(t0 + 5_000).toString())
        .put("end_time", Instant.ofEpochMilli(t0 + 15_000).toString())
        .put("filter", "{\"event_type\":\"game.match.end\"}")
        .put("target", new JsonObject().put("topic", target)).encode());
    assertEquals(202, created.statusCode(), created.body());
    JsonObject job = new JsonObject(created.body());
    String id = job.getString("replay_id");
    assertEquals("/replay/" + id + "/status", created.headers().firstValue("Location").orElse(""));
    assertEquals("pending", job.getString("state"));

    JsonObject status = awaitState(port, id, "completed");
    assertEquals(12, status.getLong("events_scanned"), status.encode());
    assertEquals(4, status.getLong("events_matched"));
    assertEquals(4, status.getLong("events_delivered"));
    assertEquals(100.0, status.getDouble("progress_percent"));
    assertEquals(new JsonObject().put("event_type", "game.match.end"), status.getJsonObject("filter"));
    assertEquals(new JsonArray(), status.getJsonArray("errors"));

    List<ConsumerRecord<String, byte[]>> got = readAll(target);
    assertEquals(expected, ids(got));
    assertEquals(expected.size(), got.size(), "each once");
    for (ConsumerRecord<String, byte[]> r : got) {
      assertEquals(id, header(r, "replay.id"));
      assertEquals(source, header(r, "replay.source.topic"));
      assertEquals("game.match.end", header(r, "event_type"), "original headers kept");
    }
  }

  @Test
  void aReplayIntoAWebhookSubscriptionIsDeliveredToItsReceiver() throws Exception {
    String source = TestKafka.createTopic("replay.hook", 2);
    long t0 = Instant.now().minusSeconds(60).toEpochMilli();
    Set<String> expected = new HashSet<>();
    try (KafkaProducer<String, byte[]> producer = producer()) {
      for (int i = 0; i < 10; i++) {
        String type = i % 2 == 0 ? "game.match.end" : "game.kill";
        String id = send(producer, source, t0 + i, type, "h" + i, i);
        if (type.equals("game.match.end")) {
          expected.add(id);
        }
      }
    }
    try (WebhookDeliveryIT.Receiver receiver = new WebhookDeliveryIT.Receiver()) {
      HttpResponse<String> sub = post("/subscriptions", new JsonObject().put("service_name", "replayed")
          .put("method", "webhook").put("endpoint", receiver.url("/replayed")).put("topic_pattern", "nothing.live")
          .encode());
      assertEquals(201, sub.statusCode(), sub.body());
      String subscription = new JsonObject(sub.body()).getString("subscription_id");
      HttpResponse<String> created = post("/replay", new JsonObject().put("topic", source)
          .put("start_time", Instant.ofEpochMilli(t0).toString()).put("filter", "{\"event_type\":\"game.match.end\"}")
          .put("target", new JsonObject().put("subscription", subscription)).encode());
      assertEquals(202, created.statusCode(), created.body());
      JsonObject status = awaitState(port, new JsonObject(created.body()).getString("replay_id"), "completed");
      assertEquals(5, status.getLong("events_delivered"), status.encode());
      for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); receiver.delivered().size() < 5
          && System.nanoTime() < end; Thread.sleep(50)) {
        // the webhook dispatcher delivers what the replay queued
      }
      assertEquals(expected, new HashSet<>(receiver.delivered()));

      HttpResponse<String> ws = post("/subscriptions", new JsonObject().put("service_name", "viewers")
          .put("method", "websocket").encode());
      String wsId = new JsonObject(ws.body()).getString("subscription_id");
      for (JsonObject target : List.of(new JsonObject().put("subscription", "nope"),
          new JsonObject().put("subscription", wsId), new JsonObject().put("subscription", subscription)
              .put("topic", source))) {
        HttpResponse<String> refused = post("/replay", new JsonObject().put("topic", source)
            .put("start_time", Instant.ofEpochMilli(t0).toString()).put("target", target).encode());
        assertEquals(target.getString("subscription").equals("nope") ? 404 : 400, refused.statusCode(), refused.body());
      }
    }
  }

  @Test
  void cancelStopsAJobAndAFinishedJobCannotBeCancelled() throws Exception {
    String target = TestKafka.createTopic("replay.dst", 1);
    HttpResponse<String> created = post("/replay", request(big, target).encode());
    assertEquals(202, created.statusCode(), created.body());
    String id = new JsonObject(created.body()).getString("replay_id");
    HttpResponse<String> cancelled = delete("/replay/" + id);
    assertEquals(200, cancelled.statusCode(), cancelled.body());
    assertEquals("cancelled", new JsonObject(cancelled.body()).getString("state"));
    Thread.sleep(1000);
    JsonObject status = status(port, id);
    assertEquals("cancelled", status.getString("state"));
    assertTrue(status.getLong("events_delivered") < BIG / 2, status.encode());
    assertEquals(status.getLong("events_delivered"), (long) readAll(target).size(), "what it says it delivered");
    HttpResponse<String> again = delete("/replay/" + id);
    assertEquals(409, again.statusCode(), again.body());
    assertEquals("replay_finished", new JsonObject(again.body()).getJsonObject("error").getString("code"));
  }

  @Test
  void aJobResumesOnAnotherMeshAfterItsMeshStoppedAndDeliversEachEventOnce(@TempDir Path dir) throws Exception {
    String target = TestKafka.createTopic("replay.dst", 3);
    String db = TestDatabase.url(TestDatabase.freshDatabase());
    JsonObject extra = SLOW_REPLAY.copy().put("database", new JsonObject().put("url", db));
    extra.getJsonObject("replay").put("batch_size", 5);
    extra
        .put("verticles", new JsonObject().put("store", new JsonObject().put("enabled", false)));
    int first = TestMesh.freePort();
    String id;
    long before;
    try (Mesh a = Mesh.start(TestMesh.config(dir.resolve("a"), first, extra))) {
      HttpResponse<String> created = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + first
          + "/replay")).header("content-type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(request(big, target).encode())).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(202, created.statusCode(), created.body());
      id = new JsonObject(created.body()).getString("replay_id");
      JsonObject status = status(first, id);
      for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
          status.getLong("events_delivered") < 100 && System.nanoTime() < end; Thread.sleep(20)) {
        status = status(first, id);
      }
      assertEquals("running", status.getString("state"), status.encode());
    }
    before = readAll(target).size();
    assertTrue(before > 0 && before < BIG / 2, "stopped part-way: " + before + " delivered");
    int second = TestMesh.freePort();
    try (Mesh b = Mesh.start(TestMesh.config(dir.resolve("b"), second, extra))) {
      JsonObject status = awaitState(second, id, "completed");
      assertEquals(BIG, status.getLong("events_scanned"), status.encode());
      assertEquals(BIG / 2, status.getLong("events_matched"));
      assertEquals(BIG / 2, status.getLong("events_delivered"));
    }
    List<ConsumerRecord<String, byte[]>> got = readAll(target);
    assertEquals(BIG / 2, ids(got).size(), "every matching event");
    assertEquals(BIG / 2, got.size(), "none twice");
  }

  @Test
  void badRequestsAreRefusedWithTheirPointers() throws Exception {
    String target = TestKafka.createTopic("replay.dst", 1);
    assertError(post("/replay", "{not json"), 400, "malformed_json", List.of());
    assertError(post("/replay", new JsonObject().put("topic", 5).put("start_time", "yesterday")
        .put("end_time", 7).put("filter", 3).put("target", "x").put("colour", "red").encode()), 400, "invalid_replay",
        List.of("/colour", "/end_time", "/filter", "/start_time", "/target", "/topic"));
    assertError(post("/replay", request(big, target).put("end_time", "2020-01-01T00:00:00Z")
        .put("start_time", "2020-01-02T00:00:00Z").encode()), 400, "invalid_replay", List.of("/end_time"));
    assertError(post("/replay", request(big, target).put("target", new JsonObject().put("topic", big)
        .put("websocket", true)).encode()), 400, "invalid_replay", List.of("/target/topic", "/target/websocket"));
    assertError(post("/replay", request(TestKafka.unique("nowhere"), target).encode()), 404, "topic_not_found",
        List.of("/topic"));
    assertError(post("/replay", request(big, TestKafka.unique("nowhere")).encode()), 404, "topic_not_found",
        List.of("/target/topic"));
    assertError(post("/replay", request(big, target).put("filter", "x".repeat(9000)).encode()), 413,
        "payload_too_large", List.of());
    assertError(get("/replay/" + EventIds.newId() + "/status"), 404, "replay_not_found", List.of());
    assertError(delete("/replay/nope"), 404, "replay_not_found", List.of());
  }

  private static JsonObject request(String topic, String target) {
    return new JsonObject().put("topic", topic).put("start_time", "2020-01-01T00:00:00Z")
        .put("filter", new JsonObject().put("event_type", "game.match.end"))
        .put("target", new JsonObject().put("topic", target));
  }

  private static void assertError(HttpResponse<String> response, int status, String code, List<String> pointers) {
    assertEquals(status, response.statusCode(), response.body());
    JsonObject error = new JsonObject(response.body()).getJsonObject("error");
    assertEquals(code, error.getString("code"), response.body());
    assertEquals(pointers, error.getJsonArray("details").stream().map(d -> ((JsonObject) d).getString("pointer"))
        .sorted().toList());
  }

  static KafkaProducer<String, byte[]> producer() {
    return new KafkaProducer<>(Map.of("bootstrap.servers", TestKafka.bootstrapServers(), "linger.ms", 5),
        new StringSerializer(), new ByteArraySerializer());
  }

  /** An envelope with this type and {@code data.n}, at record timestamp {@code time}; its event id. */
  static String send(KafkaProducer<String, byte[]> producer, String topic, long time, String type, String key, int n)
      throws Exception {
    String id = EventIds.newId().toString();
    JsonObject envelope = new JsonObject().put("event_id", id).put("event_type", type)
        .put("timestamp", Instant.ofEpochMilli(time).toString()).put("version", "1.0.0").put("source", "test")
        .put("data", new JsonObject().put("n", n))
        .put("metadata", new JsonObject().put("priority", "normal").put("ttl", "7d").put("retry_count", 0));
    ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, null, time, key,
        envelope.encode().getBytes(StandardCharsets.UTF_8));
    record.headers().add("event_type", type.getBytes(StandardCharsets.UTF_8));
    producer.send(record);
    return id;
  }

  static List<ConsumerRecord<String, byte[]>> readAll(String topic) {
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers",
        TestKafka.bootstrapServers(), "isolation.level", "read_committed"), new StringDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> ends = c.endOffsets(parts);
      List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (parts.stream().anyMatch(p -> c.position(p) < ends.get(p)) && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(out::add);
      }
      return out;
    }
  }

  static Set<String> ids(List<ConsumerRecord<String, byte[]>> records) {
    Set<String> out = new HashSet<>();
    records.forEach(r -> out.add(new JsonObject(new String(r.value(), StandardCharsets.UTF_8)).getString("event_id")));
    return out;
  }

  static String header(ConsumerRecord<String, byte[]> r, String name) {
    var h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static JsonObject status(int port, String id) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/replay/" + id
        + "/status")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body());
  }

  private static JsonObject awaitState(int port, String id, String state) throws Exception {
    JsonObject status = status(port, id);
    for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        !status.getString("state").equals(state) && System.nanoTime() < end; Thread.sleep(50)) {
      status = status(port, id);
    }
    assertEquals(state, status.getString("state"), status.encode());
    assertNotNull(status.getString("updated_at"));
    return status;
  }

  private static HttpResponse<String> post(String path, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> delete(String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).DELETE().build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
