package com.necpgame.mesh.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TokenBucketTest {

  private static final long SECOND = 1_000_000_000L;

  @Test
  void burstIsTakenAtOnceThenTheRateRefills() {
    TokenBucket bucket = new TokenBucket(10, 5, 0);
    for (int i = 0; i < 5; i++) {
      assertEquals(0, bucket.tryTake(1, 0), "the burst is there at once");
    }
    long wait = bucket.tryTake(1, 0);
    assertEquals(SECOND / 10, wait, "one token comes every 100 ms");
    assertEquals(0, bucket.tryTake(1, SECOND / 10), "and is there after that");
    assertTrue(bucket.tryTake(1, SECOND / 10) > 0);
  }

  @Test
  void refillNeverExceedsTheBurst() {
    TokenBucket bucket = new TokenBucket(1000, 3, 0);
    assertEquals(0, bucket.tryTake(3, 0));
    assertTrue(bucket.tryTake(4, 3600 * SECOND) > 0, "an hour idle still holds only 3");
    assertEquals(0, bucket.tryTake(3, 3600 * SECOND));
  }

  @Test
  void refusedTakeTakesNothing() {
    TokenBucket bucket = new TokenBucket(1, 2, 0);
    assertTrue(bucket.tryTake(3, 0) > 0);
    assertEquals(0, bucket.tryTake(2, 0), "the refused take of 3 left both tokens");
  }

  @Test
  void takeGoesIntoDebtAndSaysHowLongToPayIt() {
    TokenBucket bucket = new TokenBucket(100, 10, 0);
    assertEquals(0, bucket.take(10, 0));
    assertEquals(SECOND / 2, bucket.take(50, 0), "50 tokens of debt at 100/s is half a second");
    assertTrue(bucket.tryTake(1, SECOND / 4) > 0, "still in debt after 250 ms");
    assertEquals(0, bucket.tryTake(1, SECOND / 2 + SECOND / 100));
  }

  @Test
  void clockGoingBackwardsAddsNothing() {
    TokenBucket bucket = new TokenBucket(10, 1, SECOND);
    assertEquals(0, bucket.tryTake(1, SECOND));
    assertTrue(bucket.tryTake(1, 0) > 0);
  }

  @Test
  void rejectsNonPositiveRate() {
    assertThrows(IllegalArgumentException.class, () -> new TokenBucket(0, 1, 0));
  }
}
