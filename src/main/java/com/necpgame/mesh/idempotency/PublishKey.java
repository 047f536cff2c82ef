package com.necpgame.mesh.idempotency;

import com.necpgame.mesh.envelope.Violation;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The key a publish is deduplicated by, scoped to the principal that published it (one tenant's keys never meet
 * another's): its {@code Idempotency-Key} (header of a single publish, or the event's {@code idempotency_key} field),
 * else its own {@code event_id}. {@code eventId} is the id the caller chose, or null (the mesh then fixes one when it
 * claims the key); {@code bodyHash} is what must be the same for a repeat to be a repeat.
 */
public record PublishKey(String principal, String key, String eventId, String bodyHash) {

  /** The most characters of an Idempotency-Key. */
  public static final int MAX_KEY_LENGTH = 255;
  /** Printable ASCII without spaces: what an HTTP header carries safely and a log line shows as it is. */
  private static final Pattern KEY = Pattern.compile("[\\x21-\\x7e]{1," + MAX_KEY_LENGTH + "}");
  /** The request field that holds the key of one event (each event of a batch has its own). */
  public static final String FIELD = "idempotency_key";
  public static final String EVENT_ID = "event_id";

  /** Kept apart from event ids, so a key that looks like another event's id is still a different key. */
  static final String BY_KEY = "k:";
  static final String BY_EVENT_ID = "e:";

  /**
   * The key of a publish {@code request} of {@code principal}: null when it names neither an Idempotency-Key
   * ({@code headerKey}, or the {@code idempotency_key} field) nor an {@code event_id} (the unkeyed publish), or when
   * one of them is not valid (reported to {@code problems} with its pointer; the caller answers 400).
   */
  public static PublishKey of(String principal, JsonObject request, String headerKey, JsonArray problems) {
    Object field = request.getValue(FIELD);
    Object id = request.getValue(EVENT_ID);
    if (field == null && id == null && headerKey == null) {
      return null;
    }
    int before = problems.size();
    String eventId = null;
    if (id != null) {
      eventId = id instanceof String text ? canonicalUuid(text) : null;
      if (eventId == null) {
        problems.add(new Violation("/event_id", "expected a UUID such as 0b8f6a52-7a35-4a5e-9a4e-2b1c0d9e8f70").toJson());
      }
    }
    String key = null;
    if (headerKey != null && field != null) {
      problems.add(new Violation("/idempotency_key", "give the key once: the Idempotency-Key header or this field")
          .toJson());
    } else if (headerKey != null || field != null) {
      key = checkedKey(headerKey != null ? headerKey : field, headerKey != null ? "Idempotency-Key header"
          : "/idempotency_key", problems);
    }
    if (problems.size() > before) {
      return null;
    }
    JsonObject hashed = request.copy();
    hashed.remove(FIELD);
    return new PublishKey(principal, key != null ? BY_KEY + key : BY_EVENT_ID + eventId, eventId, hash(hashed));
  }

  /** Whether the key was given as an Idempotency-Key (not derived from the event id). */
  public boolean explicit() {
    return key.startsWith(BY_KEY);
  }

  /** The key as the caller gave it, for messages. */
  public String shown() {
    return key.substring(2);
  }

  private static String checkedKey(Object value, String pointer, JsonArray problems) {
    if (value instanceof String text && KEY.matcher(text).matches()) {
      return text;
    }
    String why = !(value instanceof String text) ? "a string" : text.isEmpty() ? "not empty"
        : text.length() > MAX_KEY_LENGTH ? "at most " + MAX_KEY_LENGTH + " characters, got " + text.length()
        : "printable ASCII without spaces";
    problems.add(new Violation(pointer.startsWith("/") ? pointer : "", "an idempotency key must be " + why
        + (pointer.startsWith("/") ? "" : " (" + pointer + ")")).toJson());
    return null;
  }

  /** {@code text} as a lower-case UUID, or null when it is not one (only the 36-character form with hyphens). */
  static String canonicalUuid(String text) {
    if (text.length() != 36) {
      return null;
    }
    try {
      UUID id = UUID.fromString(text);
      String canonical = id.toString();
      return canonical.equalsIgnoreCase(text) ? canonical : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * SHA-256 (hex) of {@code body} in a canonical form: object keys sorted at every depth, so the same fields in
   * another order are the same body; a payload given as a string holding JSON is taken as that JSON.
   */
  public static String hash(JsonObject body) {
    JsonObject copy = body.copy();
    if (copy.getValue("payload") instanceof String text) {
      try {
        copy.put("payload", new JsonObject(text));
      } catch (RuntimeException e) {
        // not JSON: hashed as the string it is (the publish refuses it anyway)
      }
    }
    StringBuilder out = new StringBuilder();
    canonical(copy, out);
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(out.toString().getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }

  private static void canonical(Object value, StringBuilder out) {
    if (value instanceof JsonObject o) {
      value = o.getMap();
    } else if (value instanceof JsonArray a) {
      value = a.getList();
    }
    if (value instanceof Map<?, ?> map) {
      List<String> keys = new ArrayList<>();
      map.keySet().forEach(k -> keys.add(String.valueOf(k)));
      keys.sort(null);
      out.append('{');
      for (int i = 0; i < keys.size(); i++) {
        out.append(i == 0 ? "" : ",");
        canonicalKey(keys.get(i), out);
        canonical(map.get(keys.get(i)), out);
      }
      out.append('}');
    } else if (value instanceof List<?> list) {
      out.append('[');
      for (int i = 0; i < list.size(); i++) {
        out.append(i == 0 ? "" : ",");
        canonical(list.get(i), out);
      }
      out.append(']');
    } else if (value instanceof Number n) {
      out.append(new java.math.BigDecimal(n.toString()).stripTrailingZeros().toPlainString());
    } else {
      String quoted = new JsonArray().add(value).encode();
      out.append(quoted, 1, quoted.length() - 1);
    }
  }

  private static void canonicalKey(String key, StringBuilder out) {
    String quoted = new JsonArray().add(key).encode();
    out.append(quoted, 1, quoted.length() - 1).append(':');
  }
}
