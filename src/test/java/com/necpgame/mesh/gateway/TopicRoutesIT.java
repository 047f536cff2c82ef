package com.necpgame.mesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** POST /topics, GET /topics and GET /topics/{name} on a running mesh with a real broker and database. */
class TopicRoutesIT {

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

  private static HttpResponse<String> send(String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("content-type", "application/json");
    b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
        : b.method(method, HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static List<String> pointers(HttpResponse<String> response) {
    return new JsonObject(response.body()).getJsonObject("error").getJsonArray("details").stream()
        .map(d -> ((JsonObject) d).getString("pointer")).sorted().toList();
  }

  @Test
  void createdTopicExistsInKafkaWithItsDlqIsRecordedAndASecondCreateIs409() throws Exception {
    String name = TestKafka.unique("game.created");
    JsonObject request = new JsonObject().put("name", name).put("description", "Real-time game match events")
        .put("partitions", 6).put("replication_factor", 3).put("retention_hours", 48).put("category", "game")
        .put("owner_service", "match-service").put("is_system_topic", false).put("requires_auth", false)
        .put("enable_dlq", true);
    HttpResponse<String> created = send("POST", "/topics", request.encode());
    assertEquals(201, created.statusCode(), created.body());
    assertEquals("/topics/" + name, created.headers().firstValue("location").orElse(""));
    JsonObject body = new JsonObject(created.body());
    assertEquals(6, body.getInteger("partitions"));
    assertEquals(1, body.getInteger("replication_factor"), "capped to the one broker there is");
    assertEquals("match-service", body.getString("owner_service"));
    assertEquals("active", body.getString("status"));

    var kafka = TestKafka.admin().describeTopics(List.of(name, name + ".dlq")).allTopicNames()
        .get(30, TimeUnit.SECONDS);
    assertEquals(6, kafka.get(name).partitions().size());
    assertEquals(6, kafka.get(name + ".dlq").partitions().size());

    HttpResponse<String> again = send("POST", "/topics", request.encode());
    assertEquals(409, again.statusCode(), again.body());
    assertEquals("topic_exists", new JsonObject(again.body()).getJsonObject("error").getString("code"));
  }

  @Test
  void invalidTopicRequestsAre400WithPointers() throws Exception {
    HttpResponse<String> bad = send("POST", "/topics", new JsonObject().put("name", "../etc").put("partitions", 0)
        .put("retention_hours", "a week").put("enable_dlq", "yes").put("colour", 1).encode());
    assertEquals(400, bad.statusCode(), bad.body());
    assertEquals(List.of("/colour", "/enable_dlq", "/name", "/partitions", "/retention_hours"), pointers(bad));
    assertEquals(List.of("/name"), pointers(send("POST", "/topics", "{}")));
    assertEquals(400, send("POST", "/topics", "{\"name\":").statusCode());
  }

  @Test
  void listIsPagedByNameWithTheTotalInAHeader() throws Exception {
    String prefix = TestKafka.unique("list");
    for (String suffix : List.of("a", "b", "c")) {
      assertEquals(201, send("POST", "/topics", new JsonObject().put("name", prefix + "." + suffix)
          .put("partitions", 1).put("enable_dlq", false).encode()).statusCode());
    }
    HttpResponse<String> all = send("GET", "/topics?limit=1000", null);
    assertEquals(200, all.statusCode());
    JsonArray topics = new JsonArray(all.body());
    int total = Integer.parseInt(all.headers().firstValue("x-total-count").orElseThrow());
    assertEquals(total, topics.size());
    List<String> names = topics.stream().map(t -> ((JsonObject) t).getString("name")).toList();
    assertEquals(names.stream().sorted().toList(), names, "sorted by name");
    assertTrue(names.containsAll(List.of(prefix + ".a", prefix + ".b", prefix + ".c")));
    assertTrue(names.contains("game.combat.events"), "declared topics are listed too");
    assertFalse(names.contains("__consumer_offsets"), "Kafka's own topics are not");

    int at = names.indexOf(prefix + ".b");
    JsonArray page = new JsonArray(send("GET", "/topics?limit=1&offset=" + at, null).body());
    assertEquals(1, page.size());
    assertEquals(prefix + ".b", page.getJsonObject(0).getString("name"));
    assertEquals(400, send("GET", "/topics?limit=0", null).statusCode());
    assertEquals(400, send("GET", "/topics?offset=x", null).statusCode());
  }

  @Test
  void describeShowsPartitionsOffsetsAndTheLagOfConsumerGroups() throws Exception {
    String name = TestKafka.unique("game.described");
    assertEquals(201, send("POST", "/topics", new JsonObject().put("name", name).put("partitions", 2).encode())
        .statusCode());
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> published = send("POST", "/events/publish", new JsonObject().put("event_type", "game.kill")
          .put("topic", name).put("source", "t").put("session_id", "s" + i).encode());
      assertEquals(200, published.statusCode(), published.body());
    }
    JsonObject described = null;
    for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); System.nanoTime() < end; Thread.sleep(200)) {
      described = new JsonObject(send("GET", "/topics/" + name, null).body());
      boolean storeCaughtUp = described.getJsonArray("consumer_groups").stream()
          .anyMatch(g -> ((JsonObject) g).getString("group").equals("event-mesh.store")
              && ((JsonObject) g).getLong("lag") == 0);
      if (storeCaughtUp) {
        break;
      }
    }
    assertEquals(2, described.getInteger("partitions"));
    assertEquals(3L, described.getLong("messages"));
    assertEquals(3L, described.getJsonArray("partition_details").stream()
        .mapToLong(p -> ((JsonObject) p).getLong("end_offset")).sum());
    assertEquals("active", described.getString("status"), "the registry's record is merged in");
    assertTrue(described.getJsonArray("consumer_groups").stream().anyMatch(g -> ((JsonObject) g).getString("group")
        .equals("event-mesh.store") && ((JsonObject) g).getLong("lag") == 0), described.encode());

    assertEquals(404, send("GET", "/topics/" + TestKafka.unique("absent"), null).statusCode());
    assertEquals(404, send("GET", "/topics/..%2F..%2Fetc", null).statusCode());
  }
}
