package com.necpgame.mesh.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.kafka.DeadLetters;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GET /dlq/{topic} and POST /dlq/{topic}/redrive against dead letters written as the bridge writes them. */
class DeadLetterRoutesIT {

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

  /** A topic and its .dlq holding {@code n} dead letters of records at offsets 10, 11, ... of partition 2. */
  private static List<String> deadLetters(String topic, int n) throws Exception {
    TestKafka.admin().createTopics(List.of(new NewTopic(topic + ".dlq", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
    List<String> ids = new ArrayList<>();
    try (KafkaProducer<String, byte[]> producer = ReplayIT.producer()) {
      for (int i = 0; i < n; i++) {
        String id = "00000000-0000-7000-8000-00000000000" + i;
        byte[] value = new JsonObject().put("event_id", id).put("event_type", "game.kill").encode()
            .getBytes(StandardCharsets.UTF_8);
        ConsumerRecord<String, byte[]> failed = new ConsumerRecord<>(topic, 2, 10 + i, "key" + i, value);
        failed.headers().add("event_type", "game.kill".getBytes(StandardCharsets.UTF_8));
        producer.send(DeadLetters.of(failed, "game.handler", "handler failed: boom " + i, 5)).get();
        ids.add(id);
      }
    }
    return ids;
  }

  @Test
  void listsDeadLettersWithReasonAndOriginPageByPage() throws Exception {
    String topic = TestKafka.createTopic("game.dlqlist", 3);
    List<String> ids = deadLetters(topic, 3);
    HttpResponse<String> all = get("/dlq/" + topic);
    assertEquals(200, all.statusCode(), all.body());
    assertEquals("3", all.headers().firstValue("X-Total-Count").orElse(""));
    JsonArray items = new JsonObject(all.body()).getJsonArray("items");
    assertEquals(3, items.size());
    JsonObject first = items.getJsonObject(0);
    assertEquals("handler failed: boom 0", first.getString("reason"));
    assertEquals(topic, first.getString("source_topic"));
    assertEquals(2, first.getInteger("source_partition"));
    assertEquals(10, first.getLong("source_offset"));
    assertEquals(5, first.getInteger("attempts"));
    assertEquals("game.handler", first.getString("address"));
    assertEquals("key0", first.getString("key"));
    Instant.parse(first.getString("failed_at"));
    assertEquals(ids.get(0), first.getJsonObject("envelope").getString("event_id"));
    assertEquals(new JsonObject().put("event_type", "game.kill"), first.getJsonObject("headers"));

    JsonArray page = new JsonObject(get("/dlq/" + topic + "?limit=2&offset=2").body()).getJsonArray("items");
    assertEquals(List.of(ids.get(2)), page.stream().map(i -> ((JsonObject) i).getJsonObject("envelope")
        .getString("event_id")).toList());
    for (String query : List.of("limit=0", "limit=1001", "limit=ten", "limit=%2B5", "offset=-1", "offset=1.5")) {
      assertEquals(400, get("/dlq/" + topic + "?" + query).statusCode(), query);
    }
    assertEquals(404, get("/dlq/" + TestKafka.unique("nowhere")).statusCode());
  }

  @Test
  void redriveRepublishesTheChosenDeadLettersToTheirTopicWithoutDlqHeaders() throws Exception {
    String topic = TestKafka.createTopic("game.dlqredrive", 3);
    Instant before = Instant.now().minusSeconds(1);
    List<String> ids = deadLetters(topic, 3);
    HttpResponse<String> chosen = post("/dlq/" + topic + "/redrive",
        "{\"offsets\":{\"0\":[0,2,99]}}");
    assertEquals(200, chosen.statusCode(), chosen.body());
    JsonObject result = new JsonObject(chosen.body());
    assertEquals(2, result.getInteger("redriven"));
    assertEquals(new JsonArray().add(new JsonObject().put("partition", 0).put("offset", 99)),
        result.getJsonArray("missing"));
    List<ConsumerRecord<String, byte[]>> got = ReplayIT.readAll(topic);
    assertEquals(List.of(ids.get(0), ids.get(2)).stream().sorted().toList(),
        ReplayIT.ids(got).stream().sorted().toList());
    assertEquals(2, got.size());
    for (ConsumerRecord<String, byte[]> r : got) {
      assertNull(ReplayIT.header(r, DeadLetters.REASON));
      assertNull(ReplayIT.header(r, DeadLetters.SOURCE_TOPIC));
      assertEquals("game.kill", ReplayIT.header(r, "event_type"));
    }

    HttpResponse<String> since = post("/dlq/" + topic + "/redrive", new JsonObject()
        .put("since", before.toString()).encode());
    assertEquals(3, new JsonObject(since.body()).getInteger("redriven"), since.body());
    assertEquals(5, ReplayIT.readAll(topic).size());

    assertEquals(400, post("/dlq/" + topic + "/redrive", "{}").statusCode());
    assertEquals(400, post("/dlq/" + topic + "/redrive", "{\"offsets\":{\"x\":[1]}}").statusCode());
    assertEquals(400, post("/dlq/" + topic + "/redrive", "{\"since\":\"now\"}").statusCode());
    assertEquals(404, post("/dlq/" + TestKafka.unique("nowhere") + "/redrive", "{\"since\":\"2020-01-01T00:00:00Z\"}")
        .statusCode());
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> post(String path, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
