package com.necpgame.mesh.kafka;

import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Threads that loop on Kafka clients: keeping such a loop alive through failures, and stopping it (wake its consumers
 * out of any blocking call, then wait for the thread).
 */
public final class ConsumerThreads {

  private static final Logger LOG = LoggerFactory.getLogger(ConsumerThreads.class);
  private static final long FIRST_PAUSE_MS = 1000;
  private static final long MAX_PAUSE_MS = 30_000;

  private ConsumerThreads() {}

  /**
   * Runs {@code loop} (which opens its clients, loops while {@code running}, and closes them) until it returns while
   * not {@code running}; when it fails, logs why and runs it again after a pause that doubles from 1 s up to 30 s, so a
   * broker that is slow to start (a transaction coordinator not yet loaded, say) or away for a while does not stop it
   * for good. Call it on the loop's own thread.
   */
  public static void supervise(String name, BooleanSupplier running, Runnable loop) {
    supervise(name, running, loop, FIRST_PAUSE_MS, MAX_PAUSE_MS);
  }

  static void supervise(String name, BooleanSupplier running, Runnable loop, long firstPauseMs, long maxPauseMs) {
    long pause = firstPauseMs;
    while (running.getAsBoolean()) {
      try {
        loop.run();
        pause = firstPauseMs;
      } catch (RuntimeException e) {
        if (!running.getAsBoolean()) {
          return;
        }
        LOG.error("{} failed; starting it again in {} ms", name, pause, e);
        for (long end = System.currentTimeMillis() + pause; running.getAsBoolean()
            && System.currentTimeMillis() < end; ) {
          try {
            Thread.sleep(Math.min(100, Math.max(1, end - System.currentTimeMillis())));
          } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            return;
          }
        }
        pause = Math.min(maxPauseMs, pause * 2);
      }
    }
  }

  /** Wakes every consumer that is open (null ones are skipped) and joins the thread for at most {@code waitMs}. */
  public static void stop(Thread thread, long waitMs, KafkaConsumer<?, ?>... consumers) {
    for (KafkaConsumer<?, ?> c : consumers) {
      if (c != null) {
        c.wakeup();
      }
    }
    if (thread != null) {
      try {
        thread.join(waitMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
