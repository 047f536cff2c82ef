package com.necpgame.mesh.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts secrets kept in PostgreSQL: AES-256-GCM, a random 96-bit nonce per value, the id of the key stored beside
 * the ciphertext so keys can rotate. A sealed value reads {@code enc:v1:<key id>:<base64 of nonce, ciphertext and
 * tag>}; the key id and the value's context (its row, e.g. the subscription id) are authenticated data, so a value
 * copied to another row or relabelled with another key id does not open. A stored value without the prefix is one
 * written before encryption (plain text); {@link #open} returns it as it is and start-up re-encrypts it.
 */
public final class SecretBox {

  static final String PREFIX = "enc:v1:";
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Map<String, SecretKeySpec> keys = new TreeMap<>();
  private final String activeKey;

  /** {@code keys} by id (32 bytes each); new values are sealed with {@code activeKey}. */
  public SecretBox(Map<String, byte[]> keys, String activeKey) {
    keys.forEach((id, key) -> this.keys.put(id, new SecretKeySpec(key, "AES")));
    if (!this.keys.containsKey(activeKey)) {
      throw new IllegalArgumentException("the active key " + activeKey + " is not among the keys " + keys.keySet());
    }
    this.activeKey = activeKey;
  }

  public String activeKey() {
    return activeKey;
  }

  /** {@code plaintext} sealed with the active key for {@code context}; null stays null. */
  public String seal(String plaintext, String context) {
    if (plaintext == null) {
      return null;
    }
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    try {
      Cipher aes = cipher(Cipher.ENCRYPT_MODE, activeKey, nonce, context);
      byte[] sealed = aes.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
      return PREFIX + activeKey + ":" + Base64.getEncoder().encodeToString(ByteBuffer.allocate(NONCE_BYTES
          + sealed.length).put(nonce).put(sealed).array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  /**
   * The plaintext of a stored value (null stays null; a value written before encryption is returned as it is).
   *
   * @throws IllegalStateException when its key is not configured, or it was altered or belongs to another context
   */
  public String open(String stored, String context) {
    if (stored == null || !stored.startsWith(PREFIX)) {
      return stored;
    }
    int colon = stored.indexOf(':', PREFIX.length());
    String keyId = colon < 0 ? "" : stored.substring(PREFIX.length(), colon);
    if (!keys.containsKey(keyId)) {
      throw new IllegalStateException("a secret of " + context + " is encrypted with key \"" + keyId + "\", which is "
          + "not in security.secrets.keys " + keys.keySet());
    }
    try {
      byte[] all = Base64.getDecoder().decode(stored.substring(colon + 1));
      byte[] nonce = java.util.Arrays.copyOf(all, NONCE_BYTES);
      Cipher aes = cipher(Cipher.DECRYPT_MODE, keyId, nonce, context);
      return new String(aes.doFinal(all, NONCE_BYTES, all.length - NONCE_BYTES), StandardCharsets.UTF_8);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalStateException("a secret of " + context + " does not open with key \"" + keyId + "\" (altered, "
          + "or not this row's)");
    }
  }

  /** Whether a stored value is sealed with the active key (plain text and older keys are not). */
  public boolean current(String stored) {
    return stored == null || stored.startsWith(PREFIX + activeKey + ":");
  }

  private Cipher cipher(int mode, String keyId, byte[] nonce, String context) throws GeneralSecurityException {
    Cipher aes = Cipher.getInstance("AES/GCM/NoPadding");
    aes.init(mode, keys.get(keyId), new GCMParameterSpec(TAG_BITS, nonce));
    aes.updateAAD((PREFIX + keyId + "\0" + context).getBytes(StandardCharsets.UTF_8));
    return aes;
  }
}
