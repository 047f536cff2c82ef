package com.necpgame.mesh.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SecurityConfigTest {

  private static final String KEY = "k-0123456789abcdef-secret";
  private static final String HMAC = "hmac-secret-0123456789-0123456789-abc";

  private static MeshConfig load(JsonObject tree) {
    return ConfigLoader.load(tree, Map.of());
  }

  private static String problems(JsonObject tree) {
    return assertThrows(ConfigException.class, () -> load(tree)).getMessage();
  }

  private static JsonObject exposed(JsonObject security) {
    return new JsonObject().put("http", new JsonObject().put("host", "0.0.0.0")).put("security", security);
  }

  @Test
  void defaultsBindLoopbackAndAcceptAnonymousThere() {
    SecurityConfig s = load(new JsonObject()).security();
    assertEquals("127.0.0.1", load(new JsonObject()).http().host());
    assertTrue(s.anonymousAccepted());
    assertEquals(List.of("/health", "/ready", "/", "/console/console.js", "/console/chart.js", "/console/console.css",
        "/console/mesh-client.js"),
        s.publicPaths());
    assertEquals(new SecurityConfig.TopicLimit(20_000, 10_000), s.topicLimits().get("game.combat.events"),
        "the seed's producer limit");
    assertEquals("game.system.audit", s.audit().topic());
  }

  @Test
  void exposingTheGatewayWithoutAnyCredentialDoesNotStart() {
    String p = problems(exposed(new JsonObject()));
    assertTrue(p.contains("security: clients must authenticate") && p.contains("http.host 0.0.0.0"), p);
    assertFalse(load(exposed(new JsonObject().put("anonymous", "allow"))).security().jwt().enabled(),
        "unless anonymous access is asked for");
    assertTrue(problems(new JsonObject().put("security", new JsonObject().put("anonymous", "deny")))
        .contains("security.anonymous is deny"));
  }

  @Test
  void principalsWithKeysAndAclsAreTyped() {
    MeshConfig c = load(exposed(new JsonObject().put("principals", new JsonObject()
        .put("game-server", new JsonObject().put("api_keys", new JsonArray().add(KEY))
            .put("publish", new JsonArray().add("game.*")).put("endpoints", new JsonArray().add("events"))
            .put("events_per_second", 100)))));
    SecurityConfig s = c.security();
    assertFalse(s.anonymousAccepted());
    SecurityConfig.PrincipalSpec p = s.principals().get("game-server");
    assertEquals(List.of("game.*"), p.publish());
    assertEquals(List.of(), p.subscribe());
    assertEquals(100, p.limits().eventsPerSecond());
    assertEquals(s.limits().requestsPerSecond(), p.limits().requestsPerSecond(), "unset limits are the defaults");
  }

  @Test
  void badPrincipalSettingsNameTheirKeys() {
    String p = problems(exposed(new JsonObject().put("principals", new JsonObject()
        .put("svc.a", new JsonObject().put("api_keys", new JsonArray().add("short")).put("endpoints",
            new JsonArray().add("everything")).put("publish", new JsonArray().add("bad topic")).put("color", "red")))));
    assertTrue(p.contains("security.principals.svc.a.api_keys: an API key has at least 16 characters"), p);
    assertFalse(p.contains("short"), "the key is not repeated: " + p);
    assertTrue(p.contains("security.principals.svc.a.endpoints: unknown endpoint group \"everything\""), p);
    assertTrue(p.contains("security.principals.svc.a.publish: expected topic names or globs"), p);
    assertTrue(p.contains("security.principals.svc.a.color: unknown key"), p);
  }

  @Test
  void jwtSecretMustBeLongAndKeyFilesReadable() {
    String p = problems(exposed(new JsonObject().put("jwt", new JsonObject().put("hmac_secret", "short-secret")
        .put("jwks_file", "/no/such/jwks.json"))));
    assertTrue(p.contains("security.jwt.hmac_secret: must have at least 32 characters"), p);
    assertFalse(p.contains("short-secret"), p);
    assertTrue(p.contains("security.jwt.jwks_file: cannot read /no/such/jwks.json"), p);
  }

  @Test
  void topicLimitsAreKeyedByTopicNamesWithDots() {
    MeshConfig c = load(new JsonObject().put("security", new JsonObject().put("topic_limits", new JsonObject()
        .put("game.combat.events", new JsonObject().put("events_per_second", 5)))));
    assertEquals(new SecurityConfig.TopicLimit(5, 10_000), c.security().topicLimits().get("game.combat.events"),
        "a user's entry merges over the default one");
    String p = problems(new JsonObject().put("security", new JsonObject().put("topic_limits", new JsonObject()
        .put("t.x", new JsonObject().put("burst", 0)))));
    assertTrue(p.contains("security.topic_limits.t.x.burst: expected an integer from 1"), p);
  }

  @Test
  void tlsNeedsReadablePemFiles() {
    String p = problems(new JsonObject().put("http", new JsonObject().put("tls", new JsonObject().put("enabled", true)
        .put("cert_file", "/no/cert.pem"))));
    assertTrue(p.contains("http.tls.cert_file: expected a readable PEM file"), p);
    assertTrue(p.contains("http.tls.key_file: expected a readable PEM file"), p);
  }

  @Test
  void secretsAreMaskedInTheConfigDump() {
    MeshConfig c = load(exposed(new JsonObject().put("jwt", new JsonObject().put("hmac_secret", HMAC))
        .put("principals", new JsonObject().put("p", new JsonObject().put("api_keys", new JsonArray().add(KEY))))));
    String dump = c.toString();
    assertFalse(dump.contains(KEY), dump);
    assertFalse(dump.contains(HMAC), dump);
    assertTrue(dump.contains("hmacSecret=****"), dump);
  }

  @Test
  void browserChecksAreOnWhileAnonymousLoopbackAccessIsAndTheirListsAreValidated() {
    SecurityConfig.Browsers laptop = load(new JsonObject()).security().browsers();
    assertTrue(laptop.checkHost(), "anonymous requests on loopback: Host checked");
    assertEquals(List.of("localhost", "127.0.0.1", "[::1]"), laptop.allowedHosts());
    assertEquals(List.of(), laptop.allowedOrigins());
    assertFalse(load(exposed(new JsonObject().put("anonymous", "allow"))).security().browsers().checkHost(),
        "not loopback");
    assertFalse(load(new JsonObject().put("security", new JsonObject().put("anonymous", "deny")
        .put("jwt", new JsonObject().put("hmac_secret", HMAC)))).security().browsers().checkHost(), "no anonymous");
    String p = problems(new JsonObject().put("security", new JsonObject()
        .put("allowed_origins", new JsonArray().add("https://ok.example:8443").add("https://x.example/path"))
        .put("allowed_hosts", new JsonArray().add("dev.local").add("dev.local:8080"))
        .put("jwt", new JsonObject().put("max_lifetime_s", 0))));
    assertTrue(p.contains("security.allowed_origins: expected origins like") && p.contains("x.example/path"), p);
    assertFalse(p.contains("ok.example"), p);
    assertTrue(p.contains("security.allowed_hosts: expected host names or addresses without a port")
        && p.contains("\"dev.local:8080\""), p);
    assertTrue(p.contains("security.jwt.max_lifetime_s: expected an integer from 1"), p);
  }
}
