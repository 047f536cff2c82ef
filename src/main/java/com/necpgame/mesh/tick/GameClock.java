package com.necpgame.mesh.tick;

import java.time.Instant;

/**
 * Game time from real time: at {@code realEpoch} the game clock reads {@code gameEpoch}, and it runs {@code scale}
 * game seconds per real second (3600: a game hour per real second, for demos; 1: real time). Millisecond arithmetic
 * on longs, so both directions are exact and the same on every process.
 */
public record GameClock(Instant gameEpoch, Instant realEpoch, long scale) {

  public GameClock {
    if (scale < 1) {
      throw new IllegalArgumentException("scale must be at least 1 game second per real second");
    }
  }

  public Instant gameAt(Instant real) {
    return gameEpoch.plusMillis(Math.multiplyExact(real.toEpochMilli() - realEpoch.toEpochMilli(), scale));
  }

  /** The first real millisecond at which the game clock has reached {@code game}. */
  public Instant realAt(Instant game) {
    return realEpoch.plusMillis(-Math.floorDiv(gameEpoch.toEpochMilli() - game.toEpochMilli(), scale));
  }
}
