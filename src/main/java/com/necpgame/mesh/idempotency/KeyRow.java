package com.necpgame.mesh.idempotency;

/**
 * What {@code publish_keys} holds for a key: the event id it stands for, the hash of its body, its state, Kafka's
 * acknowledgement once published, which claim this is ({@code attempt}), when the key was first claimed (epoch ms)
 * and how long ago the current claim was made (by the database's clock, so processes' clocks need not agree).
 */
public record KeyRow(String eventId, String bodyHash, String topic, State state, Integer partition, Long offset,
    int attempt, long createdAtMillis, long claimAgeMillis) {

  /** The states of a key; see the V8 migration. */
  public enum State {
    /** Claimed; the send that claimed it may not have ended. */
    PENDING,
    /** The send failed: the event may or may not be in Kafka. */
    UNKNOWN,
    /** Kafka acknowledged the event: partition and offset are known. */
    PUBLISHED;

    public String column() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static State of(String column) {
      return valueOf(column.toUpperCase(java.util.Locale.ROOT));
    }
  }

  /** What a publish whose key is already held does. */
  public enum Decision {
    /** The same key with another body: 409. */
    CONFLICT,
    /** Answer the acknowledgement held; write nothing to Kafka. */
    REPLAY,
    /** Another request with this key is being published now: wait for it, or 409 {@code in_progress}. */
    IN_PROGRESS,
    /**
     * The claim's send failed or its process is gone: take the claim over, look for its event id in Kafka, and send it
     * (with the same id) only when it is not there.
     */
    RECOVER
  }

  /**
   * What a publish with body hash {@code bodyHash} does with this row, when a claim older than {@code pendingTimeoutMs}
   * is taken for abandoned.
   */
  public Decision decide(String bodyHash, long pendingTimeoutMs) {
    if (!this.bodyHash.equals(bodyHash)) {
      return Decision.CONFLICT;
    }
    return switch (state) {
      case PUBLISHED -> Decision.REPLAY;
      case UNKNOWN -> Decision.RECOVER;
      case PENDING -> claimAgeMillis >= pendingTimeoutMs ? Decision.RECOVER : Decision.IN_PROGRESS;
    };
  }
}
