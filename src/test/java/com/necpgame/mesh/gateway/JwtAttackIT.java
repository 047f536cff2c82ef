package com.necpgame.mesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.config.ConfigException;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * JWTs as an attacker forges them, against a mesh that requires credentials: unsigned ({@code alg: none}), signed with
 * the wrong algorithm for the key its {@code kid} names, without {@code exp}, living longer than allowed, for another
 * audience or from another issuer; key sets that leave nothing to verify with (the mesh must not start); and a
 * WebSocket that outlives its token. Each forged publish is refused and the victim's topic stays empty of it.
 */
class JwtAttackIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String HMAC = "jwt-attack-hmac-secret-0123456789abcdef";
  private static final String ISSUER = "https://auth.necp.test";
  private static final String AUDIENCE = "event-mesh";
  private static final long MAX_LIFETIME_S = 3600;

  private static Vertx vertx;
  private static Mesh mesh;
  private static int port;
  private static String victimTopic;
  private static JWTAuth rsaSigner;
  private static JWTAuth hmacSigner;
  private static JsonObject rsaJwk;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    victimTopic = TestKafka.createTopic("jwt.victim", 1);
    vertx = Vertx.vertx();
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    KeyPair rsa = generator.generateKeyPair();
    RSAPublicKey pub = (RSAPublicKey) rsa.getPublic();
    rsaJwk = new JsonObject().put("kty", "RSA").put("kid", "k1").put("alg", "RS256").put("use", "sig")
        .put("n", base64Url(pub.getModulus())).put("e", base64Url(pub.getPublicExponent()));
    rsaSigner = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions().setAlgorithm("RS256")
        .setId("k1").setBuffer("-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes())
            .encodeToString(rsa.getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n")));
    hmacSigner = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions()
        .setAlgorithm("HS256").setBuffer(HMAC)));
    // besides the signature key: an encryption key and one of an unsupported type, which must be skipped, not used
    Path jwks = jwks(dir, "jwks.json", rsaJwk, rsaJwk.copy().put("kid", "k-enc").put("use", "enc"),
        new JsonObject().put("kty", "OKP").put("kid", "k-okp").put("crv", "X25519").put("x", "AAAA"));
    port = TestMesh.freePort();
    mesh = Mesh.start(TestMesh.config(dir, port, security(new JsonObject().put("hmac_secret", HMAC)
        .put("jwks_file", jwks.toString()).put("issuer", ISSUER).put("audience", AUDIENCE)
        .put("max_lifetime_s", MAX_LIFETIME_S))));
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
    vertx.close();
  }

  private static JsonObject security(JsonObject jwt) {
    return new JsonObject().put("security", new JsonObject().put("anonymous", "deny").put("jwt", jwt)
        .put("principals", new JsonObject().put("operator", new JsonObject()
            .put("publish", new JsonArray().add("*")).put("subscribe", new JsonArray().add("*"))
            .put("endpoints", new JsonArray().add("*")))));
  }

  private static Path jwks(Path dir, String name, JsonObject... keys) throws Exception {
    Path file = dir.resolve(name);
    Files.writeString(file, new JsonObject().put("keys", new JsonArray(Arrays.asList((Object[]) keys))).encode());
    return file;
  }

  private static String base64Url(BigInteger n) {
    byte[] bytes = n.toByteArray();
    if (bytes[0] == 0) {
      bytes = Arrays.copyOfRange(bytes, 1, bytes.length);
    }
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static String b64(String json) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  private static long now() {
    return System.currentTimeMillis() / 1000;
  }

  /** Claims the mesh accepts: operator, this issuer and audience, issued now, valid for ten minutes. */
  private static JsonObject good() {
    return new JsonObject().put("sub", "operator").put("iss", ISSUER).put("aud", AUDIENCE).put("iat", now())
        .put("exp", now() + 600);
  }

  private static String rs256(JsonObject claims) {
    return rsaSigner.generateToken(claims, new JWTOptions().setAlgorithm("RS256").setNoTimestamp(true));
  }

  private static HttpResponse<String> publishWith(String token) throws Exception {
    return publishWith(token, "control");
  }

  private static HttpResponse<String> publishWith(String token, String source) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/events/publish"))
        .header("Authorization", "Bearer " + token).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("event_type", "game.test.forged")
            .put("topic", victimTopic).put("source", source).put("payload", new JsonObject().put("n", 1))
            .encode())).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void refused(String token, String why) throws Exception {
    HttpResponse<String> response = publishWith(token, "attacker");
    assertEquals(401, response.statusCode(), why + ": " + response.body());
    assertEquals("unauthenticated", new JsonObject(response.body()).getJsonObject("error").getString("code"), why);
  }

  /** The victim's topic holds no forged event (the control publish proves the topic is read). */
  private static void victimUntouched() throws Exception {
    HttpResponse<String> control = publishWith(rs256(good()));
    assertEquals(200, control.statusCode(), "a valid token still publishes: " + control.body());
    List<JsonObject> events = TestKafka.envelopes(victimTopic);
    assertTrue(events.stream().anyMatch(e -> "control".equals(e.getString("source"))), events.toString());
    assertTrue(events.stream().noneMatch(e -> "attacker".equals(e.getString("source"))), events.toString());
  }

  @Test
  void unsignedAlgNoneTokenIsRefused() throws Exception {
    String claims = b64(good().encode());
    refused(b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + claims + ".", "alg none, empty signature");
    refused(b64("{\"alg\":\"none\"}") + "." + b64("{\"sub\":\"operator\"}") + ".", "the issue's token");
    refused(b64("{\"alg\":\"NONE\"}") + "." + claims + "." + b64("x"), "alg NONE with a signature");
    victimUntouched();
  }

  @Test
  void tokenWhoseAlgIsNotItsKeysIsRefused() throws Exception {
    // kid k1 is an RS256 key; the attacker signs HS256 (here with the mesh's own HMAC secret, the strongest case)
    String hs256ForK1 = hmacSigner.generateToken(good(), new JWTOptions().setAlgorithm("HS256").setNoTimestamp(true)
        .setHeader(new JsonObject().put("kid", "k1")));
    refused(hs256ForK1, "HS256 under the kid of an RS256 key");
    // the classic confusion: HS256 with the RSA public key as the HMAC secret
    JWTAuth confused = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions()
        .setAlgorithm("HS256").setBuffer(rsaJwk.getString("n"))));
    refused(confused.generateToken(good(), new JWTOptions().setAlgorithm("HS256").setNoTimestamp(true)),
        "HS256 keyed with the RSA public key");
    String[] parts = rs256(good()).split("\\.");
    refused(b64("{\"alg\":\"RS256\",\"kid\":\"k-enc\"}") + "." + parts[1] + "." + parts[2],
        "a kid that is an encryption key");
    refused(b64("{\"alg\":\"RS256\",\"kid\":\"nobody\"}") + "." + parts[1] + "." + parts[2], "an unknown kid");
    victimUntouched();
  }

  @Test
  void tokenWithoutExpIsRefused() throws Exception {
    JsonObject claims = good();
    claims.remove("exp");
    refused(rs256(claims), "no exp");
    refused(hmacSigner.generateToken(new JsonObject().put("sub", "operator").put("iss", ISSUER)
        .put("aud", AUDIENCE), new JWTOptions().setAlgorithm("HS256")), "no exp, HS256");
    victimUntouched();
  }

  @Test
  void tokenLivingLongerThanTheMaximumIsRefused() throws Exception {
    refused(rs256(good().put("exp", now() + MAX_LIFETIME_S + 600)), "exp - iat over max_lifetime_s");
    JsonObject noIat = good().put("exp", now() + MAX_LIFETIME_S + 600);
    noIat.remove("iat");
    refused(rs256(noIat), "exp - now over max_lifetime_s");
    assertEquals(200, publishWith(rs256(good().put("exp", now() + MAX_LIFETIME_S - 60))).statusCode(),
        "within the maximum");
    victimUntouched();
  }

  @Test
  void tokenForAnotherAudienceOrIssuerIsRefused() throws Exception {
    refused(rs256(good().put("aud", "another-service")), "wrong aud");
    refused(rs256(good().put("aud", new JsonArray().add("a").add("b"))), "aud array without ours");
    JsonObject noAud = good();
    noAud.remove("aud");
    refused(rs256(noAud), "no aud");
    refused(rs256(good().put("iss", "https://evil.example")), "wrong iss");
    JsonObject noIss = good();
    noIss.remove("iss");
    refused(rs256(noIss), "no iss");
    assertEquals(200, publishWith(rs256(good().put("aud", new JsonArray().add("x").add(AUDIENCE)))).statusCode(),
        "aud array naming us");
    victimUntouched();
  }

  @Test
  void emptyKeySetRefusesToStart(@TempDir Path dir) throws Exception {
    Path empty = Files.writeString(dir.resolve("empty.json"), "{\"keys\": []}");
    ConfigException e = assertThrows(ConfigException.class, () -> TestMesh.config(dir, TestMesh.freePort(),
        security(new JsonObject().put("jwks_file", empty.toString()))));
    assertTrue(e.getMessage().contains("security.jwt.jwks_file: " + empty + " holds no key that verifies"),
        e.getMessage());
  }

  @Test
  void theJarWithAnEmptyKeySetExitsWith2NamingTheKey(@TempDir Path dir) throws Exception {
    Path empty = Files.writeString(dir.resolve("jwks.json"), "{\"keys\": []}");
    Path conf = Files.writeString(dir.resolve("mesh.json"), new JsonObject().put("data_dir", dir.resolve("data")
        .toString()).put("http", new JsonObject().put("host", "0.0.0.0").put("port", TestMesh.freePort()))
        .put("security", new JsonObject().put("jwt", new JsonObject().put("jwks_file", empty.toString())))
        .encode());
    Path log = dir.resolve("mesh.log");
    ProcessBuilder pb = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-jar",
        Path.of(System.getProperty("mesh.jar", "target/event-mesh.jar")).toAbsolutePath().toString(), "-conf",
        conf.toString()).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("MESH_"));
    Process mesh = pb.start();
    assertTrue(mesh.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "exited");
    String output = Files.readString(log);
    assertEquals(2, mesh.exitValue(), output);
    assertTrue(output.contains("security.jwt.jwks_file: " + empty + " holds no key that verifies signatures"),
        output);
    assertTrue(Files.notExists(dir.resolve("data")), "nothing was opened");
  }

  @Test
  void encryptionOnlyKeySetRefusesToStart(@TempDir Path dir) throws Exception {
    JsonObject opsOnly = rsaJwk.copy().put("kid", "enc-2").put("key_ops", new JsonArray().add("encrypt"));
    opsOnly.remove("use");
    Path enc = jwks(dir, "enc.json", rsaJwk.copy().put("kid", "enc-1").put("use", "enc"), opsOnly);
    ConfigException e = assertThrows(ConfigException.class, () -> TestMesh.config(dir, TestMesh.freePort(),
        security(new JsonObject().put("jwks_file", enc.toString()))));
    assertTrue(e.getMessage().contains("security.jwt.jwks_file"), e.getMessage());
    assertTrue(e.getMessage().contains("kid enc-1: use is \"enc\" (an encryption key)"), e.getMessage());
    assertTrue(e.getMessage().contains("kid enc-2: key_ops"), e.getMessage());
  }

  @Test
  void keySetOfUnsupportedTypesRefusesToStart(@TempDir Path dir) throws Exception {
    Path odd = jwks(dir, "odd.json", new JsonObject().put("kty", "OKP").put("kid", "ed").put("crv", "Ed25519")
        .put("x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"), new JsonObject().put("kid", "no-type"),
        rsaJwk.copy().put("kid", "rsa-as-ec").put("alg", "ES256"));
    ConfigException e = assertThrows(ConfigException.class, () -> TestMesh.config(dir, TestMesh.freePort(),
        security(new JsonObject().put("jwks_file", odd.toString()))));
    assertTrue(e.getMessage().contains("kid ed: kty \"OKP\" is not supported"), e.getMessage());
    assertTrue(e.getMessage().contains("kid no-type: kty is missing"), e.getMessage());
    assertTrue(e.getMessage().contains("kid rsa-as-ec: alg \"ES256\" is not a signature algorithm of kty RSA"),
        e.getMessage());
  }

  @Test
  void webSocketIsClosedWhenItsTokenExpires() throws Exception {
    String shortLived = rs256(good().put("exp", now() + 10));
    try (WsClient ws = WsClient.connect(port, "access_token=" + shortLived)) {
      ws.send(new JsonObject().put("op", "ping").put("ref", 1));
      assertEquals("pong", ws.next(30).getString("type"), "open while the token is valid");
      assertEquals("1008 token expired", ws.closedWith(60), "closed with the documented code and reason");
    }
    String longLived = rs256(good());
    try (WsClient ws = WsClient.connect(port, "access_token=" + longLived)) {
      ws.send(new JsonObject().put("op", "ping").put("ref", 2));
      assertEquals("pong", ws.next(30).getString("type"));
    }
    List<String> refusedAtUpgrade = List.of(rs256(good().put("exp", now() - 60)));
    for (String token : refusedAtUpgrade) {
      Exception e = assertThrows(Exception.class, () -> WsClient.connect(port, "access_token=" + token).close());
      assertTrue(e.getCause() instanceof java.net.http.WebSocketHandshakeException h
          && h.getResponse().statusCode() == 401, e.toString());
    }
  }
}
