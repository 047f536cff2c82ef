package com.necpgame.mesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * 1,000 sockets on two processes, each with its personal channel and one shared topic: every event reaches exactly
 * the sockets it should (its player's, or all for a shared one), once, in order per partition, and none elsewhere.
 */
class FanoutScaleIT {

  private static final Logger LOG = LoggerFactory.getLogger(FanoutScaleIT.class);
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final int SOCKETS = 1000;
  private static final int PER_PLAYER = 2;
  private static final int SHARED = 20;
  private static Mesh a;
  private static Mesh b;
  private static int portA;
  private static int portB;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    portA = TestMesh.freePort();
    a = Mesh.start(TestMesh.config(dir.resolve("a"), portA, slowMachine()));
    portB = TestMesh.freePort();
    b = Mesh.start(TestMesh.config(dir.resolve("b"), portB, slowMachine()));
  }

  @AfterAll
  static void stop() {
    if (b != null) {
      b.close();
    }
    if (a != null) {
      a.close();
    }
  }

  private static Map<String, String> publish(List<JsonObject> events) throws Exception {
    HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + portA
        + "/events/publish/batch")).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("events", new JsonArray(events)).encode()))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    JsonArray results = new JsonObject(response.body()).getJsonArray("results");
    Map<String, String> byId = new HashMap<>();
    for (int i = 0; i < events.size(); i++) {
      byId.put(results.getJsonObject(i).getString("event_id"), events.get(i).getString("player_id", "*"));
    }
    return byId;
  }

  @Test
  void everyEventReachesExactlyItsSocketsInOrderOnTwoProcesses() throws Exception {
    String personal = TestKafka.createTopic(TestKafka.unique("scale") + ".personal", 6);
    String shared = TestKafka.createTopic(TestKafka.unique("scale") + ".world", 2);
    List<WsClient> sockets = new ArrayList<>();
    try {
      long heapBefore = usedHeap();
      long t0 = System.nanoTime();
      for (int i = 0; i < SOCKETS; i++) {
        WsClient ws = WsClient.connect(i % 2 == 0 ? portA : portB);
        sockets.add(ws);
        ws.send(new JsonObject().put("op", "subscribe").put("id", "me").put("topics", new JsonArray().add(personal))
            .put("key", new JsonObject().put("player_id", "p-" + i)));
        ws.send(new JsonObject().put("op", "subscribe").put("id", "world").put("topics", new JsonArray().add(shared)));
      }
      for (WsClient ws : sockets) {
        Set<String> ids = new HashSet<>();
        for (int k = 0; k < 2; k++) {
          JsonObject answer = ws.next(60);
          assertEquals("subscribed", answer.getString("type"), answer.encode());
          ids.add(answer.getString("id"));
        }
        assertEquals(Set.of("me", "world"), ids);
      }
      LOG.info("{} sockets connected and subscribed twice on two processes in {} ms", SOCKETS,
          (System.nanoTime() - t0) / 1_000_000);
      LOG.info("heap per idle socket, both processes and the test's own client side together: {} bytes",
          (usedHeap() - heapBefore) / SOCKETS);

      Map<String, String> owner = new HashMap<>();
      List<JsonObject> batch = new ArrayList<>();
      for (int round = 0; round < PER_PLAYER; round++) {
        for (int i = 0; i < SOCKETS; i++) {
          batch.add(new JsonObject().put("event_type", "game.loot").put("topic", personal).put("source", "scale-it")
              .put("player_id", "p-" + i).put("payload", new JsonObject().put("round", round)));
          if (batch.size() == 500) {
            owner.putAll(publish(batch));
            batch.clear();
          }
        }
      }
      for (int s = 0; s < SHARED; s++) {
        batch.add(new JsonObject().put("event_type", "game.weather").put("topic", shared).put("source", "scale-it")
            .put("payload", new JsonObject().put("n", s)));
      }
      owner.putAll(publish(batch));
      long t1 = System.nanoTime();

      long delivered = 0;
      for (int i = 0; i < SOCKETS; i++) {
        WsClient ws = sockets.get(i);
        Map<String, Long> lastOffset = new HashMap<>();
        Set<String> got = new HashSet<>();
        for (int k = 0; k < PER_PLAYER + SHARED; k++) {
          JsonObject frame = ws.next(60);
          assertEquals("event", frame.getString("type"), frame.encode());
          String id = frame.getJsonObject("event").getString("event_id");
          String forWhom = owner.get(id);
          assertTrue(forWhom != null && (forWhom.equals("*") || forWhom.equals("p-" + i)),
              "socket " + i + " got an event for " + forWhom);
          assertTrue(got.add(id), "once");
          String partition = frame.getString("topic") + "/" + frame.getInteger("partition");
          Long before = lastOffset.put(partition, frame.getLong("offset"));
          assertTrue(before == null || before < frame.getLong("offset"), "in order on " + partition);
          delivered++;
        }
      }
      LOG.info("{} deliveries ({} events) reached their sockets in {} ms", delivered, owner.size(),
          (System.nanoTime() - t1) / 1_000_000);
      for (WsClient ws : sockets) {
        assertNull(ws.poll(5), "none elsewhere");
      }
      assertNull(sockets.get(0).poll(500), "none elsewhere, even later");
    } finally {
      sockets.forEach(WsClient::close);
    }
  }

  private static long usedHeap() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    Runtime r = Runtime.getRuntime();
    return r.totalMemory() - r.freeMemory();
  }

  /** Kafka calls may take long on a loaded machine (the mesh creates its topics at start). */
  private static JsonObject slowMachine() {
    return new JsonObject().put("kafka", new JsonObject().put("request_timeout_ms", 60000));
  }
}
