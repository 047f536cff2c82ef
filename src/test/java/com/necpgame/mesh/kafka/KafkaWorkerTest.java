package com.necpgame.mesh.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.MeshMetrics;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

/** The worker under every loop: a failed life runs again after a backoff, closing ends it, readiness is reported. */
class KafkaWorkerTest {

  private static final Backoff FAST = new Backoff(Duration.ofMillis(1), Duration.ofMillis(2), 0);
  private final MeshMetrics metrics = new MeshMetrics();

  @Test
  void aLifeThatFailsRunsAgainWithNewClientsAndIsCounted() throws Exception {
    AtomicInteger lives = new AtomicInteger();
    KafkaWorker worker = new KafkaWorker("flaky", FAST, metrics, life -> {
      if (lives.incrementAndGet() < 3) {
        throw new TimeoutException("Timeout expired after 5000ms while awaiting InitProducerId");
      }
      life.ready();
      while (life.running()) {
        life.pause(Duration.ofMillis(5));
      }
    }).start();
    worker.ready().get(10, TimeUnit.SECONDS);
    assertEquals(3, lives.get());
    assertEquals(2.0, metrics.registry().get("event_bus_loop_restarts_total").tag("loop", "flaky").counter().count());
    worker.close(Duration.ofSeconds(10));
    assertTrue(worker.stopped().isDone());
  }

  @Test
  void closingWakesAConsumerBlockedInPollAndEndsTheLoop() throws Exception {
    MockConsumer<String, byte[]> consumer = new MockConsumer<>("earliest");
    AtomicInteger lives = new AtomicInteger();
    KafkaWorker worker = new KafkaWorker("tail", FAST, metrics, life -> {
      lives.incrementAndGet();
      life.wakes(consumer).subscribe(List.of("t"));
      life.ready();
      while (life.running()) {
        consumer.poll(Duration.ofSeconds(30)); // MockConsumer returns at once; a wake-up makes it throw
      }
    }).start();
    worker.ready().get(10, TimeUnit.SECONDS);
    worker.close(Duration.ofSeconds(10));
    worker.stopped().get(10, TimeUnit.SECONDS);
    assertEquals(1, lives.get(), "closing is not a failure: the loop is not started again");
    assertEquals(0, metrics.registry().find("event_bus_loop_restarts_total").counters().size());
  }

  @Test
  void readyFailsWhenClosedBeforeTheLoopWasReady() throws Exception {
    KafkaWorker worker = new KafkaWorker("never-ready", FAST, metrics, life -> {
      while (life.running()) {
        life.pause(Duration.ofSeconds(60));
      }
    }).start();
    long started = System.nanoTime();
    worker.close(Duration.ofSeconds(10));
    assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(30), "a pause is cut short by close()");
    ExecutionException e = assertThrows(ExecutionException.class, () -> worker.ready().get(1, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().contains("never-ready"), e.getCause().getMessage());
  }

  @Test
  void aFailureWhileClosingIsNotRestarted() throws Exception {
    AtomicInteger lives = new AtomicInteger();
    KafkaWorker worker = new KafkaWorker("closing", FAST, metrics, life -> {
      lives.incrementAndGet();
      life.ready();
      while (life.running()) {
        life.pause(Duration.ofMillis(5));
      }
      throw new IllegalStateException("producer closed");
    }).start();
    worker.ready().get(10, TimeUnit.SECONDS);
    worker.close(Duration.ofSeconds(10));
    assertEquals(1, lives.get());
    assertFalse(worker.stopped().isCompletedExceptionally());
  }

  @Test
  void closeAsyncDoesNotWaitAndTheLoopEndsWithoutARestart() throws Exception {
    MockConsumer<String, byte[]> consumer = new MockConsumer<>("earliest");
    AtomicInteger lives = new AtomicInteger();
    KafkaWorker worker = new KafkaWorker("socket", FAST, metrics, life -> {
      lives.incrementAndGet();
      life.wakes(consumer).subscribe(List.of("t"));
      life.ready();
      while (life.running()) {
        consumer.poll(Duration.ofSeconds(30));
      }
    }).start();
    worker.ready().get(10, TimeUnit.SECONDS);
    worker.closeAsync().get(10, TimeUnit.SECONDS);
    assertEquals(1, lives.get());
    assertEquals(0, metrics.registry().find("event_bus_loop_restarts_total").counters().size());
  }

  @Test
  void backoffDoublesUpToItsMaximumWithinItsJitter() {
    Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2);
    assertEquals(Duration.ofMillis(800), b.after(1, () -> 0));
    assertEquals(Duration.ofMillis(4000), b.after(3, () -> 0.5));
    assertEquals(Duration.ofSeconds(30), b.after(50, () -> 0.999));
    assertEquals(Duration.ofSeconds(30), b.after(50, () -> 0));
    assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), 0));
  }
}
