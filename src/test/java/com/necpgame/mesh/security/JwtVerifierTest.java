package com.necpgame.mesh.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.impl.jose.JWK;
import io.vertx.ext.auth.impl.jose.JWS;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The verification policy on tokens signed here with HMAC keys (the same code path as public keys). */
class JwtVerifierTest {

  private static final String SECRET = "unit-test-hmac-secret-0123456789abcdef";
  private static final long NOW = 1_800_000_000L;

  private final JwtVerifier verifier = new JwtVerifier(JwtKeys.load(SECRET, Optional.empty(), "RS256",
      Optional.empty()).keys(), "https://idp", "mesh", 3600);

  private static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static String token(JsonObject header, JsonObject claims, String secret, String alg) {
    String signed = b64(header.encode().getBytes(StandardCharsets.UTF_8)) + "."
        + b64(claims.encode().getBytes(StandardCharsets.UTF_8));
    JWS jws = new JWS(new JWK(new PubSecKeyOptions().setAlgorithm(alg).setBuffer(secret)));
    return signed + "." + b64(jws.sign(signed.getBytes(StandardCharsets.US_ASCII)));
  }

  private static JsonObject claims() {
    return new JsonObject().put("sub", "svc").put("iss", "https://idp").put("aud", "mesh").put("iat", NOW)
        .put("exp", NOW + 600);
  }

  private String refusal(String token) {
    return assertThrows(AuthenticationException.class, () -> verifier.verify(token, NOW)).getMessage();
  }

  @Test
  void acceptsAWellFormedToken() {
    assertEquals("svc", verifier.verify(token(new JsonObject().put("alg", "HS256"), claims(), SECRET, "HS256"), NOW)
        .getString("sub"));
  }

  @Test
  void refusesUnsignedAndForeignAlgorithms() {
    String body = b64(claims().encode().getBytes(StandardCharsets.UTF_8));
    assertTrue(refusal(b64("{\"alg\":\"none\"}".getBytes()) + "." + body + ".").contains("not signed"));
    assertTrue(refusal(b64("{\"alg\":\"none\"}".getBytes()) + "." + body + ".c2ln").contains("never accepted"));
    assertTrue(refusal(b64("{\"alg\":\"none\"}".getBytes()) + "." + body).contains("not a signed JWT"));
    assertTrue(refusal(token(new JsonObject().put("alg", "HS512"), claims(), SECRET + SECRET, "HS512"))
        .contains("alg HS512 is not accepted"));
    assertTrue(refusal(token(new JsonObject().put("alg", "HS256").put("kid", "x"), claims(), SECRET, "HS256"))
        .contains("kid x names no key"));
    assertTrue(refusal(token(new JsonObject().put("alg", "HS256").put("crit", new JsonArray().add("b64")), claims(),
        SECRET, "HS256")).contains("crit"));
    assertTrue(refusal(token(new JsonObject().put("alg", "HS256"), claims(), SECRET + "x", "HS256"))
        .contains("signature does not verify"));
  }

  @Test
  void pinsEachKeyToItsAlgorithm(@TempDir Path dir) throws Exception {
    Path jwks = Files.writeString(dir.resolve("jwks.json"), new JsonObject().put("keys", new JsonArray()
        .add(new JsonObject().put("kty", "oct").put("kid", "h384").put("alg", "HS384")
            .put("k", b64(SECRET.getBytes(StandardCharsets.UTF_8))))).encode());
    JwtVerifier pinned = new JwtVerifier(JwtKeys.load("", Optional.empty(), "RS256", Optional.of(jwks)).keys(), "",
        "", 3600);
    String ok = token(new JsonObject().put("alg", "HS384").put("kid", "h384"), claims(), SECRET, "HS384");
    assertEquals("svc", pinned.verify(ok, NOW).getString("sub"));
    String other = token(new JsonObject().put("alg", "HS256").put("kid", "h384"), claims(), SECRET, "HS256");
    assertTrue(assertThrows(AuthenticationException.class, () -> pinned.verify(other, NOW)).getMessage()
        .contains("alg HS256 is not the algorithm of key h384 (HS384)"));
  }

  @Test
  void requiresExpAndBoundsTheLifetime() {
    JsonObject noExp = claims();
    noExp.remove("exp");
    assertTrue(refusal(token(new JsonObject().put("alg", "HS256"), noExp, SECRET, "HS256")).contains("no exp"));
    assertTrue(refusal(token(new JsonObject().put("alg", "HS256"), claims().put("exp", NOW - 10), SECRET, "HS256"))
        .contains("expired"));
    assertTrue(refusal(token(new JsonObject().put("alg", "HS256"), claims().put("exp", NOW + 3601), SECRET, "HS256"))
        .contains("lives 3601 s, more than security.jwt.max_lifetime_s (3600)"));
    JsonObject noIat = claims().put("exp", NOW + 7200);
    noIat.remove("iat");
    assertTrue(refusal(token(new JsonObject().put("alg", "HS256"), noIat, SECRET, "HS256")).contains("lives 7200 s"));
    assertTrue(refusal(token(new JsonObject().put("alg", "HS256"), claims().put("nbf", NOW + 60), SECRET, "HS256"))
        .contains("nbf"));
    assertTrue(refusal(token(new JsonObject().put("alg", "HS256"), claims().put("iat", NOW + 60), SECRET, "HS256"))
        .contains("iat"));
  }

  @Test
  void checksIssuerAndAudience() {
    assertTrue(refusal(token(new JsonObject().put("alg", "HS256"), claims().put("iss", "https://other"), SECRET,
        "HS256")).contains("iss"));
    assertTrue(refusal(token(new JsonObject().put("alg", "HS256"), claims().put("aud", "other"), SECRET, "HS256"))
        .contains("aud"));
    assertEquals("svc", verifier.verify(token(new JsonObject().put("alg", "HS256"),
        claims().put("aud", new JsonArray().add("other").add("mesh")), SECRET, "HS256"), NOW).getString("sub"));
  }

  @Test
  void skippedKeysAreNamedWithTheReason(@TempDir Path dir) throws Exception {
    Path jwks = Files.writeString(dir.resolve("jwks.json"), new JsonObject().put("keys", new JsonArray()
        .add(new JsonObject().put("kty", "RSA").put("kid", "e1").put("use", "enc").put("n", "AQAB").put("e", "AQAB"))
        .add(new JsonObject().put("kty", "OKP").put("kid", "o1"))
        .add(new JsonObject().put("kty", "RSA").put("kid", "bad").put("n", "!!").put("e", "AQAB"))
        .add("not a key")).encode());
    JwtKeys keys = JwtKeys.load("", Optional.empty(), "RS256", Optional.of(jwks));
    assertEquals(List.of(), keys.keys());
    String skipped = String.join("\n", keys.skipped());
    assertTrue(skipped.contains("kid e1: use is \"enc\" (an encryption key), not \"sig\""), skipped);
    assertTrue(skipped.contains("kid o1: kty \"OKP\" is not supported"), skipped);
    assertTrue(skipped.contains("kid bad: its key material does not load"), skipped);
    assertTrue(skipped.contains("keys[3]: not a JSON object"), skipped);
    assertThrows(IllegalArgumentException.class, () -> new JwtVerifier(keys.keys(), "", "", 60));
  }
}
