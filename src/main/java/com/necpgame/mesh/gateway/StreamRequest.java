package com.necpgame.mesh.gateway;

import com.necpgame.mesh.envelope.EnvelopeFilter;
import com.necpgame.mesh.envelope.Violation;
import com.necpgame.mesh.kafka.TopicPatterns;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;

/**
 * What a WebSocket client asked to receive: topic patterns ({@code game.*}, {@code *} for any run of characters
 * including dots), optional event types, and where to start. Parsed from the subscribe frame
 * <pre>{"op": "subscribe", "topics": ["game.*"], "event_types": ["game.kill"], "start": ...}</pre>
 * where {@code start} is {@code "latest"} (the default), {@code "earliest"}, {@code {"timestamp": "<RFC 3339>" or
 * epoch millis}}, or {@code {"offsets": {"<topic>": {"<partition>": <next offset>}}, "otherwise": "earliest"}} to
 * resume: the offsets are those to read next, partitions not listed start at {@code otherwise} (default earliest);
 * {@code filter} is an {@link EnvelopeFilter}. An optional {@code end} bounds the stream, which makes it a replay to
 * the socket: {@code "latest"} (what the partitions hold when the stream starts) or {@code {"timestamp": ..}} (records
 * before that time); when every partition reached its end the stream stops.
 */
record StreamRequest(List<String> patterns, TopicPatterns.Globs topics, Set<String> eventTypes, EnvelopeFilter filter,
    Start start, Start end, String group) {

  static final int MAX_PATTERNS = 100;

  /** Where a stream starts on each partition. */
  sealed interface Start {}

  record Latest() implements Start {}

  record Earliest() implements Start {}

  record AtTime(long epochMillis) implements Start {}

  record Offsets(Map<TopicPartition, Long> next, Start otherwise) implements Start {}

  /** Whether a topic is one this stream reads: it matches a pattern and is not one of Kafka's own. */
  boolean matches(String topic) {
    return TopicPatterns.matches(topics, topic);
  }

  /** Whether an event of this type is sent; null (unknown type) passes only when no types were asked for. */
  boolean wants(String eventType) {
    return eventTypes.isEmpty() || eventTypes.contains(eventType);
  }

  /** The request in a subscribe frame, or null with the problems, each with a JSON pointer into the frame. */
  static StreamRequest parse(JsonObject frame, JsonArray problems) {
    int before = problems.size();
    List<String> patterns = strings(frame, "topics", problems);
    if (patterns != null) {
      if (patterns.isEmpty()) {
        problems.add(new Violation("/topics", "expected at least one topic pattern").toJson());
      }
      if (patterns.size() > MAX_PATTERNS) {
        problems.add(new Violation("/topics", "at most " + MAX_PATTERNS + " patterns").toJson());
      }
      for (int i = 0; i < patterns.size(); i++) {
        String problem = TopicPatterns.problem(patterns.get(i));
        if (problem != null) {
          problems.add(new Violation("/topics/" + i, problem).toJson());
        }
      }
    }
    List<String> types = frame.getValue("event_types") == null ? List.of() : strings(frame, "event_types", problems);
    Start start = start(frame.getValue("start"), "/start", problems);
    EnvelopeFilter filter = EnvelopeFilter.parse(frame.getValue("filter"), "/filter", problems);
    Start end = frame.getValue("end") == null ? null : start(frame.getValue("end"), "/end", problems);
    if (end != null && !(end instanceof Latest || end instanceof AtTime)) {
      problems.add(new Violation("/end", "expected \"latest\" or {\"timestamp\": ...}").toJson());
    }
    if (problems.size() > before) {
      return null;
    }
    return new StreamRequest(patterns, TopicPatterns.compile(patterns), new LinkedHashSet<>(types), filter, start, end,
        null);
  }

  /**
   * The stream of a {@code websocket} subscription: its pattern, types and filter, read in the consumer group
   * {@code group} that every socket of the subscription shares, from where the group is (new groups: the latest).
   */
  static StreamRequest ofSubscription(JsonObject subscription, String group) {
    List<String> patterns = List.of(subscription.getString("topic_pattern"));
    Set<String> types = new LinkedHashSet<>();
    subscription.getJsonArray("event_types", new JsonArray()).forEach(t -> types.add(String.valueOf(t)));
    EnvelopeFilter filter = EnvelopeFilter.parse(subscription.getValue("filter"), "/filter", new JsonArray());
    return new StreamRequest(patterns, TopicPatterns.compile(patterns), types,
        filter == null ? EnvelopeFilter.ALL : filter, new Latest(), null, group);
  }

  private static List<String> strings(JsonObject frame, String field, JsonArray problems) {
    if (!(frame.getValue(field) instanceof JsonArray array)) {
      problems.add(new Violation("/" + field, "expected an array of strings").toJson());
      return null;
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      if (array.getValue(i) instanceof String s && !s.isBlank()) {
        out.add(s);
      } else {
        problems.add(new Violation("/" + field + "/" + i, "expected a non-empty string").toJson());
      }
    }
    return out;
  }

  private static Start start(Object value, String pointer, JsonArray problems) {
    if (value == null || "latest".equals(value)) {
      return new Latest();
    }
    if ("earliest".equals(value)) {
      return new Earliest();
    }
    if (value instanceof JsonObject object && object.size() == 1 && object.containsKey("timestamp")) {
      Object ts = object.getValue("timestamp");
      if (ts instanceof Number n && n.longValue() >= 0) {
        return new AtTime(n.longValue());
      }
      if (ts instanceof String text) {
        try {
          return new AtTime(Instant.parse(text).toEpochMilli());
        } catch (DateTimeParseException e) {
          // reported below
        }
      }
      problems.add(new Violation(pointer + "/timestamp", "expected an RFC 3339 time or epoch milliseconds").toJson());
      return null;
    }
    if (value instanceof JsonObject object && object.getValue("offsets") instanceof JsonObject offsets
        && object.fieldNames().stream().allMatch(f -> f.equals("offsets") || f.equals("otherwise"))) {
      Start otherwise = object.getValue("otherwise") == null ? new Earliest()
          : start(object.getValue("otherwise"), pointer + "/otherwise", problems);
      if (otherwise instanceof Offsets) {
        problems.add(new Violation(pointer + "/otherwise", "expected latest, earliest or a timestamp").toJson());
      }
      Map<TopicPartition, Long> next = new HashMap<>();
      for (String topic : offsets.fieldNames()) {
        String at = pointer + "/offsets/" + topic;
        if (!(offsets.getValue(topic) instanceof JsonObject partitions) || !Publications.TOPIC.matcher(topic).matches()) {
          problems.add(new Violation(at, "expected a topic name mapped to {\"<partition>\": <offset>}").toJson());
          continue;
        }
        for (String p : partitions.fieldNames()) {
          Object offset = partitions.getValue(p);
          if (!p.matches("\\d{1,9}") || !(offset instanceof Number n) || n.longValue() < 0
              || n.doubleValue() != n.longValue()) {
            problems.add(new Violation(at + "/" + p, "expected a partition number mapped to an offset >= 0").toJson());
          } else {
            next.put(new TopicPartition(topic, Integer.parseInt(p)), n.longValue());
          }
        }
      }
      return new Offsets(next, otherwise);
    }
    problems.add(new Violation(pointer, "expected \"latest\", \"earliest\", {\"timestamp\": ...} or "
        + "{\"offsets\": {...}, \"otherwise\": ...}").toJson());
    return null;
  }
}
