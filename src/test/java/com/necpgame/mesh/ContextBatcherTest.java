package com.necpgame.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ContextBatcherTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private ContextBatcher batcherOn(Context context) throws Exception {
    CompletableFuture<ContextBatcher> batcher = new CompletableFuture<>();
    context.runOnContext(v -> batcher.complete(ContextBatcher.of(context)));
    return batcher.get(30, TimeUnit.SECONDS);
  }

  @Test
  void tasksFromManyThreadsEachRunOnceOnTheContextAndOneBatcherServesTheContext() throws Exception {
    Context context = vertx.getOrCreateContext();
    ContextBatcher batcher = batcherOn(context);
    assertTrue(batcher == batcherOn(context), "one shared batcher per context");
    int threads = 4;
    int perThread = 20_000;
    AtomicInteger drained = new AtomicInteger();
    AtomicInteger offLoop = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(threads * perThread);
    Runnable drain = () -> {
      if (Vertx.currentContext() != context) {
        offLoop.incrementAndGet();
      }
      drained.incrementAndGet();
      done.countDown();
    };
    List<Thread> tails = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread tail = new Thread(() -> {
        for (int i = 0; i < perThread; i++) {
          batcher.execute(drain);
        }
      });
      tails.add(tail);
      tail.start();
    }
    for (Thread tail : tails) {
      tail.join();
    }
    assertTrue(done.await(30, TimeUnit.SECONDS), "every ready socket drained: " + drained.get());
    Thread.sleep(100);
    assertEquals(threads * perThread, drained.get(), "each once, none twice");
    assertEquals(0, offLoop.get(), "always on the socket's loop");
  }

  @Test
  void aLongBurstYieldsTheLoopToOtherTasksBetweenContextTasks() throws Exception {
    Context context = vertx.getOrCreateContext();
    ContextBatcher batcher = batcherOn(context);
    int sockets = 5_000;
    List<Integer> order = new ArrayList<>(); // only touched on the loop
    CountDownLatch done = new CountDownLatch(sockets + 1);
    CompletableFuture<Void> queued = new CompletableFuture<>();
    context.runOnContext(v -> {
      for (int i = 0; i < sockets; i++) {
        int n = i;
        batcher.execute(() -> {
          order.add(n);
          done.countDown();
        });
      }
      // queued behind the batcher's first context task: it must run before the last sockets are drained
      context.runOnContext(x -> {
        order.add(-1);
        done.countDown();
      });
      queued.complete(null);
    });
    queued.get(30, TimeUnit.SECONDS);
    assertTrue(done.await(30, TimeUnit.SECONDS));
    CompletableFuture<Integer> at = new CompletableFuture<>();
    context.runOnContext(v -> at.complete(order.indexOf(-1)));
    int other = at.get(30, TimeUnit.SECONDS);
    assertTrue(other > 0 && other < sockets, "the other task ran between two batches, at " + other);
  }
}
