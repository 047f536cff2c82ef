package com.necpgame.mesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import com.necpgame.mesh.testsupport.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code websocket.engine: per_socket}, the design the benchmark compares the hub with, still streams: one
 * subscription per socket (a second is 409), events in order, unsubscribe.
 */
class PerSocketEngineIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static Mesh mesh;
  private static int port;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    port = TestMesh.freePort();
    mesh = Mesh.start(TestMesh.config(dir, port, new JsonObject()
        .put("kafka", new JsonObject().put("request_timeout_ms", 60000))
        .put("websocket", new JsonObject().put("engine", "per_socket"))));
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  void theOldEngineStreamsOneSubscriptionPerSocket() throws Exception {
    String topic = TestKafka.createTopic(TestKafka.unique("per-socket"), 2);
    try (WsClient ws = WsClient.connect(port)) {
      ws.send(new JsonObject().put("op", "subscribe").put("id", "a").put("topics", new JsonArray().add(topic)));
      JsonObject subscribed = ws.next(60);
      assertEquals("subscribed", subscribed.getString("type"), subscribed.encode());
      ws.send(new JsonObject().put("op", "subscribe").put("id", "b").put("topics", new JsonArray().add(topic)));
      assertEquals("already_subscribed", ws.next(30).getJsonObject("error").getString("code"));
      JsonArray events = new JsonArray();
      for (int i = 0; i < 10; i++) {
        events.add(new JsonObject().put("event_type", "game.kill").put("topic", topic).put("source", "per-socket-it")
            .put("payload", new JsonObject().put("n", i)));
      }
      HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
          + "/events/publish/batch")).header("content-type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("events", events).encode())).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, response.statusCode(), response.body());
      List<Integer> got = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        JsonObject frame = ws.next(60);
        assertEquals("event", frame.getString("type"), frame.encode());
        got.add(frame.getJsonObject("event").getJsonObject("data").getInteger("n"));
      }
      assertEquals(10, got.stream().distinct().count());
      ws.send(new JsonObject().put("op", "unsubscribe"));
      assertEquals("unsubscribed", ws.next(30).getString("type"));
    }
  }
}
