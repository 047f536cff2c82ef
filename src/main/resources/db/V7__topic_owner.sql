-- Issue 15, finding 5: one tenant must not stall or crowd out the others.
-- The principal that created a topic through POST /topics, so topics and partitions can be capped per principal.
-- Topics created before this migration (or declared in configuration) have no owner and count against nobody.
ALTER TABLE topics ADD COLUMN owner_principal VARCHAR(100);
CREATE INDEX topics_owner_principal ON topics (owner_principal) WHERE owner_principal IS NOT NULL;

-- Why the mesh paused a subscription by itself (its kafka target refused the copies for good, or kept failing after
-- its retries); shown by GET /subscriptions/{id}, cleared when the status is next set through the API.
ALTER TABLE event_subscriptions ADD COLUMN paused_reason TEXT;
