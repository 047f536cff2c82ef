package com.necpgame.mesh.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SecretBoxTest {

  private static final byte[] K1 = key(1);
  private static final byte[] K2 = key(2);
  private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

  @Test
  void sealsWithAFreshNonceAndOpensOnlyForItsRow() {
    SecretBox box = new SecretBox(Map.of("k1", K1), "k1");
    String a = box.seal(SECRET, "sub_a");
    String b = box.seal(SECRET, "sub_a");
    assertTrue(a.startsWith("enc:v1:k1:"), a);
    assertNotEquals(a, b, "a random nonce per value");
    assertFalse(a.contains(SECRET.substring(6)), a);
    assertEquals(SECRET, box.open(a, "sub_a"));
    assertEquals(SECRET, box.open(b, "sub_a"));
    assertThrows(IllegalStateException.class, () -> box.open(a, "sub_b"), "copied to another subscription's row");
    String tampered = a.substring(0, a.length() - 4) + (a.endsWith("AAAA") ? "BBBB" : "AAAA");
    assertThrows(IllegalStateException.class, () -> box.open(tampered, "sub_a"));
    assertNull(box.seal(null, "sub_a"));
    assertNull(box.open(null, "sub_a"));
    assertEquals(SECRET, box.open(SECRET, "sub_a"), "plain text from before encryption reads as it is");
    assertFalse(box.current(SECRET));
  }

  @Test
  void rotatesKeys() {
    String old = new SecretBox(Map.of("k1", K1), "k1").seal(SECRET, "sub_a");
    SecretBox both = new SecretBox(Map.of("k1", K1, "k2", K2), "k2");
    assertEquals(SECRET, both.open(old, "sub_a"), "the old key still opens");
    assertFalse(both.current(old));
    String resealed = both.seal(both.open(old, "sub_a"), "sub_a");
    assertTrue(resealed.startsWith("enc:v1:k2:") && both.current(resealed), resealed);
    SecretBox newOnly = new SecretBox(Map.of("k2", K2), "k2");
    assertEquals(SECRET, newOnly.open(resealed, "sub_a"));
    IllegalStateException gone = assertThrows(IllegalStateException.class, () -> newOnly.open(old, "sub_a"));
    assertTrue(gone.getMessage().contains("\"k1\""), gone.getMessage());
    assertFalse(gone.getMessage().contains(SECRET), "no secret in the message");
    String relabelled = old.replace("enc:v1:k1:", "enc:v1:k2:");
    assertThrows(IllegalStateException.class, () -> both.open(relabelled, "sub_a"), "the key id is authenticated");
  }

  static byte[] key(int seed) {
    byte[] key = new byte[32];
    java.util.Arrays.fill(key, (byte) seed);
    return Base64.getDecoder().decode(Base64.getEncoder().encodeToString(key));
  }
}
