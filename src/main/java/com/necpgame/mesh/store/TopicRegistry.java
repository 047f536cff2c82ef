package com.necpgame.mesh.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.HashMap;
import java.util.Map;

/**
 * The {@code topics} table: what was said about a topic when it was created through the API, and by which principal
 * ({@code owner_principal}), so each principal's topics and partitions can be capped.
 */
public final class TopicRegistry {

  /** A principal already has as many topics or partitions as it may. */
  public static final class OverQuota extends RuntimeException {
    public OverQuota(String message) {
      super(message, null, false, false);
    }
  }

  /** What one principal may create: topics, and partitions in all (a topic's {@code .dlq} counts as many again). */
  public record Quota(int maxTopics, int maxPartitions) {}

  private static final String COLUMNS = "name, description, partitions, replication_factor, retention_hours, status, "
      + "category, owner_service, created_at, updated_at, is_system_topic, requires_auth, enable_dlq, owner_principal";

  private final Pool pool;

  public TopicRegistry(Pool pool) {
    this.pool = pool;
  }

  /**
   * Reserves a topic for {@code principal} before it is created in Kafka: a row with status {@code creating}, counted
   * at once, so concurrent requests of one principal cannot all pass the check (they take turns on a transaction lock
   * per principal). Fails with {@link OverQuota} when the principal's topics or partitions would exceed {@code quota}.
   * Succeeds with whether a row was reserved (false: the name is recorded already; Kafka says whether it exists).
   */
  public Future<Boolean> reserve(JsonObject topic, String principal, Quota quota) {
    int partitions = topic.getInteger("partitions") * (topic.getBoolean("enable_dlq") ? 2 : 1);
    return pool.withTransaction(conn -> conn.preparedQuery("SELECT pg_advisory_xact_lock(hashtext($1))")
        .execute(Tuple.of("topics/" + principal))
        .compose(locked -> conn.preparedQuery("SELECT count(*), COALESCE(SUM(partitions * CASE WHEN enable_dlq THEN 2 "
            + "ELSE 1 END), 0) FROM topics WHERE owner_principal = $1").execute(Tuple.of(principal)))
        .compose(rows -> {
          Row used = rows.iterator().next();
          long topics = used.getLong(0);
          long taken = used.getLong(1);
          if (topics + 1 > quota.maxTopics()) {
            return Future.failedFuture(new OverQuota("principal " + principal + " has " + topics + " topic(s), the "
                + "most it may create (topics.max_per_principal = " + quota.maxTopics() + ")"));
          }
          if (taken + partitions > quota.maxPartitions()) {
            return Future.failedFuture(new OverQuota("principal " + principal + " has " + taken + " partition(s); "
                + partitions + " more (the topic's and its .dlq's) would pass topics.max_partitions_per_principal = "
                + quota.maxPartitions()));
          }
          return conn.preparedQuery("INSERT INTO topics (name, partitions, enable_dlq, owner_principal, status) VALUES "
              + "($1, $2, $3, $4, 'creating') ON CONFLICT (name) DO NOTHING")
              .execute(Tuple.of(topic.getString("name"), topic.getInteger("partitions"), topic.getBoolean("enable_dlq"),
                  principal))
              .map(inserted -> inserted.rowCount() > 0);
        }));
  }

  /** Gives back a reservation whose topic was not created. */
  public Future<Void> release(String name) {
    return pool.preparedQuery("DELETE FROM topics WHERE name = $1 AND status = 'creating'").execute(Tuple.of(name))
        .mapEmpty();
  }

  /**
   * Records a created topic and the principal that created it; a row already there (a reservation, an earlier
   * attempt) is replaced by what Kafka now has.
   */
  public Future<JsonObject> record(JsonObject topic, String principal) {
    return pool.preparedQuery("INSERT INTO topics (name, description, partitions, replication_factor, retention_hours, "
        + "category, owner_service, is_system_topic, requires_auth, enable_dlq, owner_principal) VALUES ($1, $2, $3, "
        + "$4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description, "
        + "owner_principal = EXCLUDED.owner_principal, partitions = "
        + "EXCLUDED.partitions, replication_factor = EXCLUDED.replication_factor, retention_hours = "
        + "EXCLUDED.retention_hours, category = EXCLUDED.category, owner_service = EXCLUDED.owner_service, "
        + "is_system_topic = EXCLUDED.is_system_topic, requires_auth = EXCLUDED.requires_auth, enable_dlq = "
        + "EXCLUDED.enable_dlq, status = 'active', updated_at = NOW() RETURNING " + COLUMNS)
        .execute(Tuple.from(new Object[] {topic.getString("name"), topic.getString("description"),
            topic.getInteger("partitions"), topic.getInteger("replication_factor"), topic.getInteger("retention_hours"),
            topic.getString("category"), topic.getString("owner_service"), topic.getBoolean("is_system_topic"),
            topic.getBoolean("requires_auth"), topic.getBoolean("enable_dlq"), principal}))
        .map(rows -> Rows.json(rows.iterator().next()));
  }

  /** Every recorded topic by name. */
  public Future<Map<String, JsonObject>> all() {
    return pool.query("SELECT " + COLUMNS + " FROM topics").execute().map(rows -> {
      Map<String, JsonObject> out = new HashMap<>();
      rows.forEach(row -> out.put(row.getString("name"), Rows.json(row)));
      return out;
    });
  }
}
