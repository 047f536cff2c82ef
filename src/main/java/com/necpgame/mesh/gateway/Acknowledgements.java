package com.necpgame.mesh.gateway;

import com.necpgame.mesh.delivery.Subscription;
import com.necpgame.mesh.gateway.Publications.Refusal;
import com.necpgame.mesh.kafka.TopicPatterns;
import com.necpgame.mesh.security.Principal;
import com.necpgame.mesh.store.EventStatus;
import com.necpgame.mesh.store.EventStore;
import com.necpgame.mesh.store.SubscriptionRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * A consumer's acknowledgement that a subscription processed an event, for {@code POST /events/{id}/ack} and the
 * WebSocket {@code ack} frame alike. Only the subscription's owner (and admins) may acknowledge; to anyone else the
 * subscription does not exist (404). A subscription without {@code requires_ack} has nothing to acknowledge (409
 * {@code ack_not_required}); an event the subscription never got (not yet attempted, dead-lettered, or unknown) is 409
 * {@code not_delivered}. Acknowledging again answers the first acknowledgement. A webhook subscription got the event
 * when a delivery of it was made (or is being made). A WebSocket subscription's delivered rows are written in batches
 * after its sockets wrote the frames, and a kafka subscription's consumer may read a copy before the router recorded
 * it, so for those an acknowledgement is taken for any stored event the subscription's pattern and types match.
 */
final class Acknowledgements {

  private static final int EVENT_ID_MAX = 100;

  private final SubscriptionRegistry registry;
  private final EventStatus status;
  private final EventStore events;

  Acknowledgements(SubscriptionRegistry registry, EventStatus status, EventStore events) {
    this.registry = registry;
    this.status = status;
    this.events = events;
  }

  /** The processed state, or failed with the {@link Refusal} the caller gets. */
  Future<JsonObject> ack(Principal principal, String eventId, String subscriptionId) {
    return registry.get(subscriptionId).compose(row -> {
      if (row == null || !Access.sees(principal, row.getString("owner"))) {
        return Future.failedFuture(new Refusal(404, "subscription_not_found", "no subscription " + subscriptionId,
            null));
      }
      if (!Boolean.TRUE.equals(row.getBoolean("requires_ack"))) {
        return Future.failedFuture(new Refusal(409, "ack_not_required", "subscription " + subscriptionId
            + " does not acknowledge its events (requires_ack is false): there is nothing to acknowledge", null));
      }
      if (eventId.length() > EVENT_ID_MAX) { // no event has such an id (the store's column holds 100 characters)
        return Future.failedFuture(notDelivered(eventId, subscriptionId));
      }
      String method = row.getString("method");
      Future<Boolean> socketReceived = "webhook".equals(method) ? Future.succeededFuture(false)
          : events.status(eventId).map(event -> event != null && streamed(Subscription.of(row), event));
      return socketReceived.compose(received -> status.ack(eventId, subscriptionId, method, received))
          .compose(ack -> ack != null ? Future.succeededFuture(ack.toJson())
              : Future.failedFuture(notDelivered(eventId, subscriptionId)));
    });
  }

  private static Refusal notDelivered(String eventId, String subscriptionId) {
    return new Refusal(409, "not_delivered", "subscription " + subscriptionId + " has no delivery of event " + eventId
        + " to acknowledge (not delivered yet, dead-lettered, or never matched)", null);
  }

  /** Whether a subscription takes an event of this topic and type (its filter is not checked). */
  private static boolean streamed(Subscription s, JsonObject event) {
    return TopicPatterns.matches(s.topics(), event.getString("topic"))
        && (s.eventTypes().isEmpty() || s.eventTypes().contains(event.getString("event_type")));
  }
}
