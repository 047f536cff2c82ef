package com.necpgame.mesh.kafka;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * The mesh's one backoff: after failed attempt {@code n} (1 for the first) wait {@code first × 2^(n − 1)}, at most
 * {@code max}, spread by ± {@code jitter} (a fraction: 0.2 is ±20 %) so failures do not come back in step. Used by
 * every loop's supervision, by record retries and by webhook retries.
 */
public record Backoff(Duration first, Duration max, double jitter) {

  /** How a loop that failed is started again: 1 s doubling up to 30 s, ±20 %. */
  public static final Backoff SUPERVISION = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2);

  public Backoff {
    if (first.isNegative() || max.compareTo(first) < 0 || jitter < 0 || jitter >= 1) {
      throw new IllegalArgumentException("backoff needs 0 <= first <= max and 0 <= jitter < 1");
    }
  }

  /** The delay after failed attempt {@code attempt}, {@code random} giving numbers in [0, 1). */
  public Duration after(int attempt, DoubleSupplier random) {
    double base = first.toMillis() * Math.pow(2, Math.min(Math.max(attempt, 1) - 1, 40));
    double spread = 1 - jitter + 2 * jitter * random.getAsDouble();
    return Duration.ofMillis((long) Math.min(base * spread, max.toMillis()));
  }

  /** The delay after failed attempt {@code attempt}, with a thread-local random for the jitter. */
  public Duration after(int attempt) {
    return after(attempt, () -> java.util.concurrent.ThreadLocalRandom.current().nextDouble());
  }
}
