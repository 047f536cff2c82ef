package com.necpgame.mesh.delivery;

import com.necpgame.mesh.kafka.Backoff;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.function.DoubleSupplier;

/**
 * When to try a failed webhook again: the mesh's {@link Backoff} from the subscription's {@code retry_delay}
 * ({@code retry_delay × 2^(attempt − 1)}, ±20 % jitter so failed deliveries do not come back in step), never sooner
 * than the receiver's {@code Retry-After}, at most {@link #MAX}.
 */
public final class WebhookRetry {

  public static final Duration MAX = Duration.ofHours(6);

  private final DoubleSupplier random;

  /** {@code random} gives numbers in [0, 1). */
  public WebhookRetry(DoubleSupplier random) {
    this.random = random;
  }

  /** The delay after failed attempt {@code attempt} (1 for the first), given the answer's Retry-After (or null). */
  public Duration after(int attempt, int retryDelaySeconds, String retryAfter, Instant now) {
    Duration delay = new Backoff(Duration.ofSeconds(retryDelaySeconds), MAX, 0.2).after(attempt, random);
    Duration asked = retryAfter(retryAfter, now);
    return asked != null && asked.compareTo(delay) > 0 ? (asked.compareTo(MAX) > 0 ? MAX : asked) : delay;
  }

  /** {@code Retry-After} as seconds or an HTTP date; null when absent or unreadable. */
  static Duration retryAfter(String header, Instant now) {
    if (header == null || header.isBlank()) {
      return null;
    }
    String value = header.trim();
    if (value.matches("\\d{1,9}")) {
      return Duration.ofSeconds(Long.parseLong(value));
    }
    try {
      Duration until = Duration.between(now, ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
      return until.isNegative() ? Duration.ZERO : until;
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
