package com.necpgame.mesh.delivery;

import com.necpgame.mesh.envelope.EnvelopeFilter;
import com.necpgame.mesh.envelope.Violation;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A valid {@code POST /replay} body: {@code {topic, start_time, end_time?, filter?, target: {"topic": name}}}. The
 * window is {@code [start_time, end_time)}; a missing end_time is the moment the request is read.
 */
public record ReplayRequest(String topic, Instant start, Instant end, EnvelopeFilter filter, String targetTopic) {

  private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
  private static final Set<String> FIELDS = Set.of("topic", "start_time", "end_time", "filter", "target");

  /** The request in {@code body}, or null with one {@code {pointer, message}} per problem added. */
  public static ReplayRequest parse(JsonObject body, Instant now, JsonArray problems) {
    body.fieldNames().stream().filter(f -> !FIELDS.contains(f)).sorted()
        .forEach(f -> problems.add(new Violation("/" + f, "unknown field; expected one of "
            + FIELDS.stream().sorted().toList()).toJson()));
    String topic = topic(body.getValue("topic"), "/topic", problems);
    Instant start = time(body.getValue("start_time"), "/start_time", null, problems);
    Instant end = time(body.getValue("end_time"), "/end_time", now, problems);
    if (start != null && end != null && !end.isAfter(start)) {
      problems.add(new Violation("/end_time", "must be after start_time").toJson());
    }
    EnvelopeFilter filter = EnvelopeFilter.parse(body.getValue("filter"), "/filter", problems);
    String target = null;
    Object t = body.getValue("target");
    if (!(t instanceof JsonObject object)) {
      problems.add(new Violation("/target", t == null ? "required field is missing"
          : "expected {\"topic\": \"<name>\"}").toJson());
    } else {
      object.fieldNames().stream().filter(f -> !f.equals("topic")).sorted()
          .forEach(f -> problems.add(new Violation("/target/" + f, "unknown target; this mesh replays into a topic: "
              + "{\"topic\": \"<name>\"}").toJson()));
      target = topic(object.getValue("topic"), "/target/topic", problems);
      if (target != null && target.equals(topic)) {
        problems.add(new Violation("/target/topic", "must differ from the topic replayed").toJson());
      }
    }
    return problems.isEmpty() ? new ReplayRequest(topic, start, end, filter, target) : null;
  }

  private static String topic(Object value, String pointer, JsonArray problems) {
    if (value instanceof String s && TOPIC.matcher(s).matches()) {
      return s;
    }
    problems.add(new Violation(pointer, value == null ? "required field is missing"
        : "expected a topic name (1-249 of a-z A-Z 0-9 . _ -)").toJson());
    return null;
  }

  private static Instant time(Object value, String pointer, Instant fallback, JsonArray problems) {
    if (value == null && fallback != null) {
      return fallback;
    }
    if (value instanceof String s) {
      try {
        return OffsetDateTime.parse(s).toInstant();
      } catch (DateTimeParseException e) {
        // reported below
      }
    }
    problems.add(new Violation(pointer, value == null ? "required field is missing"
        : "expected an RFC 3339 time such as 2026-11-23T10:00:00Z").toJson());
    return null;
  }
}
