package com.necpgame.mesh.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.testsupport.TestDatabase;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL stops while the mesh runs (its own embedded server, on a fixed port so it can come back on the same
 * one): publishing goes on (Kafka is the source of truth), {@code /health} stays 200 while {@code /ready} says the
 * database is down, and once PostgreSQL is back the event store indexes what was published meanwhile and the webhook
 * deliveries that waited are made, each event once.
 */
class DatabaseDownIT {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void publishingGoesOnAndTheStoreAndWebhooksCatchUpWhenPostgresReturns(@TempDir Path dir) throws Exception {
    int pgPort = TestMesh.freePort();
    EmbeddedDatabase db = EmbeddedDatabase.start(dir.resolve("pg"), pgPort);
    Vertx vertx = Vertx.vertx();
    Set<String> delivered = ConcurrentHashMap.newKeySet();
    List<String> deliveries = new ArrayList<>();
    HttpServer receiver = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      synchronized (deliveries) {
        deliveries.add(req.getHeader("webhook-id"));
      }
      delivered.add(new JsonObject(body.toString()).getString("event_id"));
      req.response().end();
    })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    int port = TestMesh.freePort();
    Mesh mesh = null;
    try {
      mesh = Mesh.start(TestMesh.config(dir, port, new JsonObject()
          .put("database", new JsonObject().put("url", TestDatabase.url(db.connectOptions())).put("pool_size", 4))
          .put("store", new JsonObject().put("group", TestKafka.unique("store")).put("retry_pause_ms", 200))
          .put("delivery", new JsonObject().put("group", TestKafka.unique("hooks")).put("refresh_ms", 200)
              .put("retry_pause_ms", 200).put("webhook", new JsonObject().put("poll_ms", 50)))));
      String topic = TestKafka.createTopic("game.pgdown", 3);
      HttpResponse<String> sub = call("POST", port, "/subscriptions", new JsonObject().put("service_name", "pgdown")
          .put("method", "webhook").put("endpoint", "http://127.0.0.1:" + receiver.actualPort() + "/hook")
          .put("topic_pattern", topic).put("retry_delay", 1));
      assertEquals(201, sub.statusCode(), sub.body());
      List<String> before = publish(port, topic, 10);
      await("the first 10 delivered", () -> delivered.containsAll(before));

      db.close();
      db = null;
      List<String> during = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        during.addAll(publish(port, topic, 10)); // each a 200: Kafka took them, PostgreSQL is not needed for that
      }
      assertEquals(200, call("GET", port, "/health", null).statusCode());
      HttpResponse<String> ready = call("GET", port, "/ready", null);
      assertEquals(503, ready.statusCode(), ready.body());
      assertEquals("DOWN", new JsonObject(ready.body()).getJsonObject("checks").getJsonObject("database")
          .getString("status"), ready.body());
      Thread.sleep(2000); // the store and the delivery router fail against the stopped server meanwhile
      assertTrue(during.stream().noneMatch(delivered::contains), "webhook deliveries wait for their queue in PostgreSQL");

      db = EmbeddedDatabase.start(dir.resolve("pg"), pgPort);
      await("the 50 published during the outage delivered", () -> delivered.containsAll(during));
      for (String id : during) {
        await("event " + id + " in the store", () -> stored(port, id));
      }
      Thread.sleep(1000); // room for a duplicate delivery to show
      synchronized (deliveries) {
        assertEquals(60, deliveries.size(), "each event delivered once: " + deliveries);
        assertEquals(60, new HashSet<>(deliveries).size());
      }
      await("ready again", () -> call("GET", port, "/ready", null).statusCode() == 200);
    } finally {
      try {
        if (mesh != null) {
          mesh.close();
        }
      } finally {
        receiver.close();
        vertx.close();
        if (db != null) {
          db.close();
        }
      }
    }
  }

  private static List<String> publish(int port, String topic, int count) throws Exception {
    JsonArray events = new JsonArray();
    for (int i = 0; i < count; i++) {
      events.add(new JsonObject().put("event_type", "game.kill").put("topic", topic).put("source", "pgdown")
          .put("payload", new JsonObject().put("n", i)));
    }
    HttpResponse<String> response = call("POST", port, "/events/publish/batch", new JsonObject().put("events", events));
    assertEquals(200, response.statusCode(), response.body());
    List<String> ids = new ArrayList<>();
    new JsonObject(response.body()).getJsonArray("results").forEach(r -> ids.add(((JsonObject) r).getString("event_id")));
    return ids;
  }

  private static boolean stored(int port, String id) {
    HttpResponse<String> r = call("GET", port, "/events/" + id + "/status", null);
    // stored: published, or already delivered to the webhook (the status reads the deliveries too)
    return r.statusCode() == 200
        && List.of("published", "delivered").contains(new JsonObject(r.body()).getString("status"));
  }

  private static HttpResponse<String> call(String method, int port, String path, JsonObject body) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .header("content-type", "application/json").timeout(Duration.ofSeconds(30))
          .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError(method + " " + path + " failed", e);
    }
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90); !condition.getAsBoolean(); Thread.sleep(100)) {
      assertTrue(System.nanoTime() < end, "timed out waiting until " + what);
    }
  }
}
