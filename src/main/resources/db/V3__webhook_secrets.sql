-- Webhook signing secrets (Standard Webhooks "whsec_" keys). During a rotation the previous secret keeps signing
-- alongside the new one until previous_secret_expires_at.
ALTER TABLE event_subscriptions
    ADD COLUMN signing_secret TEXT,
    ADD COLUMN previous_signing_secret TEXT,
    ADD COLUMN previous_secret_expires_at TIMESTAMP WITH TIME ZONE;
