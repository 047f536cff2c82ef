package com.necpgame.mesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.security.AuditLog;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import com.necpgame.mesh.testsupport.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.auth.JWTOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Personal channels on {@code /ws}: a player's JWT (one with the {@code player_id} claim) streams its own channel and
 * nothing else. The attack as a player would send it: a subscribe frame keyed on another player, or on no one.
 */
class PlayerChannelIT {

  private static final String HMAC = "player-channel-hmac-secret-0123456789abcdef";
  private static final String OPERATOR_KEY = "operator-key-0123456789abcdef";
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static Vertx vertx;
  private static JWTAuth signer;
  private static Mesh mesh;
  private static int port;
  private static String topic;
  private static String auditTopic;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    topic = TestKafka.createTopic(TestKafka.unique("players") + ".personal", 3);
    auditTopic = TestKafka.createTopic(TestKafka.unique("players.audit"), 1);
    vertx = Vertx.vertx();
    signer = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256")
        .setBuffer(HMAC)));
    port = TestMesh.freePort();
    mesh = Mesh.start(TestMesh.config(dir, port, slowMachine().put("security", new JsonObject()
        .put("anonymous", "deny").put("audit", new JsonObject().put("topic", auditTopic))
        .put("jwt", new JsonObject().put("hmac_secret", HMAC))
        .put("principals", new JsonObject()
            .put("players", new JsonObject().put("subscribe", new JsonArray().add("players*"))
                .put("shared_subscribe", new JsonArray().add("players-world*"))
                .put("endpoints", new JsonArray().add("ws")))
            .put("operator", new JsonObject().put("api_keys", new JsonArray().add(OPERATOR_KEY))
                .put("publish", new JsonArray().add("*")).put("subscribe", new JsonArray().add("*"))
                .put("endpoints", new JsonArray().add("*")))))));
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
    if (vertx != null) {
      vertx.close();
    }
  }

  private static String playerToken(String player) {
    return signer.generateToken(new JsonObject().put("sub", "players").put("player_id", player)
        .put("exp", System.currentTimeMillis() / 1000 + 600), new JWTOptions().setAlgorithm("HS256"));
  }

  private static Set<String> publish(String player, int count) throws Exception {
    JsonArray events = new JsonArray();
    for (int i = 0; i < count; i++) {
      events.add(new JsonObject().put("event_type", "game.loot").put("topic", topic).put("source", "player-it")
          .put("player_id", player).put("payload", new JsonObject().put("n", i)));
    }
    HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
        + "/events/publish/batch")).header("content-type", "application/json").header("X-API-Key", OPERATOR_KEY)
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("events", events).encode())).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    Set<String> ids = new HashSet<>();
    new JsonObject(response.body()).getJsonArray("results")
        .forEach(r -> ids.add(((JsonObject) r).getString("event_id")));
    return ids;
  }

  private static JsonObject answer(WsClient ws, JsonObject subscribe) throws Exception {
    ws.send(subscribe.put("op", "subscribe"));
    return ws.next(30);
  }

  private static Set<String> eventIds(WsClient ws, int count) throws Exception {
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < count; i++) {
      JsonObject frame = ws.next(30);
      assertEquals("event", frame.getString("type"), frame.encode());
      ids.add(frame.getJsonObject("event").getString("event_id"));
    }
    return ids;
  }

  private static JsonObject accessDenied() throws Exception {
    for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); System.nanoTime() < end; Thread.sleep(200)) {
      for (JsonObject e : TestKafka.envelopes(auditTopic)) {
        if (AuditLog.ACCESS_DENIED.equals(e.getString("event_type"))
            && e.getJsonObject("data").encode().contains("p-2")) {
          return e;
        }
      }
    }
    throw new AssertionError("no ACCESS_DENIED audit in " + TestKafka.envelopes(auditTopic));
  }

  @Test
  void aPlayerTokenCannotSubscribeToAnotherPlayersChannel() throws Exception {
    double refusedBefore = mesh.context().metrics().securityRefusals("forbidden", "subscribe");
    try (WsClient attacker = WsClient.connect(port, "access_token=" + playerToken("p-1"));
        WsClient operator = WsClient.connect(port, "access_token=" + OPERATOR_KEY)) {
      JsonObject theirs = answer(attacker, new JsonObject().put("id", "theirs").put("topics",
          new JsonArray().add(topic)).put("key", new JsonObject().put("player_id", "p-2")));
      assertEquals("error", theirs.getString("type"), theirs.encode());
      assertEquals(403, theirs.getInteger("status"));
      assertEquals("forbidden", theirs.getJsonObject("error").getString("code"));
      assertEquals("theirs", theirs.getString("ref"));
      JsonObject everyone = answer(attacker, new JsonObject().put("id", "all").put("topics",
          new JsonArray().add(topic)));
      assertEquals(403, everyone.getInteger("status"), "no key on a topic is everyone's events: " + everyone.encode());
      JsonObject mine = answer(attacker, new JsonObject().put("id", "mine").put("topics", new JsonArray().add(topic))
          .put("key", new JsonObject().put("player_id", "p-1")));
      assertEquals("subscribed", mine.getString("type"), mine.encode());
      assertEquals("mine", mine.getString("id"));
      JsonObject watched = answer(operator, new JsonObject().put("id", "p2").put("topics", new JsonArray().add(topic))
          .put("key", new JsonObject().put("player_id", "p-2")));
      assertEquals("subscribed", watched.getString("type"), "a service may key on anyone: " + watched.encode());

      Set<String> forP1 = publish("p-1", 6);
      Set<String> forP2 = publish("p-2", 9);
      assertEquals(forP1, eventIds(attacker, 6), "the player gets its own events");
      assertEquals(forP2, eventIds(operator, 9), "the service gets p-2's");
      assertNull(attacker.poll(700), "and the player none of p-2's");

      JsonObject audit = accessDenied();
      assertEquals("players", audit.getJsonObject("data").getString("principal"), audit.encode());
      assertTrue(mesh.context().metrics().securityRefusals("forbidden", "subscribe") >= refusedBefore + 2);
    }
  }

  @Test
  void aPlayerStreamsASharedTopicWholeWhenItsPrincipalSharesIt() throws Exception {
    String world = TestKafka.createTopic(TestKafka.unique("players-world"), 1);
    try (WsClient player = WsClient.connect(port, "access_token=" + playerToken("p-4"))) {
      JsonObject whole = answer(player, new JsonObject().put("id", "world").put("topics", new JsonArray().add(world)));
      assertEquals("subscribed", whole.getString("type"), whole.encode());
      JsonObject other = answer(player, new JsonObject().put("id", "other").put("topics", new JsonArray().add(world))
          .put("key", new JsonObject().put("player_id", "p-5")));
      assertEquals("subscribed", other.getString("type"), "any key on a shared topic: " + other.encode());
    }
  }

  @Test
  void anUnknownChannelIsAnInvalidSubscription() throws Exception {
    try (WsClient player = WsClient.connect(port, "access_token=" + playerToken("p-3"))) {
      JsonObject answer = answer(player, new JsonObject().put("topics", new JsonArray().add(topic))
          .put("key", new JsonObject().put("guild_id", "g-1")));
      assertEquals(400, answer.getInteger("status"), answer.encode());
      assertEquals("invalid_subscription", answer.getJsonObject("error").getString("code"));
      assertEquals("/key/guild_id", answer.getJsonObject("error").getJsonArray("details").getJsonObject(0)
          .getString("pointer"));
      List<String> fine = new ArrayList<>();
      fine.add(answer(player, new JsonObject().put("topics", new JsonArray().add(topic))
          .put("key", new JsonObject().put("player_id", "p-3"))).getString("type"));
      assertEquals(List.of("subscribed"), fine);
    }
  }

  /** Kafka calls may take long on a loaded machine (the mesh creates its topics at start). */
  private static JsonObject slowMachine() {
    return new JsonObject().put("kafka", new JsonObject().put("request_timeout_ms", 60000));
  }
}
