package com.necpgame.mesh.fanout;

import com.necpgame.mesh.envelope.EnvelopeFilter;
import com.necpgame.mesh.kafka.EnvelopeRecords;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.header.Headers;

/**
 * The channels a subscription may key on ({@code websocket.channel_fields}: name to envelope path, {@code player_id}
 * to {@code player_id}, {@code match_id} to {@code data.match_id}), and the one place a record becomes a {@link Frame}:
 * its frame bytes built once and its envelope parsed once for the event type and every channel's value.
 */
public final class ChannelFields {

  private final List<String> names;
  private final List<String[]> paths;

  public ChannelFields(Map<String, String> fields) {
    Map<String, String> sorted = new TreeMap<>(fields);
    this.names = List.copyOf(sorted.keySet());
    this.paths = sorted.values().stream().map(p -> p.split("\\.")).toList();
  }

  /** The index of a channel name, or -1 when none is configured by that name. */
  public int indexOf(String name) {
    return names.indexOf(name);
  }

  public List<String> names() {
    return names;
  }

  /** A key's value as channels compare it: a string as is, an integer as its digits; null for anything else. */
  public static String keyValue(Object value) {
    if (value instanceof String s) {
      return s;
    }
    if (value instanceof Number n && n.doubleValue() == n.longValue()) {
      return String.valueOf(n.longValue());
    }
    return null;
  }

  /** The frame of a record, read at {@code now}. */
  public Frame frame(String topic, int partition, long offset, long timestamp, byte[] value, Headers headers,
      long now) {
    String head = "\"topic\":\"" + topic + "\",\"partition\":" + partition + ",\"offset\":" + offset
        + ",\"timestamp\":" + timestamp;
    JsonObject envelope = EnvelopeRecords.isJsonObject(value) ? EnvelopeRecords.decode(value) : null;
    if (envelope == null) {
      return new Frame(topic, partition, offset, ("{\"type\":\"skipped\"," + head
          + ",\"reason\":\"the record is not a JSON object\"}").getBytes(StandardCharsets.UTF_8), null,
          new String[names.size()], now, true);
    }
    String type = headers == null ? null : EnvelopeRecords.header(headers, EnvelopeRecords.HEADER_EVENT_TYPE);
    if (type == null && envelope.getValue("event_type") instanceof String s) {
      type = s;
    }
    String[] addressed = new String[names.size()];
    for (int i = 0; i < addressed.length; i++) {
      addressed[i] = keyValue(EnvelopeFilter.valueAt(envelope, paths.get(i)));
    }
    byte[] prefix = ("{\"type\":\"event\"," + head + ",\"event\":").getBytes(StandardCharsets.UTF_8);
    byte[] bytes = new byte[prefix.length + value.length + 1];
    System.arraycopy(prefix, 0, bytes, 0, prefix.length);
    System.arraycopy(value, 0, bytes, prefix.length, value.length);
    bytes[bytes.length - 1] = '}';
    return new Frame(topic, partition, offset, bytes, type, addressed, now, false);
  }

  /** The names, for messages. */
  @Override
  public String toString() {
    return new ArrayList<>(names).toString();
  }
}
