package com.necpgame.mesh.security;

/**
 * A token bucket: {@code perSecond} tokens a second, at most {@code burst} saved up. Thread-safe (the gateway's
 * event loops share one bucket per principal and per topic). Times are {@link System#nanoTime()} values.
 */
public final class TokenBucket {

  private final double perNano;
  private final double burst;
  private double tokens;
  private long at;

  public TokenBucket(double perSecond, double burst, long now) {
    if (perSecond <= 0 || burst < 1) {
      throw new IllegalArgumentException("a bucket needs a positive rate and a burst of at least 1");
    }
    this.perNano = perSecond / 1e9;
    this.burst = burst;
    this.tokens = burst;
    this.at = now;
  }

  /** Takes {@code n} tokens if they are there: 0; else takes none and answers the nanoseconds until they are. */
  public synchronized long tryTake(int n, long now) {
    refill(now);
    if (tokens >= n) {
      tokens -= n;
      return 0;
    }
    return Math.max(1, (long) Math.ceil((Math.min(n, burst) - tokens) / perNano));
  }

  /**
   * Takes {@code n} tokens even when that leaves a debt, and answers the nanoseconds until the debt is paid (0 when
   * there was none): a WebSocket publisher keeps its events and is not read for that long.
   */
  public synchronized long take(int n, long now) {
    refill(now);
    tokens -= n;
    return tokens >= 0 ? 0 : (long) Math.ceil(-tokens / perNano);
  }

  private void refill(long now) {
    if (now > at) {
      tokens = Math.min(burst, tokens + (now - at) * perNano);
      at = now;
    }
  }
}
