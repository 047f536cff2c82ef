-- Issue 18: the real status of an event, per subscription, and acknowledgements.
-- One row per (event, subscription) that a delivery reached or tried to reach: webhook attempts (written with the
-- event_deliveries rows of a round), kafka copies once acknowledged, acknowledgements (POST /events/{id}/ack, the
-- WebSocket ack frame). state: retrying | delivered | failed | processed. Small and keyed; pruned by age (updated_at)
-- with the events it describes.
CREATE TABLE event_subscription_state (
    event_id VARCHAR(100) NOT NULL,
    subscription_id VARCHAR(100) NOT NULL,
    method VARCHAR(20) NOT NULL,
    state VARCHAR(20) NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    requires_ack BOOLEAN NOT NULL DEFAULT false,
    delivered_at TIMESTAMP WITH TIME ZONE,
    processed_at TIMESTAMP WITH TIME ZONE,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    PRIMARY KEY (event_id, subscription_id)
);
CREATE INDEX event_subscription_state_updated ON event_subscription_state (updated_at);

-- A webhook message delivered to a requires_ack subscription stays queued, due again after retry_delay: redelivered
-- then unless acknowledged meanwhile (the acknowledgement deletes it).
ALTER TABLE webhook_queue ADD COLUMN awaiting_ack BOOLEAN NOT NULL DEFAULT false;

-- Events of the window a replay left out because they were published with is_replayable: false.
ALTER TABLE replay_jobs ADD COLUMN events_skipped BIGINT NOT NULL DEFAULT 0;

-- requires_ack was stored and read nowhere until now, and V1 made it true by default: no subscriber could acknowledge
-- anything, so every existing subscription is one that does not acknowledge (else each of its events would be
-- redelivered max_retries times, then dead-lettered). A subscription opts in with requires_ack: true.
UPDATE event_subscriptions SET requires_ack = false;
ALTER TABLE event_subscriptions ALTER COLUMN requires_ack SET DEFAULT false;
