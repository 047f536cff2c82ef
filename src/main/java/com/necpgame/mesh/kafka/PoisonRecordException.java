package com.necpgame.mesh.kafka;

/** A record no retry can fix (it is not JSON, say): it goes to the dead-letter topic at once. */
public final class PoisonRecordException extends RuntimeException {
  public PoisonRecordException(String message) {
    super(message, null, false, false);
  }
}
