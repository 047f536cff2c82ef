package com.necpgame.mesh.store;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** One row of the {@code events} table: an envelope as Kafka stored it, with its partition and offset. */
public record EventRow(String eventId, String eventType, String topic, String source, String payload, int partition,
    long offset, String priority, OffsetDateTime timestamp, boolean replayable) {

  /** A replayable event's row. */
  public EventRow(String eventId, String eventType, String topic, String source, String payload, int partition,
      long offset, String priority, OffsetDateTime timestamp) {
    this(eventId, eventType, topic, source, payload, partition, offset, priority, timestamp, true);
  }

  private static final int ID_MAX = 100;

  /**
   * The row of a record whose value is an envelope; empty for anything else (not JSON, no id, type or source, or
   * values longer than the table's columns), which the store cannot index but Kafka still keeps.
   */
  public static Optional<EventRow> of(ConsumerRecord<String, byte[]> record) {
    if (record.value() == null) {
      return Optional.empty();
    }
    String text = new String(record.value(), StandardCharsets.UTF_8);
    JsonObject envelope;
    try {
      envelope = new JsonObject(text);
    } catch (RuntimeException e) {
      return Optional.empty();
    }
    String id = shortText(envelope.getValue("event_id"));
    String type = shortText(envelope.getValue("event_type"));
    String source = shortText(envelope.getValue("source"));
    if (id == null || type == null || source == null) {
      return Optional.empty();
    }
    Object meta = envelope.getValue("metadata");
    String priority = meta instanceof JsonObject m && m.getValue("priority") instanceof String p && p.length() <= 10
        ? p : "normal";
    boolean replayable = !(meta instanceof JsonObject m && Boolean.FALSE.equals(m.getValue("is_replayable")));
    return Optional.of(new EventRow(id, type, record.topic(), source, text, record.partition(), record.offset(),
        priority, timestampOf(envelope.getValue("timestamp"), record.timestamp()), replayable));
  }

  private static String shortText(Object value) {
    return value instanceof String s && !s.isEmpty() && s.length() <= ID_MAX ? s : null;
  }

  private static OffsetDateTime timestampOf(Object value, long recordTimestamp) {
    if (value instanceof String s) {
      try {
        return OffsetDateTime.parse(s);
      } catch (RuntimeException e) {
        // fall back to Kafka's timestamp
      }
    }
    return Instant.ofEpochMilli(recordTimestamp).atOffset(ZoneOffset.UTC);
  }
}
