package com.necpgame.mesh.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.testsupport.TestDatabase;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Webhook signing secrets as someone who reads the database (a backup, a replica, a leaked dump) finds them: encrypted,
 * under the key id that sealed them, never the {@code whsec_} text the API showed once. Deliveries are still signed
 * with that secret; rows written in plain text before encryption, and rows of a key being rotated out, are
 * re-encrypted with the active key at start-up, after which the old key can go.
 */
class SecretsAtRestIT {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final String K1 = Base64.getEncoder().encodeToString(filled(1));
  private static final String K2 = Base64.getEncoder().encodeToString(filled(2));

  @Test
  void secretsAreEncryptedAtRestAndReEncryptedWhenTheKeyRotates(@TempDir Path dir) throws Exception {
    PgConnectOptions db = TestDatabase.freshDatabase();
    String topic = TestKafka.createTopic("game.atrest", 1);
    Vertx vertx = Vertx.vertx();
    List<JsonObject> received = new CopyOnWriteArrayList<>();
    HttpServer receiver = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      received.add(new JsonObject().put("id", req.getHeader("webhook-id"))
          .put("timestamp", req.getHeader("webhook-timestamp")).put("signature", req.getHeader("webhook-signature"))
          .put("body", body.toString()));
      req.response().end();
    })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    String endpoint = "http://127.0.0.1:" + receiver.actualPort() + "/hook";
    try {
      String a;
      String secretA;
      String b;
      String secretB;
      int port = TestMesh.freePort();
      try (Mesh mesh = Mesh.start(config(dir, port, db, Map.of("k1", K1), "k1"))) {
        JsonObject created = create(port, endpoint, topic);
        a = created.getString("subscription_id");
        secretA = created.getString("secret");
        JsonObject other = create(port, endpoint, topic);
        b = other.getString("subscription_id");
        secretB = other.getString("secret");
        Map<String, String> stored = storedSecrets(db);
        assertTrue(stored.get(a).startsWith("enc:v1:k1:"), stored.get(a));
        assertNoSecretIn(stored.toString(), secretA, secretB);
        assertNoSecretIn(get(port, "/subscriptions/" + a), secretA, secretB);
        assertNoSecretIn(get(port, "/subscriptions"), secretA, secretB);
        assertSignedWith(port, topic, received, secretA);
      }
      // b as an older mesh wrote it: in plain text
      execute(db, "UPDATE event_subscriptions SET signing_secret = '" + secretB + "' WHERE subscription_id = '" + b
          + "'");

      // k2 joins as the active key: at start every secret is re-encrypted with it, the plain one included
      try (Mesh mesh = Mesh.start(config(dir, port, db, Map.of("k1", K1, "k2", K2), "k2"))) {
        Map<String, String> stored = storedSecrets(db);
        assertTrue(stored.get(a).startsWith("enc:v1:k2:"), stored.get(a));
        assertTrue(stored.get(b).startsWith("enc:v1:k2:"), stored.get(b));
        assertNoSecretIn(stored.toString(), secretA, secretB);
      }
      // k1 removed: nothing needs it any more, and deliveries are still signed with the secrets the API gave out
      try (Mesh mesh = Mesh.start(config(dir, port, db, Map.of("k2", K2), "k2"))) {
        received.clear();
        assertSignedWith(port, topic, received, secretA, secretB);
      }
    } finally {
      receiver.close();
      vertx.close();
    }
  }

  private static com.necpgame.mesh.config.MeshConfig config(Path dir, int port, PgConnectOptions db,
      Map<String, String> keys, String active) {
    return TestMesh.config(dir, port, new JsonObject()
        .put("database", new JsonObject().put("url", TestDatabase.url(db)))
        .put("security", new JsonObject().put("secrets", new JsonObject().put("keys", new JsonObject(
            new java.util.HashMap<>(keys))).put("active_key", active)))
        .put("delivery", new JsonObject().put("group", TestKafka.unique("atrest")).put("refresh_ms", 200)
            .put("webhook", new JsonObject().put("poll_ms", 50))));
  }

  private static JsonObject create(int port, String endpoint, String topic) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/subscriptions"))
        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(new JsonObject()
            .put("service_name", "atrest").put("method", "webhook").put("endpoint", endpoint)
            .put("topic_pattern", topic).encode())).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(201, r.statusCode(), r.body());
    JsonObject created = new JsonObject(r.body());
    assertTrue(created.getString("secret").startsWith("whsec_"), "shown once, at creation");
    return created;
  }

  /** Publishes one event and waits until every subscription's delivery of it verifies with one of {@code secrets}. */
  private static void assertSignedWith(int port, String topic, List<JsonObject> received, String... secrets)
      throws Exception {
    HttpResponse<String> published = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
        + "/events/publish")).header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
        new JsonObject().put("event_type", "game.kill").put("topic", topic).put("source", "atrest").encode())).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, published.statusCode(), published.body());
    for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); received.size() < secrets.length;
        Thread.sleep(50)) {
      assertTrue(System.nanoTime() < end, "deliveries: " + received);
    }
    for (String secret : secrets) {
      assertTrue(received.stream().anyMatch(r -> WebhookSignature.verify(secret, r.getString("id"),
          Long.parseLong(r.getString("timestamp")), r.getString("body").getBytes(StandardCharsets.UTF_8),
          r.getString("signature"))), "a delivery signed with each subscription's secret: " + received);
    }
  }

  private static void assertNoSecretIn(String text, String... secrets) {
    for (String secret : secrets) {
      assertFalse(text.contains(secret.substring("whsec_".length())), "a secret in " + text);
    }
  }

  private static Map<String, String> storedSecrets(PgConnectOptions db) throws Exception {
    Map<String, String> out = new TreeMap<>();
    try (Connection c = connect(db); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT subscription_id, signing_secret FROM event_subscriptions")) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getString(2));
      }
    }
    return out;
  }

  private static void execute(PgConnectOptions db, String sql) throws Exception {
    try (Connection c = connect(db); Statement s = c.createStatement()) {
      assertEquals(1, s.executeUpdate(sql));
    }
  }

  private static Connection connect(PgConnectOptions db) throws Exception {
    return DriverManager.getConnection("jdbc:postgresql://" + db.getHost() + ":" + db.getPort() + "/"
        + db.getDatabase(), db.getUser(), db.getPassword());
  }

  private static String get(int port, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  private static byte[] filled(int value) {
    byte[] key = new byte[32];
    java.util.Arrays.fill(key, (byte) value);
    return key;
  }
}
