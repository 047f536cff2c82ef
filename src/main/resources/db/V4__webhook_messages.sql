-- A webhook_queue row is one message: a single event (event_ids NULL; event_id is the event's id), or, for a batching
-- subscription, up to delivery.webhook.batch events of one topic partition (event_ids lists them in order, event_id
-- is the message id and payload their JSON array). Attempts of a message are one event_deliveries row each, listing
-- its events in event_ids the same way.
ALTER TABLE webhook_queue ADD COLUMN event_ids VARCHAR(100)[];
ALTER TABLE event_deliveries ADD COLUMN event_ids VARCHAR(100)[];

-- How far the delivery router has queued each webhook subscription's events of each topic partition: the offset of
-- the next one to queue. Written in the transaction that queues them, so events a rebalance hands to another
-- process before their offsets were committed are not queued twice, whatever messages they were grouped in.
CREATE TABLE webhook_routed (
    subscription_id VARCHAR(100) NOT NULL,
    topic VARCHAR(255) NOT NULL,
    partition INTEGER NOT NULL,
    next_offset BIGINT NOT NULL,
    PRIMARY KEY (subscription_id, topic, partition)
);
