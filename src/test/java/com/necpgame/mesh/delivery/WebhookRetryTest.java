package com.necpgame.mesh.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class WebhookRetryTest {

  private static final Instant NOW = Instant.parse("2026-11-23T10:00:00Z");

  @Test
  void doublesFromTheRetryDelayWithinTwentyPercentAndIsCapped() {
    WebhookRetry low = new WebhookRetry(() -> 0.0);
    WebhookRetry high = new WebhookRetry(() -> 0.999999);
    assertEquals(Duration.ofMillis(48_000), low.after(1, 60, null, NOW), "60 s - 20 %");
    assertEquals(71_999, high.after(1, 60, null, NOW).toMillis(), "60 s + 20 %");
    assertEquals(Duration.ofMillis(96_000), low.after(2, 60, null, NOW));
    assertEquals(Duration.ofMillis(192_000), low.after(3, 60, null, NOW));
    assertEquals(WebhookRetry.MAX, low.after(40, 60, null, NOW));
  }

  @Test
  void retryAfterIsHonouredWhenLonger() {
    WebhookRetry none = new WebhookRetry(() -> 0.5);
    assertEquals(Duration.ofSeconds(120), none.after(1, 10, "120", NOW));
    assertEquals(Duration.ofSeconds(10), none.after(1, 10, "3", NOW), "shorter than the schedule: the schedule wins");
    assertEquals(Duration.ofSeconds(300), none.after(1, 10, "Mon, 23 Nov 2026 10:05:00 GMT", NOW));
    assertEquals(WebhookRetry.MAX, none.after(1, 10, "99999999", NOW));
    assertNull(WebhookRetry.retryAfter("soon", NOW));
    assertEquals(Duration.ZERO, WebhookRetry.retryAfter("Mon, 23 Nov 2026 09:00:00 GMT", NOW));
  }

  @Test
  void theRateLimiterHoldsOneSecondAndRefills() {
    RateLimiter limit = new RateLimiter(600, 0); // 10 a second
    assertEquals(10, limit.take(50, 0));
    assertEquals(0, limit.take(1, 0));
    assertEquals(100, limit.waitMs());
    assertEquals(5, limit.take(50, 500));
    assertEquals(10, limit.take(50, 10_000), "never more than a second's worth");
    RateLimiter slow = new RateLimiter(1, 0);
    assertEquals(1, slow.take(5, 0), "at least one token");
    assertEquals(0, slow.take(5, 30_000));
    assertEquals(1, slow.take(5, 60_000));
  }
}
