package com.necpgame.mesh.envelope;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Time-ordered event ids: UUID version 7 (RFC 9562). 48 bits of Unix milliseconds, then a 12-bit sequence that keeps ids
 * made in the same millisecond by this JVM in order, then 62 random bits. Ids sort by creation time. And the ids every
 * process derives alike from a name ({@link #of}): those of ticks and of what is computed for them.
 */
public final class EventIds {

  /** Last issued (millisecond << 12 | sequence); the clock never goes backwards for ids. */
  private static final AtomicLong LAST = new AtomicLong();

  private EventIds() {}

  public static UUID newId() {
    long next;
    long previous;
    do {
      previous = LAST.get();
      long candidate = System.currentTimeMillis() << 12;
      next = candidate > previous ? candidate : previous + 1; // same or earlier ms: next sequence (may borrow the next ms)
    } while (!LAST.compareAndSet(previous, next));
    long millis = next >>> 12;
    long sequence = next & 0xFFF;
    long msb = (millis << 16) | 0x7000L | sequence;
    long lsb = (ThreadLocalRandom.current().nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
    return new UUID(msb, lsb);
  }

  /** The UUID every process derives for a name (a tick id, say): a name-based (version 3) UUID. */
  public static UUID of(String name) {
    return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8));
  }
}
