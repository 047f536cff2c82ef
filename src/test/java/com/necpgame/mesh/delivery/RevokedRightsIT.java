package com.necpgame.mesh.delivery;

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
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An operator shrinks a principal's {@code subscribe} globs and restarts the mesh: the subscriptions the principal
 * created under its old rights stop delivering (paused, with the reason an admin sees), while another principal's
 * subscription, still within its rights, keeps delivering.
 */
class RevokedRightsIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Vertx VERTX = Vertx.vertx();
  private static final String PLAYER = "player-key-3f5a7c9e1b2d4f6a";
  private static final String OTHER = "other-key-8d0f2b4a6c1e3a5c";
  private static final String OPERATOR = "operator-key-5b7d9f1a3c2e4a6c";

  private static HttpServer receiver;
  private static final List<String> received = new CopyOnWriteArrayList<>();
  private static int port;

  @AfterAll
  static void stop() {
    VERTX.close();
  }

  @Test
  void aSubscriptionWhoseOwnerMayNoLongerReadItsTopicsIsPausedAfterARestart(@TempDir Path dir) throws Exception {
    String revoked = TestKafka.createTopic("game.a", 1);
    String kept = TestKafka.createTopic("game.q", 1);
    receiver = VERTX.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      received.add(req.path() + " " + body);
      req.response().setStatusCode(200).end();
    })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    String database = TestDatabase.url(TestDatabase.freshDatabase());
    String group = TestKafka.unique("revoked");

    String hookId;
    String otherId;
    try (Mesh mesh = start(dir, database, group, "game.a*")) {
      hookId = created(PLAYER, revoked, "/player");
      otherId = created(OTHER, kept, "/other");
      Thread.sleep(600); // the router and the dispatcher re-read subscriptions every 200 ms
      String first = publish(revoked);
      waitFor(() -> received.stream().anyMatch(r -> r.startsWith("/player ") && r.contains(first)),
          "the first event delivered to the player's webhook");
    }

    try (Mesh mesh = start(dir, database, group, "game.b*")) {
      List<String> ids = List.of(publish(revoked), publish(revoked), publish(revoked));
      String marker = publish(kept);
      waitFor(() -> received.stream().anyMatch(r -> r.startsWith("/other ") && r.contains(marker)),
          "the other principal's event delivered");
      Thread.sleep(5_000);
      for (String id : ids) {
        assertTrue(received.stream().noneMatch(r -> r.contains(id)),
            "an event on a topic the owner may no longer read was delivered: " + id);
      }
      HttpResponse<String> row = call(OPERATOR, "GET", "/subscriptions/" + hookId, null);
      assertEquals(200, row.statusCode(), row.body());
      JsonObject s = new JsonObject(row.body());
      assertEquals("paused", s.getString("status"), row.body());
      assertEquals("owner player may no longer subscribe to " + revoked
          + " (security.principals.player.subscribe)", s.getString("paused_reason"));
      // the owner cannot set it active again while its rights do not cover it
      HttpResponse<String> reactivate = call(PLAYER, "PATCH", "/subscriptions/" + hookId,
          new JsonObject().put("status", "active"));
      assertEquals(403, reactivate.statusCode(), reactivate.body());
      assertEquals("paused", new JsonObject(call(OPERATOR, "GET", "/subscriptions/" + hookId, null).body())
          .getString("status"));
      HttpResponse<String> other = call(OPERATOR, "GET", "/subscriptions/" + otherId, null);
      assertEquals("active", new JsonObject(other.body()).getString("status"), other.body());
    }
  }

  private static Mesh start(Path dir, String database, String group, String playerSubscribe) throws Exception {
    JsonArray groups = new JsonArray().add("events").add("subscriptions");
    JsonObject principals = new JsonObject()
        .put("player", new JsonObject().put("api_keys", new JsonArray().add(PLAYER))
            .put("subscribe", new JsonArray().add(playerSubscribe)).put("endpoints", groups))
        .put("other", new JsonObject().put("api_keys", new JsonArray().add(OTHER))
            .put("subscribe", new JsonArray().add("game.q*")).put("endpoints", groups))
        .put("operator", new JsonObject().put("api_keys", new JsonArray().add(OPERATOR)).put("admin", true)
            .put("publish", new JsonArray().add("*")).put("subscribe", new JsonArray().add("*"))
            .put("endpoints", new JsonArray().add("*")));
    port = TestMesh.freePort();
    return Mesh.start(TestMesh.config(dir, port, new JsonObject()
        .put("database", new JsonObject().put("url", database))
        .put("security", new JsonObject().put("anonymous", "deny").put("principals", principals))
        .put("delivery", new JsonObject().put("group", group).put("refresh_ms", 200)
            .put("webhook", new JsonObject().put("poll_ms", 50)))));
  }

  private static String created(String key, String topic, String path) {
    HttpResponse<String> response = call(key, "POST", "/subscriptions", new JsonObject()
        .put("service_name", TestKafka.unique("hooks")).put("method", "webhook").put("topic_pattern", topic)
        .put("endpoint", "http://127.0.0.1:" + receiver.actualPort() + path).put("retry_delay", 1));
    assertEquals(201, response.statusCode(), response.body());
    return new JsonObject(response.body()).getString("subscription_id");
  }

  /** Publishes one event as the operator; its event id. */
  private static String publish(String topic) {
    HttpResponse<String> r = call(OPERATOR, "POST", "/events/publish", new JsonObject()
        .put("event_type", "game.revoked.test").put("topic", topic).put("source", "revoked-it")
        .put("payload", new JsonObject().put("n", 1)));
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body()).getString("event_id");
  }

  private static HttpResponse<String> call(String key, String method, String path, JsonObject body) {
    try {
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .header("X-API-Key", key).header("content-type", "application/json")
          .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofString(body.encode()));
      return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private interface Check {
    boolean holds() throws Exception;
  }

  private static void waitFor(Check check, String what) throws Exception {
    for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); System.nanoTime() < end; Thread.sleep(100)) {
      if (check.holds()) {
        return;
      }
    }
    throw new AssertionError("not within 60 s: " + what);
  }
}
