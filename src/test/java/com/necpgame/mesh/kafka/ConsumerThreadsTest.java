package com.necpgame.mesh.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

/** A loop on Kafka clients is started again after it fails, and not once it was stopped. */
class ConsumerThreadsTest {

  @Test
  void aFailedLoopRunsAgainUntilItReturnsStopped() {
    AtomicBoolean running = new AtomicBoolean(true);
    List<Integer> runs = new ArrayList<>();
    ConsumerThreads.supervise("test loop", running::get, () -> {
      runs.add(runs.size());
      if (runs.size() < 3) {
        throw new TimeoutException("Timeout expired after 5000ms while awaiting InitProducerId");
      }
      running.set(false); // stopped: returns, as a loop does when woken
    }, 1, 2);
    assertEquals(List.of(0, 1, 2), runs);
  }

  @Test
  void aLoopThatFailsBecauseItWasStoppedIsNotRunAgain() {
    AtomicBoolean running = new AtomicBoolean(true);
    List<Integer> runs = new ArrayList<>();
    ConsumerThreads.supervise("test loop", running::get, () -> {
      runs.add(runs.size());
      running.set(false);
      throw new IllegalStateException("producer closed");
    }, 1, 2);
    assertEquals(1, runs.size());
    assertTrue(!running.get());
  }
}
