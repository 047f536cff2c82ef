package com.necpgame.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.testsupport.KillNine;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acknowledged means durable: the packaged jar is killed with SIGKILL while clients publish over HTTP, and every event
 * a client saw acknowledged is in Kafka exactly once (the idempotent producer never writes one twice). Events that
 * were in flight at the kill may be in Kafka too; the clients never heard of them, so they count neither way.
 * {@code ReliabilityBench} runs ten such cycles for RELIABILITY.md. A keyed publish killed after Kafka's
 * acknowledgement and before its client heard of it, then retried on another process, is in Kafka once.
 */
class KillNineIT {

  @Test
  void everyAcknowledgedEventIsInKafkaExactlyOnceAfterKillMinus9(@TempDir Path dir) throws Exception {
    KillNine.Cycle cycle = KillNine.run("kill9", dir, 8, 2000);
    System.out.println("kill -9 cycle: " + cycle);
    assertTrue(cycle.acked() >= 2000, cycle.toString());
    assertTrue(cycle.outcomes().getOrDefault("connection error", 0) > 0, "the clients were cut off: " + cycle);
    assertEquals(0, cycle.lost(), cycle.toString());
    assertEquals(0, cycle.duplicated(), cycle.toString());
  }

  /** The default deployment: the broker and PostgreSQL embedded in the killed jar, read after it starts again. */
  @Test
  void withTheEmbeddedBrokerEveryAcknowledgedEventIsThereAfterKillMinus9AndRestart(@TempDir Path dir)
      throws Exception {
    KillNine.Cycle cycle = KillNine.runEmbedded("kill9-embedded", dir, 8, 2000);
    System.out.println("kill -9 cycle, embedded broker: " + cycle);
    assertTrue(cycle.acked() >= 2000, cycle.toString());
    assertEquals(0, cycle.lost(), cycle.toString());
    assertEquals(0, cycle.duplicated(), cycle.toString());
  }

  /**
   * kill -9 between Kafka's acknowledgement and the client's receipt (the window held open by the test-only
   * {@code idempotency.hold_after_ack_ms}), then the same Idempotency-Keys retried on another process: every retry is
   * answered with the event Kafka already holds, and Kafka holds each once.
   */
  @Test
  void aKeyedPublishKilledAfterKafkaAcknowledgedItAndRetriedElsewhereIsInKafkaOnce(@TempDir Path dir)
      throws Exception {
    int events = 20;
    KillNine.Cycle cycle = KillNine.keyedRetry("kill9-keyed", dir, events);
    System.out.println("kill -9 cycle, keyed retries: " + cycle);
    assertEquals(events, cycle.acked(), cycle.toString());
    assertEquals(0, cycle.lost(), cycle.toString());
    assertEquals(0, cycle.duplicated(), cycle.toString());
    assertEquals(0, cycle.foundUnacked(), "every event in Kafka is one a retry was answered with: " + cycle);
    assertEquals(events, cycle.outcomes().getOrDefault("retry 200 replayed=true", 0),
        "every retry answered the event the killed process had sent, sending nothing: " + cycle);
    assertEquals(events, cycle.outcomes().getOrDefault("first -1", 0), "no client heard of the first: " + cycle);
  }
}
