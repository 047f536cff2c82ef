package com.necpgame.mesh.kafka;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.json.EncodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/** Envelope to Kafka record: value is the envelope JSON, key a chosen envelope field, ids and type as headers. */
public final class EnvelopeRecords {

  public static final String HEADER_EVENT_TYPE = "event_type";
  public static final String HEADER_EVENT_ID = "event_id";
  public static final String HEADER_CORRELATION_ID = "correlation_id";
  /** {@code false} on the record of an event published with {@code is_replayable: false}: replays skip it. */
  public static final String HEADER_REPLAYABLE = "replayable";
  /** The id of the HTTP request (or WebSocket connection) that published the record, when there was one. */
  public static final String HEADER_REQUEST_ID = "request_id";

  private static final JsonFactory JSON = new JsonFactory();
  private static final byte[] FALSE = "false".getBytes(StandardCharsets.UTF_8);
  private static final ThreadLocal<ByteArrayOutputStream> BUFFER =
      ThreadLocal.withInitial(() -> new ByteArrayOutputStream(1024));

  private EnvelopeRecords() {}

  /**
   * @param keyField top-level envelope field or dotted path into it ({@code data.commodity}); absent gives no key
   * @throws IllegalArgumentException when the envelope lacks the event_id or event_type every record carries
   */
  public static ProducerRecord<String, byte[]> record(String topic, String keyField, JsonObject envelope) {
    String eventId = requiredText(envelope, HEADER_EVENT_ID);
    String eventType = requiredText(envelope, HEADER_EVENT_TYPE);
    ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, null, keyOf(envelope, keyField),
        utf8(envelope));
    Headers headers = record.headers();
    headers.add(HEADER_EVENT_TYPE, eventType.getBytes(StandardCharsets.UTF_8));
    headers.add(HEADER_EVENT_ID, eventId.getBytes(StandardCharsets.UTF_8));
    Object correlation = envelope.getValue(HEADER_CORRELATION_ID);
    if (correlation instanceof String c) {
      headers.add(HEADER_CORRELATION_ID, c.getBytes(StandardCharsets.UTF_8));
    }
    if (envelope.getValue("metadata") instanceof JsonObject meta && Boolean.FALSE.equals(meta.getValue("is_replayable"))) {
      headers.add(HEADER_REPLAYABLE, FALSE);
    }
    return record;
  }

  /** The JSON of an object as UTF-8 bytes, written by Jackson's streaming generator straight into a reused buffer. */
  public static byte[] utf8(JsonObject json) {
    ByteArrayOutputStream out = BUFFER.get();
    out.reset();
    try (JsonGenerator generator = JSON.createGenerator(out, JsonEncoding.UTF8)) {
      JacksonCodec.encodeJson(json, generator);
    } catch (IOException e) {
      throw new EncodeException(e.getMessage());
    }
    return out.toByteArray();
  }

  /** The value of a top-level field or dotted path, as text; null when absent or not a scalar. */
  public static String keyOf(JsonObject envelope, String keyField) {
    Object node = envelope;
    for (String part : keyField.split("\\.")) {
      if (!(node instanceof JsonObject object)) {
        return null;
      }
      node = object.getValue(part);
    }
    return node instanceof String || node instanceof Number || node instanceof Boolean ? String.valueOf(node) : null;
  }

  /** Whether bytes are one well-formed UTF-8 JSON object, checked by streaming over it without building it. */
  public static boolean isJsonObject(byte[] value) {
    if (value == null || value.length == 0) {
      return false;
    }
    try (JsonParser parser = JSON.createParser(value)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        return false;
      }
      parser.skipChildren();
      return parser.nextToken() == null;
    } catch (IOException e) {
      return false;
    }
  }

  /** Whether a record may be replayed: not when its event was published with {@code is_replayable: false}. */
  public static boolean replayable(Headers headers) {
    Header h = headers.lastHeader(HEADER_REPLAYABLE);
    return h == null || !java.util.Arrays.equals(h.value(), FALSE);
  }

  /**
   * The id of the event a record holds: its {@code event_id} header (the gateway writes one), else its envelope's
   * {@code event_id} (a game server's own producer may send no header), else null. {@code envelope} gives the decoded
   * value, or null when it is not a JSON object; it is asked only when the header is missing.
   */
  public static String eventId(ConsumerRecord<String, byte[]> r, Supplier<JsonObject> envelope) {
    String id = header(r.headers(), HEADER_EVENT_ID);
    if (id != null) {
      return id;
    }
    JsonObject decoded = envelope.get();
    return decoded != null && decoded.getValue("event_id") instanceof String text ? text : null;
  }

  /** {@link #eventId(ConsumerRecord, Supplier)}, decoding the value when there is no header. */
  public static String eventId(ConsumerRecord<String, byte[]> r) {
    return eventId(r, () -> decode(r.value()));
  }

  /** Where a record is, "topic-partition-offset": the name of a record that holds no event id. */
  public static String place(ConsumerRecord<?, ?> r) {
    return r.topic() + "-" + r.partition() + "-" + r.offset();
  }

  /** A record's value as a JSON object, or null when it is not one. */
  public static JsonObject decode(byte[] value) {
    if (value == null) {
      return null;
    }
    try {
      return new JsonObject(new String(value, StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** A header's value as text, or null. */
  public static String header(Headers headers, String name) {
    Header h = headers.lastHeader(name);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static String requiredText(JsonObject envelope, String field) {
    if (envelope.getValue(field) instanceof String s && !s.isBlank()) {
      return s;
    }
    throw new IllegalArgumentException("the envelope has no " + field + " (a non-empty string is required)");
  }
}
