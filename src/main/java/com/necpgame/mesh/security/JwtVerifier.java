package com.necpgame.mesh.security;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * Checks a compact JWS (header.payload.signature) against {@link JwtKeys}, failing closed:
 * <ul>
 *   <li>{@code alg} must be the one algorithm of the key that verifies it: with a {@code kid}, the key of that kid
 *   (an unknown kid is refused); without, a key of that algorithm. {@code none}, an empty signature, a {@code crit}
 *   header (extensions this verifier does not know) are refused;</li>
 *   <li>{@code exp} is required; the token must not be expired, nor used before {@code nbf}, nor issued ({@code iat})
 *   in the future ({@link #LEEWAY_S} seconds of clock skew allowed);</li>
 *   <li>it may live at most {@code maxLifetimeS}: {@code exp - iat}, or {@code exp - now} without {@code iat};</li>
 *   <li>{@code iss} must equal the configured issuer and {@code aud} (a string or an array) contain the configured
 *   audience, where configured (not empty).</li>
 * </ul>
 */
public final class JwtVerifier {

  /** Seconds of clock skew allowed on exp, nbf and iat. */
  public static final long LEEWAY_S = 5;

  private static final Base64.Decoder BASE64URL = Base64.getUrlDecoder();

  private final List<JwtKeys.Key> keys;
  private final String issuer;
  private final String audience;
  private final long maxLifetimeS;

  public JwtVerifier(List<JwtKeys.Key> keys, String issuer, String audience, long maxLifetimeS) {
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("no verification key: every token would be refused or, worse, unchecked");
    }
    this.keys = List.copyOf(keys);
    this.issuer = issuer;
    this.audience = audience;
    this.maxLifetimeS = maxLifetimeS;
  }

  /** The token's claims, or {@link AuthenticationException} saying why it is refused. */
  public JsonObject verify(String token, long nowSeconds) {
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3) {
      throw refused("not a signed JWT (header.payload.signature)");
    }
    if (parts[2].isEmpty()) {
      throw refused("the token is not signed");
    }
    JsonObject header = json(parts[0], "header");
    JsonObject claims = json(parts[1], "payload");
    if (!(header.getValue("alg") instanceof String alg) || alg.isEmpty() || alg.equalsIgnoreCase("none")) {
      throw refused("alg " + header.getValue("alg") + " is never accepted");
    }
    if (header.containsKey("crit")) {
      throw refused("crit header parameters are not supported");
    }
    byte[] signature = decode(parts[2], "signature");
    byte[] signed = (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII);
    if (!signatureVerifies(header.getValue("kid"), alg, signature, signed)) {
      throw refused("the signature does not verify");
    }
    checkTimes(claims, nowSeconds);
    if (!issuer.isEmpty() && !issuer.equals(claims.getValue("iss"))) {
      throw refused("iss is not " + issuer);
    }
    if (!audience.isEmpty() && !audienceMatches(claims.getValue("aud"))) {
      throw refused("aud does not name " + audience);
    }
    return claims;
  }

  private boolean signatureVerifies(Object kid, String alg, byte[] signature, byte[] signed) {
    List<JwtKeys.Key> candidates;
    if (kid != null) {
      candidates = keys.stream().filter(k -> kid.equals(k.kid())).toList();
      if (candidates.isEmpty()) {
        throw refused("kid " + kid + " names no key");
      }
      if (candidates.stream().noneMatch(k -> k.alg().equals(alg))) {
        throw refused("alg " + alg + " is not the algorithm of key " + kid + " (" + candidates.get(0).alg() + ")");
      }
    } else {
      candidates = keys.stream().filter(k -> k.alg().equals(alg)).toList();
      if (candidates.isEmpty()) {
        throw refused("alg " + alg + " is not accepted (no key of that algorithm)");
      }
    }
    for (JwtKeys.Key key : candidates) {
      try {
        if (key.alg().equals(alg) && key.jws().verify(signature, signed)) {
          return true;
        }
      } catch (RuntimeException e) {
        // a signature of the wrong shape for this key (length, encoding): not verified by it
      }
    }
    return false;
  }

  private void checkTimes(JsonObject claims, long now) {
    if (!(claims.getValue("exp") instanceof Number exp)) {
      throw refused("the token has no exp (expiry), which is required");
    }
    if (now - LEEWAY_S >= exp.longValue()) {
      throw refused("the token expired");
    }
    Object nbf = claims.getValue("nbf");
    if (nbf != null && (!(nbf instanceof Number n) || n.longValue() > now + LEEWAY_S)) {
      throw refused("the token is not valid yet (nbf)");
    }
    Object iat = claims.getValue("iat");
    if (iat != null && (!(iat instanceof Number i) || i.longValue() > now + LEEWAY_S)) {
      throw refused("the token is issued in the future (iat)");
    }
    long from = iat instanceof Number i ? i.longValue() : now;
    if (exp.longValue() - from > maxLifetimeS) {
      throw refused("the token lives " + (exp.longValue() - from) + " s, more than security.jwt.max_lifetime_s ("
          + maxLifetimeS + ")");
    }
  }

  private boolean audienceMatches(Object aud) {
    return aud instanceof String s ? s.equals(audience) : aud instanceof JsonArray a && a.contains(audience);
  }

  private static JsonObject json(String part, String what) {
    try {
      return new JsonObject(new String(decode(part, what), StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      if (e instanceof AuthenticationException a) {
        throw a;
      }
      throw refused("the " + what + " is not a base64url JSON object");
    }
  }

  private static byte[] decode(String part, String what) {
    try {
      return BASE64URL.decode(part);
    } catch (IllegalArgumentException e) {
      throw refused("the " + what + " is not base64url");
    }
  }

  private static AuthenticationException refused(String why) {
    return new AuthenticationException("the token is not valid: " + why, null);
  }
}
