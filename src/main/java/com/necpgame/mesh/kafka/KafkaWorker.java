package com.necpgame.mesh.kafka;

import com.necpgame.mesh.MeshMetrics;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread under every Kafka loop of the mesh, and the one place that decides what a failure does. It runs the
 * loop's {@link Body} as the runner in {@code KafkaConsumer}'s javadoc does (a closed flag; {@link #close()} wakes
 * the loop's consumers; a {@link WakeupException} while closing ends the loop; the body closes its clients in
 * {@code finally} or try-with-resources). Any exception that escapes a life of the body is logged with the loop's
 * name, counted ({@code event_bus_loop_restarts_total{loop}}), and the body runs again with new clients after
 * {@link Backoff#SUPERVISION}: a loop never stops for good but when it is closed.
 */
public final class KafkaWorker implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaWorker.class);

  /** What a life of the loop sees of its worker. */
  public interface Life {
    /** False once the worker is closing: the body returns (or lets a {@link WakeupException} escape). */
    boolean running();

    /** What this life opened is subscribed, assigned or caught up: completes {@link KafkaWorker#ready()} once. */
    void ready();

    /** Registers a consumer this life opened, so that closing the worker (or {@link KafkaWorker#wakeup()}) wakes it. */
    <C extends Consumer<?, ?>> C wakes(C consumer);

    /** Sleeps for {@code pause}, or less when the worker is closed meanwhile. */
    void pause(Duration pause);
  }

  /** One life of a loop: opens its clients, loops while {@link Life#running()}, closes them. */
  public interface Body {
    void run(Life life) throws Exception;
  }

  private final String name;
  private final Backoff backoff;
  private final MeshMetrics metrics;
  private final Body body;
  private final Thread thread;
  private final List<Consumer<?, ?>> consumers = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Void> ready = new CompletableFuture<>();
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  /** Completed when the worker is asked to stop: the loop is closing. */
  private final CompletableFuture<Void> stopping = new CompletableFuture<>();
  /** Failures in a row: a life that became ready starts the count again. */
  private int failures;

  public KafkaWorker(String name, MeshMetrics metrics, Body body) {
    this(name, Backoff.SUPERVISION, metrics, body);
  }

  public KafkaWorker(String name, Backoff backoff, MeshMetrics metrics, Body body) {
    this.name = name;
    this.backoff = backoff;
    this.metrics = metrics;
    this.body = body;
    this.thread = new Thread(this::supervise, "loop-" + name);
    this.thread.setDaemon(true);
  }

  public KafkaWorker start() {
    thread.start();
    return this;
  }

  /** Completes when a life of the loop said it is ready; fails when the worker was closed before. */
  public CompletableFuture<Void> ready() {
    return ready;
  }

  /** Completes when the thread has ended. */
  public CompletableFuture<Void> stopped() {
    return stopped;
  }

  /** Completes when the worker is asked to stop ({@link #stop()}, {@link #close()}). */
  CompletableFuture<Void> stopping() {
    return stopping;
  }

  private boolean running() {
    return !stopping.isDone();
  }

  /** Wakes the loop's consumers out of a blocking call (to hand the loop work, say). */
  public void wakeup() {
    consumers.forEach(Consumer::wakeup);
  }

  private void supervise() {
    metrics.workerStarted();
    try {
      while (running()) {
        try {
          body.run(life());
          if (running()) {
            failed(new IllegalStateException("the loop returned while not closed"));
          }
        } catch (Exception e) { // a wake-up or an interrupt while closing is how a life ends
          if (running()) {
            failed(e);
          }
        } finally {
          consumers.clear();
        }
      }
    } catch (Error e) {
      LOG.error("loop {} ended by an error the worker cannot recover from", name, e);
      stopped.completeExceptionally(e);
      throw e;
    } finally {
      metrics.workerStopped();
      ready.completeExceptionally(new IllegalStateException("loop " + name + " closed before it was ready"));
      stopped.complete(null);
    }
  }

  private void failed(Exception e) {
    Duration pause = backoff.after(++failures);
    LOG.error("loop {} failed ({} in a row); starting it again in {} ms", name, failures, pause.toMillis(), e);
    metrics.loopRestarted(name);
    sleep(pause);
  }

  private Life life() {
    return new Life() {
      @Override
      public boolean running() {
        return KafkaWorker.this.running();
      }

      @Override
      public void ready() {
        failures = 0;
        if (ready.complete(null)) {
          LOG.debug("loop {} ready", name);
        }
      }

      @Override
      public <C extends Consumer<?, ?>> C wakes(C consumer) {
        consumers.add(consumer);
        if (!running()) {
          consumer.wakeup();
        }
        return consumer;
      }

      @Override
      public void pause(Duration pause) {
        sleep(pause);
      }
    };
  }

  private void sleep(Duration pause) {
    try {
      stopping.get(pause.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException | ExecutionException e) {
      // slept the whole pause (stopping never fails)
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Asks the loop to end without waiting: wakes its consumers and any pause; the body finishes what it holds
   * (commits, acknowledgements). Returns {@link #stopped()}, for a caller that must not block (a verticle's stop).
   */
  public CompletableFuture<Void> stop() {
    stopping.complete(null);
    wakeup();
    return stopped;
  }

  /** {@link #stop()}, then waits for the thread for at most {@code wait}. */
  public void close(Duration wait) {
    stop();
    try {
      thread.join(wait.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      LOG.warn("loop {} did not end within {} ms of being closed", name, wait.toMillis());
    }
  }

  /** Closes the loop, waiting at most 30 s. */
  @Override
  public void close() {
    close(Duration.ofSeconds(30));
  }
}
