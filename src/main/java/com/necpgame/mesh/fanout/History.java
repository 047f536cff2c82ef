package com.necpgame.mesh.fanout;

/**
 * The last frames of one partition, in offset order, for sockets that resume or fall behind: at most
 * {@code maxEvents} frames, {@code maxBytes} bytes and {@code maxAgeMs} old (the oldest go first). It is complete from
 * {@link #floor()}: every record of the partition from that offset up to the tail's position is here, so a socket
 * whose next offset is at or after the floor catches up from memory, and one before it from Kafka. Not thread-safe:
 * its partition's lock guards it.
 */
final class History {

  private final int maxEvents;
  private final long maxBytes;
  private final long maxAgeMs;
  private Frame[] ring = new Frame[16];
  private int head;
  private int size;
  private long bytes;
  private long floor;

  History(int maxEvents, long maxBytes, long maxAgeMs) {
    this.maxEvents = maxEvents;
    this.maxBytes = maxBytes;
    this.maxAgeMs = maxAgeMs;
  }

  /** Forgets everything: complete from {@code position} (where the tail starts reading) on. */
  void reset(long position) {
    ring = new Frame[16];
    head = 0;
    size = 0;
    bytes = 0;
    floor = position;
  }

  /** Adds the next frame of the partition, then drops what is over the bounds at {@code now}. */
  void append(Frame frame, long now) {
    if (maxEvents == 0) {
      floor = frame.offset + 1;
      return;
    }
    if (size == ring.length) {
      grow();
    }
    ring[(head + size) % ring.length] = frame;
    size++;
    bytes += frame.size();
    trim(now);
  }

  /** Drops the oldest frames while over a bound (also by age, with nothing appended: call it now and then). */
  void trim(long now) {
    while (size > 0 && (size > maxEvents || bytes > maxBytes || now - get(0).readAt > maxAgeMs)) {
      Frame oldest = get(0);
      ring[head] = null;
      head = (head + 1) % ring.length;
      size--;
      bytes -= oldest.size();
      floor = oldest.offset + 1;
    }
  }

  private void grow() {
    Frame[] bigger = new Frame[Math.min(Math.max(16, ring.length * 2), Math.max(maxEvents, 16) + 1)];
    for (int i = 0; i < size; i++) {
      bigger[i] = get(i);
    }
    ring = bigger;
    head = 0;
  }

  /** The first offset from which the history is complete. */
  long floor() {
    return floor;
  }

  /** Whether a socket whose next offset is {@code next} can catch up from here. */
  boolean covers(long next) {
    return next >= floor;
  }

  int size() {
    return size;
  }

  long bytes() {
    return bytes;
  }

  /** The {@code i}-th frame, oldest first. */
  Frame get(int i) {
    return ring[(head + i) % ring.length];
  }

  /** The index of the first frame at or after {@code offset} ({@link #size()} when none is). */
  int indexOf(long offset) {
    int lo = 0;
    int hi = size;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (get(mid).offset < offset) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
}
