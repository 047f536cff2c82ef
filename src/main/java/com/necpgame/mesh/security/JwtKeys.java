package com.necpgame.mesh.security;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.impl.jose.JWK;
import io.vertx.ext.auth.impl.jose.JWS;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The keys JWTs are verified with, as they actually loaded: the HS256 secret, the PEM public key with its algorithm,
 * and the signature keys of a JWKS file. Each key accepts exactly one algorithm (its {@code alg}, or the one its
 * {@code kty}/{@code crv} implies); a JWK that is not for signatures ({@code use} other than {@code sig}, {@code
 * key_ops} without {@code verify}), has an unsupported {@code kty}, an {@code alg} that does not fit its type, or
 * key material that does not parse is skipped, and {@link #skipped()} says which (by {@code kid}) and why. Zero
 * loaded keys with a source configured is a configuration error: vertx-auth-jwt without keys accepts unsigned tokens.
 * <p>
 * Keys are parsed with vertx-auth's {@code JWK}/{@code JWS} (its JOSE implementation), not through {@code JWTAuth},
 * which logs and drops a JWK it cannot load and with none left verifies nothing.
 */
public final class JwtKeys {

  /** One verification key: its {@code kid} (null for the secret and the PEM key), its one algorithm, where from. */
  public record Key(String kid, String alg, String source, JWS jws) {}

  /** The algorithms each supported key type may sign with. */
  private static final Map<String, Set<String>> ALGS = Map.of(
      "RSA", Set.of("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"),
      "EC", Set.of("ES256", "ES384", "ES512"),
      "oct", Set.of("HS256", "HS384", "HS512"));

  private static final Map<String, String> EC_CURVES = Map.of("P-256", "ES256", "P-384", "ES384", "P-521", "ES512");

  private final List<Key> keys = new ArrayList<>();
  private final List<String> skipped = new ArrayList<>();

  private JwtKeys() {}

  /**
   * Loads the configured sources. A source that cannot be read or parsed at all (a missing file, a PEM that is not a
   * key, a JWKS that is not {@code {"keys": [...]}}) throws {@link IllegalArgumentException} naming the setting.
   */
  public static JwtKeys load(String hmacSecret, Optional<Path> publicKeyFile, String algorithm,
      Optional<Path> jwksFile) {
    JwtKeys out = new JwtKeys();
    if (!hmacSecret.isEmpty()) {
      out.keys.add(new Key(null, "HS256", "security.jwt.hmac_secret",
          new JWS(new JWK(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(hmacSecret)))));
    }
    if (publicKeyFile.isPresent()) {
      try {
        JWK jwk = new JWK(new PubSecKeyOptions().setAlgorithm(algorithm)
            .setBuffer(Files.readString(publicKeyFile.get())));
        if (jwk.publicKey() == null) {
          throw new IllegalArgumentException("it holds no public key");
        }
        out.keys.add(new Key(null, algorithm, "security.jwt.public_key_file", new JWS(jwk)));
      } catch (IOException | RuntimeException e) {
        throw new IllegalArgumentException("security.jwt.public_key_file: cannot load a " + algorithm
            + " public key from " + publicKeyFile.get() + " (" + e.getMessage() + ")");
      }
    }
    if (jwksFile.isPresent()) {
      JsonArray jwks;
      try {
        Object parsed = new JsonObject(Files.readString(jwksFile.get())).getValue("keys");
        if (!(parsed instanceof JsonArray array)) {
          throw new IllegalArgumentException("no \"keys\" array");
        }
        jwks = array;
      } catch (IOException | DecodeException | IllegalArgumentException e) {
        throw new IllegalArgumentException("security.jwt.jwks_file: " + jwksFile.get() + " is not a JSON Web Key Set "
            + "{\"keys\": [...]} (" + e.getMessage() + ")");
      }
      Set<String> kids = new HashSet<>();
      for (int i = 0; i < jwks.size(); i++) {
        out.jwk(jwks.getValue(i), i, kids);
      }
    }
    return out;
  }

  /** The keys that loaded, each with its one algorithm. */
  public List<Key> keys() {
    return List.copyOf(keys);
  }

  /** The JWKs that did not load: {@code "kid k2: use is \"enc\" (an encryption key), not sig"}. */
  public List<String> skipped() {
    return List.copyOf(skipped);
  }

  private void jwk(Object item, int index, Set<String> kids) {
    if (!(item instanceof JsonObject json)) {
      skipped.add("keys[" + index + "]: not a JSON object");
      return;
    }
    String kid = json.getValue("kid") instanceof String s ? s : null;
    String name = kid != null ? "kid " + kid : "keys[" + index + "] (no kid)";
    String why = unusable(json, kid, kids);
    if (why != null) {
      skipped.add(name + ": " + why);
      return;
    }
    String kty = json.getString("kty");
    String alg = json.getValue("alg") instanceof String a ? a : impliedAlg(kty, json);
    try {
      JWK jwk = new JWK(json.copy().put("alg", alg));
      if (jwk.publicKey() == null && jwk.mac() == null) {
        skipped.add(name + ": holds no public key");
        return;
      }
      keys.add(new Key(kid, alg, "security.jwt.jwks_file", new JWS(jwk)));
      if (kid != null) {
        kids.add(kid);
      }
    } catch (RuntimeException e) {
      skipped.add(name + ": its key material does not load (" + (e.getCause() != null ? e.getCause() : e) + ")");
    }
  }

  /** Why a JWK cannot verify signatures, or null. */
  private static String unusable(JsonObject json, String kid, Set<String> kids) {
    Object use = json.getValue("use");
    if (use != null && !"sig".equals(use)) {
      return "use is \"" + use + "\"" + ("enc".equals(use) ? " (an encryption key)" : "") + ", not \"sig\"";
    }
    Object ops = json.getValue("key_ops");
    if (ops != null && !(ops instanceof JsonArray a && a.contains("verify"))) {
      return "key_ops " + ops + " does not include \"verify\"";
    }
    Object kty = json.getValue("kty");
    if (!(kty instanceof String k) || !ALGS.containsKey(k)) {
      return "kty " + (kty == null ? "is missing" : "\"" + kty + "\" is not supported") + " (supported: "
          + ALGS.keySet().stream().sorted().toList() + ")";
    }
    Object alg = json.getValue("alg");
    if (alg != null && !ALGS.get(k).contains(alg)) {
      return "alg \"" + alg + "\" is not a signature algorithm of kty " + k + " (one of "
          + ALGS.get(k).stream().sorted().toList() + ")";
    }
    if (alg == null && "EC".equals(k) && !EC_CURVES.containsKey(json.getValue("crv"))) {
      return "no alg, and crv " + json.getValue("crv") + " implies none";
    }
    if (kid != null && kids.contains(kid)) {
      return "another key of the set has the same kid";
    }
    return null;
  }

  private static String impliedAlg(String kty, JsonObject json) {
    return switch (kty) {
      case "EC" -> EC_CURVES.get(json.getString("crv"));
      case "oct" -> "HS256";
      default -> "RS256";
    };
  }
}
