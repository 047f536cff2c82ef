package com.necpgame.mesh.config;

import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The keys that encrypt secrets stored in PostgreSQL (webhook signing secrets): AES-256 keys by id, and the id new
 * values are encrypted with. Older keys stay listed so what they encrypted still opens, until start-up has
 * re-encrypted it with the active key. {@code security.secrets.key} ({@code MESH_SECRETS_KEY}) gives one more key as
 * {@code <id>:<base64>} and makes it the active one. With none configured, a mesh on its embedded PostgreSQL makes a
 * key of its own in the data directory; one on an external database refuses to start (its secrets would be stored
 * under a key nobody manages, or not encrypted at all).
 */
public record SecretsConfig(Map<String, byte[]> keys, String activeKey) {

  public static final int KEY_BYTES = 32;
  private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  /** No key configured: one of the data directory's own is used (embedded database only). */
  public boolean generated() {
    return keys.isEmpty();
  }

  static SecretsConfig from(ConfigReader r, boolean embeddedDatabase) {
    Map<String, byte[]> keys = new LinkedHashMap<>();
    r.object("security.secrets.keys").forEach(e -> {
      byte[] key = e.getValue() instanceof String s ? decode(s) : null;
      if (!KEY_ID.matcher(e.getKey()).matches()) {
        r.problem("security.secrets.keys." + e.getKey(), "a key id is 1-64 of A-Z a-z 0-9 . _ -");
      } else if (key == null) {
        r.problem("security.secrets.keys." + e.getKey(), "expected " + KEY_BYTES + " random bytes in base64 "
            + "(e.g. openssl rand -base64 32)");
      } else {
        keys.put(e.getKey(), key);
      }
    });
    String active = r.string("security.secrets.active_key").trim();
    String single = r.string("security.secrets.key").trim();
    if (!single.isEmpty()) {
      int colon = single.indexOf(':');
      byte[] key = colon > 0 ? decode(single.substring(colon + 1)) : null;
      if (key == null || !KEY_ID.matcher(single.substring(0, colon)).matches()) {
        r.problem("security.secrets.key", "expected <key id>:<" + KEY_BYTES + " random bytes in base64> "
            + "(MESH_SECRETS_KEY; e.g. k1:$(openssl rand -base64 32))");
      } else {
        keys.put(single.substring(0, colon), key);
        active = single.substring(0, colon);
      }
    }
    if (!keys.isEmpty() && active.isEmpty()) {
      if (keys.size() == 1) {
        active = keys.keySet().iterator().next();
      } else {
        r.problem("security.secrets.active_key", "required with several keys: the id of the one to encrypt with");
      }
    } else if (!active.isEmpty() && !keys.containsKey(active)) {
      r.problem("security.secrets.active_key", "\"" + active + "\" is not one of security.secrets.keys "
          + keys.keySet());
    }
    if (keys.isEmpty() && !embeddedDatabase) {
      r.problem("security.secrets.keys", "a key is required with an external database.url: webhook signing secrets "
          + "are stored encrypted with it; set security.secrets.keys {\"<id>\": \"<base64 of 32 random bytes>\"} or "
          + "MESH_SECRETS_KEY=<id>:<base64> (e.g. k1:$(openssl rand -base64 32))");
    }
    return new SecretsConfig(Map.copyOf(keys), active);
  }

  /** 32 bytes from standard or URL-safe base64, or null. */
  public static byte[] decode(String text) {
    try {
      byte[] key = text.contains("-") || text.contains("_") ? Base64.getUrlDecoder().decode(text.trim())
          : Base64.getDecoder().decode(text.trim());
      return key.length == KEY_BYTES ? key : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  @Override
  public String toString() {
    return "SecretsConfig[keys=" + keys.keySet() + " (values ****), activeKey=" + activeKey + "]";
  }
}
