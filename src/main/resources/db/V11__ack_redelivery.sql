-- Issue 18: redelivery of unacknowledged events of requires_ack kafka and WebSocket subscriptions
-- (delivery/AckRedelivery). Their state rows say where the delivery read the event, so the sweeper reads that very
-- record from Kafka again (key, value and headers, as the first copy had them); webhook rows leave these null (their
-- redelivery works from webhook_queue).
ALTER TABLE event_subscription_state ADD COLUMN topic VARCHAR(255), ADD COLUMN kafka_partition INTEGER,
    ADD COLUMN kafka_offset BIGINT;
-- The rows the sweeper looks for: delivered, waiting for an acknowledgement, oldest first.
CREATE INDEX event_subscription_state_awaiting_ack ON event_subscription_state (updated_at)
    WHERE state = 'delivered' AND requires_ack AND method IN ('kafka', 'websocket');
