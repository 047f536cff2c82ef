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
 * A valid {@code POST /replay} body: {@code {topic, start_time, end_time?, filter?, target?}} with target {@code
 * {"topic": name}} or {@code {"subscription": id}}. The window is {@code [start_time, end_time)}; a missing end_time
 * is the moment the request is read. Without a target (the seed's body) the replay goes to a topic of its own,
 * {@code replay.<replay_id>}, created for it: {@link #ownTopic}, {@link #withTarget}.
 */
public record ReplayRequest(String topic, Instant start, Instant end, EnvelopeFilter filter, JsonObject target) {

  private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
  private static final Pattern SUBSCRIPTION = Pattern.compile("[A-Za-z0-9._-]{1,100}");
  private static final Set<String> FIELDS = Set.of("topic", "start_time", "end_time", "filter", "target");

  /** The prefix of the topic a replay without a target creates for itself: {@code replay.<replay_id>}. */
  public static final String OWN_TOPIC_PREFIX = "replay.";

  /** The target topic, or null for a subscription target or none. */
  public String targetTopic() {
    return target == null ? null : target.getString("topic");
  }

  /** The target subscription's id, or null for a topic target or none. */
  public String targetSubscription() {
    return target == null ? null : target.getString("subscription");
  }

  /** Whether the body named no target: the replay goes to a topic of its own. */
  public boolean needsOwnTopic() {
    return target == null;
  }

  /** The topic of its own a replay {@code replayId} without a target goes to. */
  public static String ownTopic(String replayId) {
    return OWN_TOPIC_PREFIX + replayId;
  }

  /** This request sent to {@code topic}. */
  public ReplayRequest withTarget(String topic) {
    return new ReplayRequest(this.topic, start, end, filter, new JsonObject().put("topic", topic));
  }

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
    JsonObject target = null;
    Object t = body.getValue("target");
    if (t == null) {
      target = null; // a topic of its own, created when the job is
    } else if (!(t instanceof JsonObject object)) {
      problems.add(new Violation("/target", "expected {\"topic\": \"<name>\"} or {\"subscription\": \"<id>\"}, "
          + "or no target for a topic of the replay's own").toJson());
    } else {
      object.fieldNames().stream().filter(f -> !f.equals("topic") && !f.equals("subscription")).sorted()
          .forEach(f -> problems.add(new Violation("/target/" + f, "unknown target; a replay goes to a topic "
              + "{\"topic\": \"<name>\"} or a kafka or webhook subscription {\"subscription\": \"<id>\"}").toJson()));
      if (object.containsKey("topic") == object.containsKey("subscription")) {
        problems.add(new Violation("/target", "expected either topic or subscription").toJson());
      } else if (object.containsKey("topic")) {
        String name = topic(object.getValue("topic"), "/target/topic", problems);
        if (name != null && name.equals(topic)) {
          problems.add(new Violation("/target/topic", "must differ from the topic replayed").toJson());
        }
        target = new JsonObject().put("topic", name);
      } else if (object.getValue("subscription") instanceof String id && SUBSCRIPTION.matcher(id).matches()) {
        target = new JsonObject().put("subscription", id);
      } else {
        problems.add(new Violation("/target/subscription", "expected a subscription id").toJson());
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
