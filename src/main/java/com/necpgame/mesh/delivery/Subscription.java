package com.necpgame.mesh.delivery;

import com.necpgame.mesh.envelope.EnvelopeFilter;
import com.necpgame.mesh.kafka.TopicPatterns;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/** A subscription as delivery uses it: what it matches and where it goes. Built from a registry row. */
public record Subscription(String id, String serviceName, TopicPatterns.Globs topics, Set<String> eventTypes,
    EnvelopeFilter filter, String method, String endpoint, boolean active, boolean batching, boolean requiresAck) {

  public static Subscription of(JsonObject row) {
    Set<String> types = new HashSet<>();
    row.getJsonArray("event_types", new JsonArray()).forEach(t -> types.add(String.valueOf(t)));
    EnvelopeFilter filter = EnvelopeFilter.parse(row.getValue("filter"), "/filter", new JsonArray());
    return new Subscription(row.getString("subscription_id"), row.getString("service_name"),
        TopicPatterns.compile(List.of(row.getString("topic_pattern", "*"))), types,
        filter == null ? EnvelopeFilter.ALL : filter, row.getString("method"), row.getString("endpoint"),
        "active".equals(row.getString("status")), row.getBoolean("enable_batching", false),
        Boolean.TRUE.equals(row.getBoolean("requires_ack")));
  }

  /**
   * Whether an event is for this subscription: it is active, the topic matches its pattern, the type is one it
   * asked for, and the envelope passes its filter ({@code envelope} is only decoded when the filter needs it; null
   * when the record is not an envelope, which then matches only a filter-less subscription).
   */
  public boolean matches(String topic, String eventType, Supplier<JsonObject> envelope) {
    if (!active || !TopicPatterns.matches(topics, topic)
        || !(eventTypes.isEmpty() || eventTypes.contains(eventType))) {
      return false;
    }
    if (filter.isAll()) {
      return true;
    }
    JsonObject decoded = envelope.get();
    return decoded != null && filter.matches(decoded);
  }
}
