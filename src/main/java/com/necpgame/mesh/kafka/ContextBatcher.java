package com.necpgame.mesh.kafka;

import io.vertx.core.Context;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs tasks from other threads (Kafka's producer I/O thread) on a Vert.x context, one context task per burst rather
 * than one per record: Kafka completes a whole batch of sends at once, and the event loop then drains them together.
 */
final class ContextBatcher {

  private final Context context;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();

  ContextBatcher(Context context) {
    this.context = context;
  }

  void execute(Runnable task) {
    tasks.add(task);
    if (scheduled.compareAndSet(false, true)) {
      context.runOnContext(v -> drain());
    }
  }

  private void drain() {
    scheduled.set(false); // a task added from here on schedules another drain
    Runnable task;
    while ((task = tasks.poll()) != null) {
      task.run();
    }
  }
}
