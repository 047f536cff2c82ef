package com.necpgame.mesh.delivery;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Webhook signatures as the Standard Webhooks convention has them: secrets {@code whsec_<base64 key>}, headers
 * {@code webhook-id}, {@code webhook-timestamp} (Unix seconds) and {@code webhook-signature}, whose value is one or
 * more space-separated {@code v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">} (two while a rotated secret is
 * still honoured).
 */
public final class WebhookSignature {

  public static final String PREFIX = "whsec_";
  /** How far a request's {@code webhook-timestamp} may be from the receiver's clock (Standard Webhooks: 5 minutes). */
  public static final Duration TOLERANCE = Duration.ofMinutes(5);
  private static final SecureRandom RANDOM = new SecureRandom();

  private WebhookSignature() {}

  /** A new secret: 32 random bytes. */
  public static String newSecret() {
    byte[] key = new byte[32];
    RANDOM.nextBytes(key);
    return PREFIX + Base64.getEncoder().encodeToString(key);
  }

  /** {@code v1,<signature>} for one secret. */
  public static String sign(String secret, String id, long timestamp, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key(secret), "HmacSHA256"));
      mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
      return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is not available", e);
    }
  }

  /** The {@code webhook-signature} header: a signature per secret given (nulls skipped). */
  public static String header(List<String> secrets, String id, long timestamp, byte[] body) {
    List<String> out = new ArrayList<>();
    for (String secret : secrets) {
      if (secret != null) {
        out.add(sign(secret, id, timestamp, body));
      }
    }
    return String.join(" ", out);
  }

  /**
   * What a receiver does: true when {@code timestamp} is within {@link #TOLERANCE} of now (either way: an old request
   * replayed, or one dated in the future to be replayed later, is refused) and any signature in the header is the one
   * {@code secret} makes.
   */
  public static boolean verify(String secret, String id, long timestamp, byte[] body, String header) {
    return verify(secret, id, timestamp, body, header, Instant.now());
  }

  /** {@link #verify(String, String, long, byte[], String)} as of {@code now}. */
  public static boolean verify(String secret, String id, long timestamp, byte[] body, String header, Instant now) {
    if (Math.abs(now.getEpochSecond() - timestamp) > TOLERANCE.toSeconds()) {
      return false;
    }
    byte[] expected = sign(secret, id, timestamp, body).getBytes(StandardCharsets.UTF_8);
    for (String candidate : header.split(" ")) {
      if (MessageDigest.isEqual(expected, candidate.getBytes(StandardCharsets.UTF_8))) {
        return true;
      }
    }
    return false;
  }

  private static byte[] key(String secret) {
    return Base64.getDecoder().decode(secret.startsWith(PREFIX) ? secret.substring(PREFIX.length()) : secret);
  }
}
