package com.necpgame.mesh.fanout;

/**
 * Where one socket is on one partition: live (it gets each frame as the tail reads it) or behind at {@code next}
 * (catching up from the history, or from Kafka while {@code reading}). Guarded by its partition's lock.
 */
final class Cursor {
  long next;
  boolean live;
  boolean reading;

  Cursor(long next, boolean live) {
    this.next = next;
    this.live = live;
  }

  @Override
  public String toString() {
    return live ? "live" : "behind at " + next + (reading ? " (reading Kafka)" : "");
  }
}
