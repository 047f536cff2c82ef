package com.necpgame.mesh.store;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The status of an event from what is known of it: whether Kafka acknowledged it (the store has its row) and where
 * each subscription it went to is.
 *
 * <pre>
 *  pending ──Kafka ack──▶ published ──every subscription got it──▶ delivered ──every requires_ack one acked──▶ processed
 *                             │                                        │
 *                             └──── a delivery exhausted max_retries (or an ack never came) ──▶ failed
 * </pre>
 *
 * <p>Per subscription: {@code pending} (queued, not yet attempted), {@code retrying} (an attempt failed, another
 * follows), {@code delivered} (webhook 2xx, kafka copy acknowledged, WebSocket frame written), {@code processed}
 * (acknowledged by the consumer), {@code failed} (dead-lettered). The event is {@code failed} when any subscription is; {@code published}
 * while any is pending or retrying, or when none matched (or the router has not reached it yet: the two are not told
 * apart); {@code delivered} once every one is delivered or processed; {@code processed} once at least one {@code
 * requires_ack} subscription exists and every such subscription acknowledged it. {@code retry_count} counts the
 * attempts after each subscription's first, {@code attempts} every attempt.
 */
public final class EventLifecycle {

  /** Where one subscription is with the event. */
  public record SubscriptionState(String subscriptionId, String method, String state, int attempts, String lastError,
      boolean requiresAck, String deliveredAt, String processedAt) {

    JsonObject toJson() {
      return new JsonObject().put("subscription_id", subscriptionId).put("method", method).put("state", state)
          .put("attempts", attempts).put("last_error", lastError).put("requires_ack", requiresAck)
          .put("delivered_at", deliveredAt).put("processed_at", processedAt);
    }
  }

  private EventLifecycle() {}

  /** The status answer of an event Kafka has not acknowledged yet, as its accepting process knows it. */
  public static JsonObject pending(String eventId, String topic) {
    return new JsonObject().put("event_id", eventId).put("topic", topic).put("status", "pending").put("retry_count", 0)
        .put("attempts", 0).put("processed_at", null).put("subscriptions", new JsonArray());
  }

  /** The status answer: the store's row ({@code event}, as {@link EventStore#status} reads it) with the states. */
  public static JsonObject of(JsonObject event, List<SubscriptionState> states) {
    JsonObject out = event.copy();
    int attempts = 0;
    int retries = 0;
    boolean failed = false;
    boolean waiting = false;
    boolean acked = true;
    boolean anyAck = false;
    String processedAt = null;
    JsonArray subscriptions = new JsonArray();
    for (SubscriptionState s : states) {
      attempts += s.attempts();
      retries += Math.max(0, s.attempts() - 1);
      switch (s.state()) {
        case "failed" -> failed = true;
        case "pending", "retrying" -> waiting = true;
        default -> { }
      }
      if (s.requiresAck()) {
        anyAck = true;
        if ("processed".equals(s.state())) {
          processedAt = later(processedAt, s.processedAt());
        } else {
          acked = false;
        }
      }
      subscriptions.add(s.toJson());
    }
    String status = failed ? "failed" : waiting || states.isEmpty() ? "published"
        : anyAck && acked ? "processed" : "delivered";
    return out.put("status", status).put("retry_count", retries).put("attempts", attempts)
        .put("processed_at", "processed".equals(status) ? processedAt : null).put("subscriptions", subscriptions);
  }

  private static String later(String a, String b) {
    return a == null ? b : b == null ? a : a.compareTo(b) >= 0 ? a : b;
  }
}
