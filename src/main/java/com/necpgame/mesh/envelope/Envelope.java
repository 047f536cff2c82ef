package com.necpgame.mesh.envelope;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;

/**
 * The one envelope every event travels in (seed {@code kafka-event-schemas.md}; schema {@code schemas/core/envelope.json}).
 * JSON field names are snake_case; optional ids are null when absent and then left out of the JSON.
 */
public record Envelope(
    UUID eventId,
    String eventType,
    Instant timestamp,
    String version,
    String source,
    String correlationId,
    String sessionId,
    String playerId,
    JsonObject data,
    Metadata metadata) {

  public static final String CURRENT_VERSION = "1.0.0";

  public enum Priority { LOW, NORMAL, HIGH, CRITICAL;

    public String json() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Delivery hints: priority, time to live ({@code 7d}, {@code 24h}, {@code 30m}, {@code 3600s}) and retries so far. */
  public record Metadata(Priority priority, String ttl, int retryCount) {
    public static final Metadata DEFAULT = new Metadata(Priority.NORMAL, "7d", 0);

    public JsonObject toJson() {
      return new JsonObject().put("priority", priority.json()).put("ttl", ttl).put("retry_count", retryCount);
    }
  }

  public Envelope {
    Objects.requireNonNull(eventId, "event_id");
    Objects.requireNonNull(eventType, "event_type");
    Objects.requireNonNull(timestamp, "timestamp");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(data, "data");
    metadata = metadata == null ? Metadata.DEFAULT : metadata;
  }

  /** A new event: fresh time-ordered id, now, current version, default metadata. */
  public static Envelope create(String eventType, String source, JsonObject data) {
    return new Envelope(EventIds.newId(), eventType, Instant.now(), CURRENT_VERSION, source, null, null, null, data,
        Metadata.DEFAULT);
  }

  /**
   * An event computed for a tick (a clearing, a diplomacy change): its id derived from its type and {@code name} (what
   * it is about, and when), its time and correlation given, so computing it again gives the same bytes.
   */
  public static JsonObject derived(String type, String name, String source, Instant at, String correlation,
      JsonObject data) {
    return new Envelope(EventIds.of(type + ":" + name), type, at, CURRENT_VERSION, source, correlation, null, null,
        data, null).toJson();
  }

  public Envelope withCorrelationId(String id) {
    return new Envelope(eventId, eventType, timestamp, version, source, id, sessionId, playerId, data, metadata);
  }

  public Envelope withPlayer(String player, String session) {
    return new Envelope(eventId, eventType, timestamp, version, source, correlationId, session, player, data, metadata);
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject()
        .put("event_id", eventId.toString())
        .put("event_type", eventType)
        .put("timestamp", timestamp.toString())
        .put("version", version)
        .put("source", source);
    putIfPresent(json, "correlation_id", correlationId);
    putIfPresent(json, "session_id", sessionId);
    putIfPresent(json, "player_id", playerId);
    return json.put("data", data).put("metadata", metadata.toJson());
  }

  public Buffer toBuffer() {
    return toJson().toBuffer();
  }

  /**
   * Reads an envelope that passed {@link EnvelopeValidator}; anything else gives an IllegalArgumentException naming
   * the field.
   */
  public static Envelope fromJson(JsonObject json) {
    try {
      JsonObject meta = json.getJsonObject("metadata");
      Metadata metadata = meta == null ? Metadata.DEFAULT : new Metadata(
          Priority.valueOf(meta.getString("priority", "normal").toUpperCase(Locale.ROOT)),
          meta.getString("ttl", Metadata.DEFAULT.ttl()),
          meta.getInteger("retry_count", 0));
      return new Envelope(
          UUID.fromString(required(json, "event_id")),
          required(json, "event_type"),
          OffsetDateTime.parse(required(json, "timestamp")).toInstant(),
          required(json, "version"),
          required(json, "source"),
          json.getString("correlation_id"),
          json.getString("session_id"),
          json.getString("player_id"),
          Objects.requireNonNull(json.getJsonObject("data"), "data"),
          metadata);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not a valid envelope: " + e.getMessage(), e);
    }
  }

  public static Envelope fromBuffer(Buffer buffer) {
    return fromJson(new JsonObject(buffer));
  }

  private static String required(JsonObject json, String field) {
    return Objects.requireNonNull(json.getString(field), field);
  }

  private static void putIfPresent(JsonObject json, String field, String value) {
    if (value != null) {
      json.put(field, value);
    }
  }
}
