package com.necpgame.mesh.delivery;

/**
 * A token bucket for one subscription's {@code rate_limit_per_min} in one process: it refills continuously and holds
 * at most one second's worth (at least one token), so a subscription is neither flooded nor starved. Not thread-safe:
 * used on one event loop.
 */
final class RateLimiter {

  private final double perMilli;
  private final double capacity;
  private double tokens;
  private long at;

  RateLimiter(int perMinute, long now) {
    this.perMilli = perMinute / 60_000.0;
    this.capacity = Math.max(1, perMinute / 60.0);
    this.tokens = capacity;
    this.at = now;
  }

  /** Takes up to {@code wanted} tokens at {@code now} (ms); how many it got. */
  int take(int wanted, long now) {
    tokens = Math.min(capacity, tokens + (now - at) * perMilli);
    at = now;
    int granted = (int) Math.min(wanted, Math.floor(tokens));
    tokens -= granted;
    return granted;
  }

  /** Milliseconds until one more token is there. */
  long waitMs() {
    return tokens >= 1 ? 0 : (long) Math.ceil((1 - tokens) / perMilli);
  }
}
