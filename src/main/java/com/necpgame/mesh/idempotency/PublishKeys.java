package com.necpgame.mesh.idempotency;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The {@code publish_keys} table (V8): a key is claimed by inserting its row (the primary key makes one claim win
 * across every process), recorded as published with Kafka's acknowledgement (a request's keys are claimed, and
 * recorded, in one statement each, whatever their number), taken over by one process when abandoned
 * (compare-and-set on {@code attempt}), and deleted in bounded batches once expired.
 */
public final class PublishKeys {

  /** Claims many keys in one statement; rows come in array order (sorted: concurrent claims lock in one order). */
  private static final String CLAIM = "INSERT INTO publish_keys AS k (principal, idem_key, body_hash, event_id, topic, "
      + "state, created_at, claimed_at, expires_at) SELECT u.principal, u.idem_key, u.body_hash, u.event_id, u.topic, "
      + "'pending', now(), now(), now() + $6::bigint * interval '1 millisecond' "
      + "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) "
      + "AS u(principal, idem_key, body_hash, event_id, topic) "
      + "ON CONFLICT (principal, idem_key) DO UPDATE SET body_hash = EXCLUDED.body_hash, event_id = EXCLUDED.event_id, "
      + "topic = EXCLUDED.topic, state = 'pending', partition = NULL, \"offset\" = NULL, attempt = 1, "
      + "created_at = now(), claimed_at = now(), expires_at = EXCLUDED.expires_at WHERE k.expires_at <= now() "
      + "RETURNING k.principal, k.idem_key";
  private static final String COLUMNS = "event_id, body_hash, topic, state, partition, \"offset\", attempt, "
      + "(extract(epoch FROM created_at) * 1000)::bigint AS created_ms, "
      + "(extract(epoch FROM (now() - claimed_at)) * 1000)::bigint AS claim_age_ms";
  private static final String READ = "SELECT " + COLUMNS + " FROM publish_keys "
      + "WHERE principal = $1 AND idem_key = $2 AND expires_at > now()";
  private static final String TAKE_OVER = "UPDATE publish_keys SET attempt = attempt + 1, claimed_at = now(), "
      + "state = 'pending' WHERE principal = $1 AND idem_key = $2 AND attempt = $3 AND state <> 'published' "
      + "RETURNING " + COLUMNS;
  private static final String PUBLISHED = "UPDATE publish_keys k SET state = 'published', partition = u.partition, "
      + "\"offset\" = u.off FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::bigint[]) "
      + "AS u(principal, idem_key, event_id, partition, off) "
      + "WHERE k.principal = u.principal AND k.idem_key = u.idem_key AND k.event_id = u.event_id";
  private static final String UNKNOWN = "UPDATE publish_keys SET state = 'unknown' "
      + "WHERE principal = $1 AND idem_key = $2 AND event_id = $3 AND state = 'pending'";
  private static final String EXPIRE = "DELETE FROM publish_keys WHERE ctid IN (SELECT ctid FROM publish_keys "
      + "WHERE expires_at <= now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)";

  private final Pool pool;

  public PublishKeys(Pool pool) {
    this.pool = pool;
  }

  /** A key to claim for a new event {@code eventId} of {@code topic}. */
  public record Claim(PublishKey key, String eventId, String topic) {}

  /** Kafka's acknowledgement of the event {@code eventId} a key stands for. */
  public record Acknowledged(PublishKey key, String eventId, int partition, long offset) {}

  /**
   * Claims every key of {@code claims} in one statement, each remembered for {@code windowMs}: per claim, in order,
   * true when this call claimed it (no live row held it), false when a live row holds it (read it with {@link #read}),
   * as does a key given again later in {@code claims} (its first occurrence claims it).
   */
  public Future<List<Boolean>> claim(List<Claim> claims, long windowMs) {
    Map<String, Claim> distinct = new TreeMap<>();
    claims.forEach(c -> distinct.putIfAbsent(id(c.key().principal(), c.key().key()), c));
    List<Claim> sorted = List.copyOf(distinct.values());
    Tuple arrays = Tuple.of(strings(sorted, c -> c.key().principal()), strings(sorted, c -> c.key().key()),
        strings(sorted, c -> c.key().bodyHash()), strings(sorted, Claim::eventId), strings(sorted, Claim::topic),
        windowMs);
    return pool.preparedQuery(CLAIM).execute(arrays).map(rows -> {
      Set<String> won = new HashSet<>();
      rows.forEach(r -> won.add(id(r.getString("principal"), r.getString("idem_key"))));
      List<Boolean> claimed = new ArrayList<>(claims.size());
      claims.forEach(c -> claimed.add(won.remove(id(c.key().principal(), c.key().key()))));
      return claimed;
    });
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

  /** Records Kafka's acknowledgements of the keys' events, in one statement. */
  public Future<Void> published(List<Acknowledged> acks) {
    List<Acknowledged> sorted = acks.stream()
        .sorted(Comparator.comparing((Acknowledged a) -> id(a.key().principal(), a.key().key()))).toList();
    return pool.preparedQuery(PUBLISHED).execute(Tuple.of(strings(sorted, a -> a.key().principal()),
        strings(sorted, a -> a.key().key()), strings(sorted, Acknowledged::eventId),
        sorted.stream().map(Acknowledged::partition).toArray(Integer[]::new),
        sorted.stream().map(Acknowledged::offset).toArray(Long[]::new))).mapEmpty();
  }

  /** Records that the send of the key's event failed: it may or may not be in Kafka. */
  public Future<Void> unknown(PublishKey key, String eventId) {
    return pool.preparedQuery(UNKNOWN).execute(Tuple.of(key.principal(), key.key(), eventId)).mapEmpty();
  }

  /** Deletes at most {@code limit} expired keys (rows another process is deleting are skipped): how many. */
  public Future<Integer> expire(int limit) {
    return pool.preparedQuery(EXPIRE).execute(Tuple.of(limit)).map(RowSet::rowCount);
  }

  private static <T> String[] strings(List<T> items, Function<T, String> field) {
    return items.stream().map(field).toArray(String[]::new);
  }

  /** A key's identity across principals (no PostgreSQL text holds a NUL). */
  private static String id(String principal, String key) {
    return principal + '\0' + key;
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
