package com.necpgame.mesh.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The seed's own requests answered as the seed documents them (issue 18): replay without a target, /health. */
class SeedCompatibilityIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static Mesh mesh;
  private static int port;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    port = TestMesh.freePort();
    mesh = Mesh.start(TestMesh.config(dir, port, new JsonObject()));
  }

  @AfterAll
  static void stop() {
    mesh.close();
  }

  @Test
  void aReplayWithoutTargetGoesToATopicOfItsOwnNamedInTheAnswer() throws Exception {
    String source = TestKafka.createTopic("seed.replay", 2);
    long t0 = Instant.now().minusSeconds(60).toEpochMilli();
    Set<String> expected = new HashSet<>();
    try (KafkaProducer<String, byte[]> producer = ReplayIT.producer()) {
      for (int i = 0; i < 10; i++) {
        String type = i % 2 == 0 ? "game.match.end" : "game.kill";
        String id = ReplayIT.send(producer, source, t0 + i, type, "k" + i, i);
        if (type.equals("game.match.end")) {
          expected.add(id);
        }
      }
    }
    // the seed's body, exactly: topic, window, filter as a string, no target
    HttpResponse<String> created = post("/replay", new JsonObject().put("topic", source)
        .put("start_time", Instant.ofEpochMilli(t0 - 1000).toString())
        .put("end_time", Instant.ofEpochMilli(t0 + 1000).toString())
        .put("filter", "{\"event_type\":\"game.match.end\"}").encode());
    assertEquals(202, created.statusCode(), created.body());
    JsonObject job = new JsonObject(created.body());
    String id = job.getString("replay_id");
    String own = "replay." + id;
    assertEquals(new JsonObject().put("topic", own), job.getJsonObject("target"), job.encode());

    JsonObject topic = new JsonObject(get("/topics/" + own).body());
    assertEquals(2, topic.getInteger("partitions"), "as many partitions as the source: " + topic.encode());
    JsonObject status = new JsonObject(get("/replay/" + id + "/status").body());
    for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        !"completed".equals(status.getString("state")) && System.nanoTime() < end; Thread.sleep(100)) {
      status = new JsonObject(get("/replay/" + id + "/status").body());
    }
    assertEquals("completed", status.getString("state"), status.encode());
    assertEquals(5, status.getLong("events_delivered"));
    var got = ReplayIT.readAll(own);
    assertEquals(expected, ReplayIT.ids(got));
    assertEquals(expected.size(), got.size(), "each once");
    // the topic is recorded as the caller's, as one created through POST /topics
    JsonObject listed = new io.vertx.core.json.JsonArray(get("/topics?limit=1000").body()).stream()
        .map(JsonObject.class::cast).filter(t -> own.equals(t.getString("name"))).findFirst().orElseThrow();
    assertEquals("replay", listed.getString("category"), listed.encode());
    assertNotNull(listed.getString("owner_principal"), listed.encode());
  }

  @Test
  void healthCarriesTheSeedsFields() throws Exception {
    HttpResponse<String> r = get("/health");
    assertEquals(200, r.statusCode());
    JsonObject health = new JsonObject(r.body());
    assertEquals("healthy", health.getString("status"), health.encode());
    assertEquals("event-bus-service", health.getString("domain"));
    Instant at = Instant.parse(health.getString("timestamp"));
    assertTrue(Math.abs(at.toEpochMilli() - System.currentTimeMillis()) < 60_000, health.encode());
    assertTrue(health.getString("version").matches("\\d+\\.\\d+\\.\\d+.*"), health.encode());
    assertEquals(Boolean.TRUE, health.getBoolean("kafka_connected"), health.encode());
    int topics = TestKafka.admin().listTopics().names().get(30, TimeUnit.SECONDS).size();
    assertTrue(health.getInteger("topics_active") > 0 && health.getInteger("topics_active") <= topics + 10,
        health.encode() + " against " + topics);
    assertNotNull(health.getLong("subscribers_active"), health.encode());
    assertNotNull(health.getString("node_id"), "today's field kept");
    for (String field : List.of("status", "domain", "timestamp", "version", "kafka_connected", "topics_active",
        "subscribers_active")) {
      assertTrue(health.containsKey(field), field);
    }
  }

  static HttpResponse<String> post(String path, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
