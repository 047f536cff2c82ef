package com.necpgame.mesh.idempotency;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.necpgame.mesh.idempotency.KeyRow.Decision;
import com.necpgame.mesh.idempotency.KeyRow.State;
import org.junit.jupiter.api.Test;

class KeyRowTest {

  private static final long TIMEOUT = 60_000;

  private static KeyRow row(State state, long claimAgeMs) {
    return new KeyRow("e1", "hash", "t", state, state == State.PUBLISHED ? 3 : null,
        state == State.PUBLISHED ? 42L : null, 1, 0, claimAgeMs);
  }

  @Test
  void aPublishedKeyWithTheSameBodyIsAReplay() {
    assertEquals(Decision.REPLAY, row(State.PUBLISHED, 5).decide("hash", TIMEOUT));
    assertEquals(Decision.REPLAY, row(State.PUBLISHED, 10 * TIMEOUT).decide("hash", TIMEOUT));
  }

  @Test
  void anotherBodyIsAConflictInEveryState() {
    for (State s : State.values()) {
      assertEquals(Decision.CONFLICT, row(s, 5).decide("other", TIMEOUT), s.toString());
      assertEquals(Decision.CONFLICT, row(s, 2 * TIMEOUT).decide("other", TIMEOUT), s.toString());
    }
  }

  @Test
  void aFreshPendingClaimIsInProgressAndAnOldOneIsRecovered() {
    assertEquals(Decision.IN_PROGRESS, row(State.PENDING, 0).decide("hash", TIMEOUT));
    assertEquals(Decision.IN_PROGRESS, row(State.PENDING, TIMEOUT - 1).decide("hash", TIMEOUT));
    assertEquals(Decision.RECOVER, row(State.PENDING, TIMEOUT).decide("hash", TIMEOUT));
  }

  @Test
  void aFailedSendIsRecoveredAtOnce() {
    assertEquals(Decision.RECOVER, row(State.UNKNOWN, 0).decide("hash", TIMEOUT));
  }

  @Test
  void statesRoundTripThroughTheirColumn() {
    for (State s : State.values()) {
      assertEquals(s, State.of(s.column()));
    }
  }
}
