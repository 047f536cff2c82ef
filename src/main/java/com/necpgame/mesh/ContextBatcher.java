package com.necpgame.mesh;

import io.vertx.core.Context;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs tasks from other threads on a Vert.x context, one context task per burst rather than one per task: Kafka's
 * producer I/O thread completes a whole batch of sends at once, and a WebSocket tail fans a record out to thousands
 * of sockets of the same event loop; the loop then runs them together. A context task runs at most
 * {@value #PER_TASK} of them, then yields the loop to its other work (its HTTP requests) and goes on in the next one.
 */
public final class ContextBatcher {

  private static final String KEY = ContextBatcher.class.getName();
  private static final int PER_TASK = 1024;

  private final Context context;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();

  public ContextBatcher(Context context) {
    this.context = context;
  }

  /** The batcher {@code context}'s users share (one per event loop context); call it on that context. */
  public static ContextBatcher of(Context context) {
    ContextBatcher batcher = context.get(KEY);
    if (batcher == null) {
      batcher = new ContextBatcher(context);
      context.put(KEY, batcher);
    }
    return batcher;
  }

  /** Runs {@code task} on the context soon. Any thread. */
  public void execute(Runnable task) {
    tasks.add(task);
    schedule();
  }

  private void schedule() {
    if (scheduled.compareAndSet(false, true)) {
      context.runOnContext(v -> drain());
    }
  }

  private void drain() {
    scheduled.set(false); // a task added from here on schedules another drain
    for (int i = 0; i < PER_TASK; i++) {
      Runnable task = tasks.poll();
      if (task == null) {
        return;
      }
      task.run();
    }
    if (!tasks.isEmpty()) {
      schedule();
    }
  }
}
