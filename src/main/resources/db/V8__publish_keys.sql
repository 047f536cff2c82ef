-- Issue 18: idempotent publish, cluster-wide. One row per key a principal published with (an Idempotency-Key, or
-- its own event_id): the event id the key stands for (fixed before the send, so a resend after a crash reuses it), a
-- hash of what was published under it, and Kafka's acknowledgement once it came. Rows live until expires_at
-- (idempotency.window_ms after the claim) and are then deleted in bounded batches.
-- state: pending (claimed, the send not known to have ended), unknown (the send failed: the event may or may not be
-- in Kafka; verified there before any resend), published (partition and offset hold the acknowledgement).
CREATE TABLE publish_keys (
    principal VARCHAR(255) NOT NULL,
    idem_key VARCHAR(300) NOT NULL,
    body_hash VARCHAR(64) NOT NULL,
    event_id VARCHAR(100) NOT NULL,
    topic VARCHAR(255) NOT NULL,
    state VARCHAR(10) NOT NULL,
    partition INTEGER,
    "offset" BIGINT,
    attempt INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    claimed_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (principal, idem_key)
);
CREATE INDEX publish_keys_expires ON publish_keys (expires_at);
