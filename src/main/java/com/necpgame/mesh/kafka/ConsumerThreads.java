package com.necpgame.mesh.kafka;

import org.apache.kafka.clients.consumer.KafkaConsumer;

/** Stopping a thread that loops on Kafka consumers: wake them out of any blocking call, then wait for the thread. */
public final class ConsumerThreads {

  private ConsumerThreads() {}

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
