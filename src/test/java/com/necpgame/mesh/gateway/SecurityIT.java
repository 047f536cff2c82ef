package com.necpgame.mesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.security.AuditLog;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import com.necpgame.mesh.testsupport.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A mesh with authentication on (anonymous requests refused): API keys and JWTs (HS256 secret, RS256 from a JWKS
 * file), per-principal ACLs, request, event and topic limits, audit events, and secrets kept out of every output.
 */
class SecurityIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String PUBLISHER_KEY = "pub-key-7f3a9c1e5b2d4f60";
  private static final String ADMIN_KEY = "admin-key-0c8e2a4f6b1d3e5a";
  private static final String LIMITED_KEY = "limited-key-5e7c9a1b3d2f4e6a";
  private static final String SLOW_KEY = "slow-key-2b4d6f8a0c1e3a5c";
  private static final String HMAC = "hmac-secret-for-tests-9d7b5f3a1c2e4a6b8d";
  private static final String WRONG_KEY = "wrong-key-3c5e7a9b1d0f2e4c";
  private static final List<String> SECRETS = List.of(PUBLISHER_KEY, ADMIN_KEY, LIMITED_KEY, SLOW_KEY, HMAC, WRONG_KEY);

  private static final ListAppender<ILoggingEvent> LOGS = new ListAppender<>();
  private static final List<String> BODIES = new ArrayList<>();
  private static Level meshLevel;
  private static Vertx vertx;
  private static Mesh mesh;
  private static int port;
  private static String okTopic;
  private static String deniedTopic;
  private static String limitedTopic;
  private static String auditTopic;
  private static JWTAuth hmacSigner;
  private static JWTAuth rsaSigner;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    LOGS.start();
    root.addAppender(LOGS);
    Logger meshLogger = (Logger) LoggerFactory.getLogger("com.necpgame.mesh");
    meshLevel = meshLogger.getLevel();
    meshLogger.setLevel(Level.DEBUG);

    okTopic = TestKafka.createTopic("sec.ok", 1);
    deniedTopic = TestKafka.createTopic("sec.no", 1);
    limitedTopic = TestKafka.createTopic("sec.ok.limited", 1);
    auditTopic = TestKafka.createTopic("sec.audit", 1);

    vertx = Vertx.vertx();
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    KeyPair rsa = generator.generateKeyPair();
    RSAPublicKey pub = (RSAPublicKey) rsa.getPublic();
    Path jwks = dir.resolve("jwks.json");
    Files.writeString(jwks, new JsonObject().put("keys", new JsonArray().add(new JsonObject().put("kty", "RSA")
        .put("kid", "k1").put("alg", "RS256").put("use", "sig").put("n", base64Url(pub.getModulus()))
        .put("e", base64Url(pub.getPublicExponent())))).encode());
    String privatePem = "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(rsa.getPrivate().getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
    rsaSigner = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions().setAlgorithm("RS256")
        .setId("k1").setBuffer(privatePem)));
    hmacSigner = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions()
        .setAlgorithm("HS256").setBuffer(HMAC)));

    JsonObject principals = new JsonObject()
        .put("publisher", new JsonObject().put("api_keys", new JsonArray().add(PUBLISHER_KEY))
            .put("publish", new JsonArray().add("sec.ok*")).put("subscribe", new JsonArray().add("sec.ok*"))
            .put("endpoints", new JsonArray().add("events").add("ws")))
        .put("admin", new JsonObject().put("api_keys", new JsonArray().add("sha256:" + sha256(ADMIN_KEY)))
            .put("publish", new JsonArray().add("*")).put("subscribe", new JsonArray().add("*"))
            .put("endpoints", new JsonArray().add("*")))
        .put("limited", new JsonObject().put("api_keys", new JsonArray().add(LIMITED_KEY))
            .put("endpoints", new JsonArray().add("stats")).put("requests_per_second", 1).put("request_burst", 1))
        .put("slow", new JsonObject().put("api_keys", new JsonArray().add(SLOW_KEY))
            .put("publish", new JsonArray().add("sec.ok*")).put("endpoints", new JsonArray().add("ws"))
            .put("events_per_second", 5).put("event_burst", 5))
        .put("jwt-user", new JsonObject().put("publish", new JsonArray().add("sec.ok*"))
            .put("endpoints", new JsonArray().add("events")));
    port = TestMesh.freePort();
    mesh = Mesh.start(TestMesh.config(dir, port, new JsonObject().put("security", new JsonObject()
        .put("anonymous", "deny")
        .put("principals", principals)
        .put("jwt", new JsonObject().put("hmac_secret", HMAC).put("jwks_file", jwks.toString()))
        .put("topic_limits", new JsonObject().put(limitedTopic, new JsonObject().put("events_per_second", 1)
            .put("burst", 3)))
        .put("audit", new JsonObject().put("topic", auditTopic)))));
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
    vertx.close();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(LOGS);
    ((Logger) LoggerFactory.getLogger("com.necpgame.mesh")).setLevel(meshLevel);
  }

  private static String base64Url(BigInteger n) {
    byte[] bytes = n.toByteArray();
    if (bytes[0] == 0) {
      bytes = java.util.Arrays.copyOfRange(bytes, 1, bytes.length);
    }
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static String sha256(String text) throws Exception {
    return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
        .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    synchronized (BODIES) {
      BODIES.add(response.headers().map() + " " + response.body());
    }
    return response;
  }

  private static HttpRequest.Builder request(String path, String header, String value) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    return header == null ? b : b.header(header, value);
  }

  private static HttpResponse<String> publish(String header, String value, String topic) throws Exception {
    return send(request("/events/publish", header, value).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(event(topic).encode())));
  }

  private static JsonObject event(String topic) {
    return new JsonObject().put("event_type", "game.test.secured").put("topic", topic).put("source", "security-it")
        .put("payload", new JsonObject().put("n", 1));
  }

  private static String code(HttpResponse<String> response) {
    assertEquals("application/json", response.headers().firstValue("content-type").orElse(""), response.body());
    return new JsonObject(response.body()).getJsonObject("error").getString("code");
  }

  private static String hs256(String subject, long expiresAt) {
    return hmacSigner.generateToken(new JsonObject().put("sub", subject).put("exp", expiresAt),
        new JWTOptions().setAlgorithm("HS256"));
  }

  private static long inAnHour() {
    return System.currentTimeMillis() / 1000 + 3600;
  }

  /** The audit event matching {@code filter}, waiting for it (audits are written asynchronously). */
  private static JsonObject audit(Predicate<JsonObject> filter) throws Exception {
    for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); System.nanoTime() < end; Thread.sleep(200)) {
      for (JsonObject e : TestKafka.envelopes(auditTopic)) {
        if (filter.test(e)) {
          assertTrue(mesh.context().validator().validate(e).isEmpty(), () -> "valid audit envelope: " + e);
          return e;
        }
      }
    }
    throw new AssertionError("no such audit event in " + auditTopic + ": " + TestKafka.envelopes(auditTopic));
  }

  @Test
  void publicPathsNeedNoCredentials() throws Exception {
    assertEquals(200, send(request("/health", null, null)).statusCode());
    assertEquals(200, send(request("/ready", null, null)).statusCode());
    for (String page : List.of("/", "/console/console.js", "/console/chart.js", "/console/console.css",
        "/console/mesh-client.js")) {
      assertEquals(200, send(request(page, null, null)).statusCode(), "the console's files are public: " + page);
    }
    assertEquals(401, send(request("/console/settings", null, null)).statusCode(), "its data is not");
  }

  @Test
  void missingOrWrongCredentialsAre401AndAudited() throws Exception {
    HttpResponse<String> none = publish(null, null, okTopic);
    assertEquals(401, none.statusCode(), none.body());
    assertEquals("unauthenticated", code(none));
    assertTrue(mesh.context().metrics().securityRefusals("unauthenticated", "request") >= 1);
    assertTrue(none.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
    assertEquals(401, publish("X-API-Key", WRONG_KEY, okTopic).statusCode());
    assertEquals(401, publish("Authorization", "Bearer " + WRONG_KEY, okTopic).statusCode());
    assertEquals(401, publish("Authorization", "Basic dXNlcjpwYXNz", okTopic).statusCode());
    assertEquals(401, send(request("/no/such/route", null, null)).statusCode(), "no credentials: no route discovery");

    JsonObject audit = audit(e -> AuditLog.AUTH_FAILED.equals(e.getString("event_type"))
        && "POST /events/publish".equals(e.getJsonObject("data").getString("action")));
    JsonObject data = audit.getJsonObject("data");
    assertEquals("127.0.0.1", data.getString("remote_address"));
    assertEquals("events", data.getString("resource"));
    assertNotNull(data.getString("at"));
  }

  @Test
  void apiKeyPublishesOnlyWithinItsAcl() throws Exception {
    assertEquals(200, publish("X-API-Key", PUBLISHER_KEY, okTopic).statusCode());
    assertEquals(200, publish("Authorization", "Bearer " + PUBLISHER_KEY, okTopic).statusCode(),
        "an API key also works as a bearer token");
    assertEquals(200, publish("X-API-Key", ADMIN_KEY, deniedTopic).statusCode(), "a key configured by its sha256");

    HttpResponse<String> denied = publish("X-API-Key", PUBLISHER_KEY, deniedTopic);
    assertEquals(403, denied.statusCode(), denied.body());
    assertEquals("forbidden", code(denied));
    JsonObject data = audit(e -> AuditLog.ACCESS_DENIED.equals(e.getString("event_type"))
        && "publish".equals(e.getJsonObject("data").getString("action"))
        && "publisher".equals(e.getJsonObject("data").getString("principal"))
        && deniedTopic.equals(e.getJsonObject("data").getString("resource"))).getJsonObject("data");
    assertEquals("publisher", data.getString("principal"));
    assertEquals("api_key", data.getString("authenticated_by"));
    assertEquals("publish", data.getString("action"));
    assertEquals("127.0.0.1", data.getString("remote_address"));

    HttpResponse<String> batch = send(request("/events/publish/batch", "X-API-Key", PUBLISHER_KEY)
        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(new JsonObject()
            .put("events", new JsonArray().add(event(okTopic)).add(event(deniedTopic))).encode())));
    assertEquals(207, batch.statusCode(), batch.body());
    JsonArray results = new JsonObject(batch.body()).getJsonArray("results");
    assertEquals(403, results.getJsonObject(1).getInteger("status"));
  }

  @Test
  void endpointGroupOutsideTheAclIs403AndAudited() throws Exception {
    HttpResponse<String> topics = send(request("/topics", "X-API-Key", PUBLISHER_KEY));
    assertEquals(403, topics.statusCode(), topics.body());
    assertEquals("forbidden", code(topics));
    audit(e -> AuditLog.ACCESS_DENIED.equals(e.getString("event_type"))
        && "GET /topics".equals(e.getJsonObject("data").getString("action")));
    assertEquals(200, send(request("/topics", "X-API-Key", ADMIN_KEY)).statusCode());
  }

  @Test
  void jwtsFromTheSecretAndFromTheJwksFileAuthenticate() throws Exception {
    assertEquals(200, publish("Authorization", "Bearer " + hs256("jwt-user", inAnHour()), okTopic).statusCode());
    String rs256 = rsaSigner.generateToken(new JsonObject().put("sub", "jwt-user").put("exp", inAnHour()),
        new JWTOptions().setAlgorithm("RS256").setHeader(new JsonObject().put("kid", "k1")));
    assertEquals(200, publish("Authorization", "Bearer " + rs256, okTopic).statusCode());
    HttpResponse<String> deniedTopicByJwt = publish("Authorization", "Bearer " + rs256, deniedTopic);
    assertEquals(403, deniedTopicByJwt.statusCode());

    long anHourAgo = System.currentTimeMillis() / 1000 - 3600;
    assertEquals(401, publish("Authorization", "Bearer " + hs256("jwt-user", anHourAgo), okTopic).statusCode(),
        "expired");
    assertEquals(401, publish("Authorization", "Bearer " + hs256("nobody", inAnHour()), okTopic).statusCode(),
        "no such principal");
    JWTAuth otherSigner = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions()
        .setAlgorithm("HS256").setBuffer("another-secret-of-enough-length-0123456789")));
    String forged = otherSigner.generateToken(new JsonObject().put("sub", "admin").put("exp", inAnHour()),
        new JWTOptions().setAlgorithm("HS256"));
    assertEquals(401, publish("Authorization", "Bearer " + forged, okTopic).statusCode(), "wrong signature");
    String[] parts = hs256("jwt-user", inAnHour()).split("\\.");
    String none = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}"
        .getBytes()) + "." + parts[1] + ".";
    assertEquals(401, publish("Authorization", "Bearer " + none, okTopic).statusCode(), "alg none is not accepted");
    audit(e -> AuditLog.AUTH_FAILED.equals(e.getString("event_type"))
        && "nobody".equals(e.getJsonObject("data").getString("principal")));
  }

  @Test
  void requestsOverThePrincipalsRateAre429WithRetryAfter() throws Exception {
    HttpResponse<String> limited = null;
    for (int i = 0; i < 50 && limited == null; i++) {
      HttpResponse<String> r = send(request("/stats", "X-API-Key", LIMITED_KEY));
      if (r.statusCode() == 429) {
        limited = r;
      } else {
        assertEquals(200, r.statusCode(), r.body());
      }
    }
    assertNotNull(limited, "1 request a second with a burst of 1: 50 requests in a row meet the limit");
    assertEquals("rate_limited", code(limited));
    assertTrue(Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow()) >= 1);
  }

  @Test
  void eventsOverTheTopicsProducerLimitAre429() throws Exception {
    JsonArray events = new JsonArray();
    for (int i = 0; i < 10; i++) {
      events.add(event(limitedTopic));
    }
    HttpResponse<String> batch = send(request("/events/publish/batch", "X-API-Key", ADMIN_KEY)
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("events", events).encode())));
    assertEquals(207, batch.statusCode(), batch.body());
    JsonObject summary = new JsonObject(batch.body());
    assertTrue(summary.getLong("failed") >= 6, "1 event a second with a burst of 3: " + summary);
    assertTrue(summary.getJsonArray("results").stream().map(JsonObject.class::cast)
        .filter(r -> r.containsKey("status")).allMatch(r -> r.getInteger("status") == 429), batch.body());

    HttpResponse<String> limited = null;
    for (int i = 0; i < 50 && limited == null; i++) {
      HttpResponse<String> r = publish("X-API-Key", ADMIN_KEY, limitedTopic);
      limited = r.statusCode() == 429 ? r : null;
    }
    assertNotNull(limited);
    assertEquals("rate_limited", code(limited));
    assertTrue(Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow()) >= 1);
  }

  @Test
  void webSocketNeedsCredentialsAndKeepsToTheSubscribeAcl() throws Exception {
    Exception refused = assertThrows(Exception.class, () -> WsClient.connect(port).close());
    assertTrue(refused.getCause() instanceof java.net.http.WebSocketHandshakeException h
        && h.getResponse().statusCode() == 401, refused.toString());
    assertThrows(Exception.class, () -> WsClient.connect(port, "access_token=" + WRONG_KEY).close());

    try (WsClient ws = WsClient.connect(port, "access_token=" + PUBLISHER_KEY)) {
      ws.send(new JsonObject().put("op", "ping").put("ref", 1));
      assertEquals("pong", ws.next(30).getString("type"));
      ws.send(new JsonObject().put("op", "subscribe").put("id", "s1").put("topics", new JsonArray().add("*")));
      JsonObject error = ws.next(30);
      assertEquals("error", error.getString("type"), error.encode());
      assertEquals(403, error.getInteger("status"));
      ws.send(new JsonObject().put("op", "subscribe").put("id", "s2").put("topics", new JsonArray().add(deniedTopic)));
      assertEquals(403, ws.next(30).getInteger("status"));
      ws.send(new JsonObject().put("op", "publish").put("ref", "p").put("event", event(deniedTopic)));
      JsonObject refusedPublish = ws.next(30);
      assertEquals(403, refusedPublish.getInteger("status"), refusedPublish.encode());
      ws.send(new JsonObject().put("op", "subscribe").put("id", "s3").put("topics", new JsonArray().add(okTopic)));
      assertEquals("subscribed", ws.next(f -> !"event".equals(f.getString("type")), 30).getString("type"));
    }
    audit(e -> AuditLog.ACCESS_DENIED.equals(e.getString("event_type"))
        && "subscribe".equals(e.getJsonObject("data").getString("action")));
  }

  @Test
  void webSocketPublisherOverItsLimitIsPausedNotDisconnected() throws Exception {
    try (WsClient ws = WsClient.connect(port, "access_token=" + SLOW_KEY)) {
      JsonArray events = new JsonArray();
      for (int i = 0; i < 20; i++) {
        events.add(event(okTopic));
      }
      long started = System.nanoTime();
      ws.send(new JsonObject().put("op", "publish").put("ref", "burst").put("ack", "batch").put("events", events));
      ws.send(new JsonObject().put("op", "ping").put("ref", "after"));
      JsonObject acks = ws.next(f -> "acks".equals(f.getString("type")), 60);
      assertEquals(20, acks.getInteger("published"), acks.encode());
      ws.next(f -> "pong".equals(f.getString("type")), 60);
      long waitedMs = (System.nanoTime() - started) / 1_000_000;
      // 20 events at 5 a second with a burst of 5 leave 15 in debt: the next frame is read 3 s later, no sooner
      assertTrue(waitedMs >= 2500, "the socket was not read while in debt: pong after " + waitedMs + " ms");
      assertTrue(mesh.context().metrics().securityRefusals("rate_limited", "websocket_pause") >= 15);
      ws.send(new JsonObject().put("op", "ping").put("ref", "still-open"));
      assertEquals("pong", ws.next(f -> "pong".equals(f.getString("type")), 60).getString("type"));
    }
  }

  @Test
  void secretsNeverAppearInLogsErrorsStatsOrConfig() throws Exception {
    publish("X-API-Key", WRONG_KEY, okTopic);
    publish("Authorization", "Bearer " + WRONG_KEY + ".x.y", okTopic);
    send(request("/stats", "X-API-Key", ADMIN_KEY));
    send(request("/metrics", "X-API-Key", ADMIN_KEY));
    send(request("/no/such", "X-API-Key", ADMIN_KEY));
    List<String> outputs = new ArrayList<>();
    synchronized (BODIES) {
      outputs.addAll(BODIES);
    }
    outputs.add(mesh.context().config().toString());
    outputs.add(String.valueOf(mesh.context().config().security()));
    for (ILoggingEvent e : List.copyOf(LOGS.list)) {
      outputs.add(e.getFormattedMessage());
      if (e.getThrowableProxy() != null) {
        outputs.add(ThrowableProxyUtil.asString(e.getThrowableProxy()));
      }
    }
    assertTrue(outputs.size() > 10 && LOGS.list.size() > 0, "something was captured");
    for (String secret : SECRETS) {
      for (String output : outputs) {
        assertFalse(output.contains(secret), "a secret in: " + output);
      }
    }
  }
}
