package com.necpgame.mesh.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.necpgame.mesh.store.EventLifecycle.SubscriptionState;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventLifecycleTest {

  private static final JsonObject ROW = new JsonObject().put("event_id", "e").put("topic", "game.t")
      .put("status", "published").put("retry_count", 0).put("processed_at", null);

  private static SubscriptionState sub(String id, String state, int attempts, boolean ack, String processedAt) {
    return new SubscriptionState(id, "webhook", state, attempts, null, ack, null, processedAt);
  }

  private static String status(SubscriptionState... states) {
    return EventLifecycle.of(ROW, List.of(states)).getString("status");
  }

  @Test
  void anEventNoSubscriptionTookIsPublished() {
    assertEquals("published", status());
  }

  @Test
  void anEventIsPublishedWhileAnySubscriptionIsPendingOrRetrying() {
    assertEquals("published", status(sub("a", "delivered", 1, false, null), sub("b", "pending", 0, false, null)));
    assertEquals("published", status(sub("a", "delivered", 1, false, null), sub("b", "retrying", 2, false, null)));
  }

  @Test
  void anEventIsDeliveredOnceEverySubscriptionGotItAndProcessedOnceEveryAcknowledgingOneAcked() {
    assertEquals("delivered", status(sub("a", "delivered", 1, false, null)));
    assertEquals("delivered", status(sub("a", "delivered", 1, false, null), sub("b", "delivered", 1, true, null)));
    JsonObject processed = EventLifecycle.of(ROW, List.of(sub("a", "delivered", 1, false, null),
        sub("b", "processed", 1, true, "2026-01-01T00:00:01Z"), sub("c", "processed", 2, true, "2026-01-01T00:00:03Z")));
    assertEquals("processed", processed.getString("status"));
    assertEquals("2026-01-01T00:00:03Z", processed.getString("processed_at"), "when the last acknowledgement came");
    assertEquals(1, processed.getInteger("retry_count"));
    assertEquals(4, processed.getInteger("attempts"));
  }

  @Test
  void anyFailedSubscriptionMakesTheEventFailed() {
    JsonObject failed = EventLifecycle.of(ROW, List.of(sub("a", "processed", 1, true, "2026-01-01T00:00:01Z"),
        sub("b", "failed", 4, false, null)));
    assertEquals("failed", failed.getString("status"));
    assertNull(failed.getString("processed_at"));
    assertEquals(3, failed.getInteger("retry_count"));
  }

  @Test
  void anEventKafkaHasNotAcknowledgedIsPending() {
    JsonObject pending = EventLifecycle.pending("e", "game.t");
    assertEquals("pending", pending.getString("status"));
    assertEquals("game.t", pending.getString("topic"));
    assertEquals(0, pending.getInteger("retry_count"));
  }
}
