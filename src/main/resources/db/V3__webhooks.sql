-- Webhook signing secrets (Standard Webhooks "whsec_" keys). During a rotation the previous secret keeps signing
-- alongside the new one until previous_secret_expires_at.
ALTER TABLE event_subscriptions
    ADD COLUMN signing_secret TEXT,
    ADD COLUMN previous_signing_secret TEXT,
    ADD COLUMN previous_secret_expires_at TIMESTAMP WITH TIME ZONE;

-- Webhook deliveries waiting to be made: one row per (subscription, event), written by the delivery router before
-- it commits its Kafka offsets and deleted once delivered or dead-lettered. A process claims due rows with a lease,
-- so each is attempted by one process at a time; event_deliveries keeps every attempt.
CREATE TABLE webhook_queue (
    id BIGSERIAL PRIMARY KEY,
    subscription_id VARCHAR(100) NOT NULL,
    event_id VARCHAR(100) NOT NULL,
    topic VARCHAR(255) NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    lease_until TIMESTAMP WITH TIME ZONE,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_queue_due ON webhook_queue (next_attempt_at);
