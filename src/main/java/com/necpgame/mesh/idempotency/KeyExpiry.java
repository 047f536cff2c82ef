package com.necpgame.mesh.idempotency;

import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes expired idempotency keys in batches of at most {@code batch} rows, one statement at a time: every
 * {@code intervalMs}, or again at once while batches come back full (a backlog is worked off without one huge
 * {@code DELETE}). Several processes may run it: each skips the rows another is deleting ({@code SKIP LOCKED}).
 */
public final class KeyExpiry {

  private static final Logger LOG = LoggerFactory.getLogger(KeyExpiry.class);
  /** Between two full batches: keeps a backlog from holding a connection and a core. */
  private static final long BACKLOG_PAUSE_MS = 50;

  private final Vertx vertx;
  private final PublishKeys keys;
  private final long intervalMs;
  private final int batch;
  private volatile boolean stopped;
  private long timer = -1;

  public KeyExpiry(Vertx vertx, PublishKeys keys, long intervalMs, int batch) {
    this.vertx = vertx;
    this.keys = keys;
    this.intervalMs = intervalMs;
    this.batch = batch;
  }

  public void start() {
    schedule(intervalMs);
  }

  public void stop() {
    stopped = true;
    vertx.cancelTimer(timer);
  }

  private void schedule(long delayMs) {
    if (!stopped) {
      timer = vertx.setTimer(delayMs, t -> run());
    }
  }

  private void run() {
    keys.expire(batch).timeout(Math.max(intervalMs, 10_000), TimeUnit.MILLISECONDS).onComplete(done -> {
      if (done.failed()) {
        LOG.warn("deleting expired idempotency keys failed (tried again in {} ms): {}", intervalMs,
            String.valueOf(done.cause()));
      } else if (done.result() > 0) {
        LOG.debug("deleted {} expired idempotency keys", done.result());
      }
      schedule(done.succeeded() && done.result() >= batch ? BACKLOG_PAUSE_MS : intervalMs);
    });
  }
}
