-- Who owns a subscription or a replay job: the principal that created it (issue 15). Only that principal and admins
-- (security.principals.<name>.admin, or anonymous on a laptop without principals.anonymous) see or change it; to
-- anyone else it does not exist. Rows created before owners were recorded keep NULL: no principal owns them, so
-- admins alone see them (an admin may delete and recreate them under the right principal).
-- replay_jobs.owner already names the process running a job (its lease), hence owner_principal.
ALTER TABLE event_subscriptions ADD COLUMN owner_principal VARCHAR(100);
CREATE INDEX event_subscriptions_owner ON event_subscriptions (owner_principal);
ALTER TABLE replay_jobs ADD COLUMN owner_principal VARCHAR(100);
