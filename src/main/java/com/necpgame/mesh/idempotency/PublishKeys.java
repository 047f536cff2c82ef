package com.necpgame.mesh.idempotency;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

/**
 * The {@code publish_keys} table (V8): a key is claimed by inserting its row (the primary key makes one claim win
 * across every process), recorded as published with Kafka's acknowledgement, taken over by one process when abandoned
 * (compare-and-set on {@code attempt}), and deleted in bounded batches once expired.
 */
public final class PublishKeys {

  private static final String CLAIM = "INSERT INTO publish_keys AS k (principal, idem_key, body_hash, event_id, topic, "
      + "state, created_at, claimed_at, expires_at) VALUES ($1, $2, $3, $4, $5, 'pending', now(), now(), "
      + "now() + $6::bigint * interval '1 millisecond') "
      + "ON CONFLICT (principal, idem_key) DO UPDATE SET body_hash = EXCLUDED.body_hash, event_id = EXCLUDED.event_id, "
      + "topic = EXCLUDED.topic, state = 'pending', partition = NULL, \"offset\" = NULL, attempt = 1, "
      + "created_at = now(), claimed_at = now(), expires_at = EXCLUDED.expires_at WHERE k.expires_at <= now() "
      + "RETURNING event_id";
  private static final String COLUMNS = "event_id, body_hash, topic, state, partition, \"offset\", attempt, "
      + "(extract(epoch FROM created_at) * 1000)::bigint AS created_ms, "
      + "(extract(epoch FROM (now() - claimed_at)) * 1000)::bigint AS claim_age_ms";
  private static final String READ = "SELECT " + COLUMNS + " FROM publish_keys "
      + "WHERE principal = $1 AND idem_key = $2 AND expires_at > now()";
  private static final String TAKE_OVER = "UPDATE publish_keys SET attempt = attempt + 1, claimed_at = now(), "
      + "state = 'pending' WHERE principal = $1 AND idem_key = $2 AND attempt = $3 AND state <> 'published' "
      + "RETURNING " + COLUMNS;
  private static final String PUBLISHED = "UPDATE publish_keys SET state = 'published', partition = $4, "
      + "\"offset\" = $5 WHERE principal = $1 AND idem_key = $2 AND event_id = $3";
  private static final String UNKNOWN = "UPDATE publish_keys SET state = 'unknown' "
      + "WHERE principal = $1 AND idem_key = $2 AND event_id = $3 AND state = 'pending'";
  private static final String EXPIRE = "DELETE FROM publish_keys WHERE ctid IN (SELECT ctid FROM publish_keys "
      + "WHERE expires_at <= now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)";

  private final Pool pool;

  public PublishKeys(Pool pool) {
    this.pool = pool;
  }

  /**
   * Claims {@code key} for a new event {@code eventId} of {@code topic}, remembered for {@code windowMs}: true when this
   * call claimed it (no live row held it), false when a live row holds it (read it with {@link #read}).
   */
  public Future<Boolean> claim(PublishKey key, String eventId, String topic, long windowMs) {
    return pool.preparedQuery(CLAIM).execute(Tuple.of(key.principal(), key.key(), key.bodyHash(), eventId, topic,
        windowMs)).map(rows -> rows.size() > 0);
  }

  /** The live row of {@code key}, or null (none, or expired). */
  public Future<KeyRow> read(PublishKey key) {
    return pool.preparedQuery(READ).execute(Tuple.of(key.principal(), key.key())).map(PublishKeys::first);
  }

  /**
   * Takes over the claim {@code seen} (read before) for this process: the row as it is now, or null when another
   * process took it over first or it was published meanwhile.
   */
  public Future<KeyRow> takeOver(PublishKey key, KeyRow seen) {
    return pool.preparedQuery(TAKE_OVER).execute(Tuple.of(key.principal(), key.key(), seen.attempt()))
        .map(PublishKeys::first);
  }

  /** Records Kafka's acknowledgement of the key's event. */
  public Future<Void> published(PublishKey key, String eventId, int partition, long offset) {
    return pool.preparedQuery(PUBLISHED).execute(Tuple.of(key.principal(), key.key(), eventId, partition, offset))
        .mapEmpty();
  }

  /** Records that the send of the key's event failed: it may or may not be in Kafka. */
  public Future<Void> unknown(PublishKey key, String eventId) {
    return pool.preparedQuery(UNKNOWN).execute(Tuple.of(key.principal(), key.key(), eventId)).mapEmpty();
  }

  /** Deletes at most {@code limit} expired keys (rows another process is deleting are skipped): how many. */
  public Future<Integer> expire(int limit) {
    return pool.preparedQuery(EXPIRE).execute(Tuple.of(limit)).map(RowSet::rowCount);
  }

  private static KeyRow first(RowSet<Row> rows) {
    if (rows.size() == 0) {
      return null;
    }
    Row r = rows.iterator().next();
    return new KeyRow(r.getString("event_id"), r.getString("body_hash"), r.getString("topic"),
        KeyRow.State.of(r.getString("state")), r.getInteger("partition"), r.getLong("offset"), r.getInteger("attempt"),
        r.getLong("created_ms"), r.getLong("claim_age_ms"));
  }
}
