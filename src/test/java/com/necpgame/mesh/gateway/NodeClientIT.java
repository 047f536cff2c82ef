package com.necpgame.mesh.gateway;

import static com.necpgame.mesh.testsupport.Commands.onPath;
import static com.necpgame.mesh.testsupport.Commands.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client not written in Java: {@code src/test/node/ws-client.mjs} with the {@code ws} package from npm subscribes,
 * receives what was published, and publishes over the socket. Needs {@code node} and {@code npm} on the PATH (skipped,
 * saying so, where they are missing).
 */
class NodeClientIT {

  private static final Path CLIENT = Path.of("src", "test", "node");

  @Test
  void aNodeClientSubscribesReceivesEveryEventInOrderAndPublishes(@TempDir Path dir) throws Exception {
    Assumptions.assumeTrue(onPath("node") && onPath("npm"), "node and npm are not on the PATH");
    Path work = Files.createDirectories(Path.of("target", "node-client"));
    Files.copy(CLIENT.resolve("package.json"), work.resolve("package.json"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.copy(CLIENT.resolve("ws-client.mjs"), work.resolve("ws-client.mjs"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    run(work, 300, "npm", "install", "--no-audit", "--no-fund", "--loglevel=error");

    String topic = TestKafka.createTopic("node-client", 3);
    int port = TestMesh.freePort();
    try (Mesh mesh = Mesh.start(TestMesh.config(dir, port, new JsonObject()))) {
      JsonArray events = new JsonArray();
      for (int i = 0; i < 20; i++) {
        events.add(new JsonObject().put("event_type", "game.kill").put("topic", topic).put("source", "java")
            .put("session_id", "s" + i % 5).put("payload", new JsonObject().put("n", i)));
      }
      HttpResponse<String> published = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + port + "/events/publish/batch")).header("content-type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("events", events).encode())).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, published.statusCode(), published.body());

      List<JsonObject> frames = run(work, 120, "node", "ws-client.mjs", "ws://127.0.0.1:" + port + "/ws", topic, "20")
          .stream().map(JsonObject::new).toList();
      assertEquals("subscribed", frames.get(0).getString("type"));
      Map<Integer, Long> next = new HashMap<>();
      List<Integer> numbers = new ArrayList<>();
      JsonObject ack = null;
      for (JsonObject frame : frames.subList(1, frames.size())) {
        if ("ack".equals(frame.getString("type"))) {
          ack = frame;
        } else if (numbers.size() < 20) {
          assertEquals("event", frame.getString("type"), frame.encode());
          int partition = frame.getInteger("partition");
          assertEquals(next.getOrDefault(partition, 0L), frame.getLong("offset"), "in order, no gap");
          next.put(partition, frame.getLong("offset") + 1);
          numbers.add(frame.getJsonObject("event").getJsonObject("data").getInteger("n"));
        }
      }
      assertEquals(20, numbers.stream().distinct().count(), "every event once: " + numbers);
      assertTrue(ack != null && "from-node".equals(ack.getString("ref")), "the node client's publish was acknowledged");

      try (WsClient java = WsClient.connect(port)) {
        java.send(new JsonObject().put("op", "subscribe").put("topics", new JsonArray().add(topic))
            .put("start", new JsonObject().put("offsets", new JsonObject().put(topic, new JsonObject()
                .put(String.valueOf(ack.getInteger("partition")), ack.getLong("offset")))).put("otherwise", "latest")));
        java.next(30);
        JsonObject event = java.next(30).getJsonObject("event");
        assertEquals(ack.getString("event_id"), event.getString("event_id"));
        assertEquals("hello from node", event.getJsonObject("data").getString("text"));
      }
    }
  }
}
