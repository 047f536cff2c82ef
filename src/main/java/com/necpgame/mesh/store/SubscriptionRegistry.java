package com.necpgame.mesh.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code event_subscriptions} table (the seed's columns plus the webhook signing secrets and the owning
 * principal). Rows go in and out as the API's JSON: {@code event_types} an array, {@code filter} an object and
 * {@code owner} the principal that created it (null for rows older than owners: admins only see those). Secrets are
 * never in {@link #toJson}.
 */
public final class SubscriptionRegistry {

  /** Duplicate subscription_id. */
  public static final class Exists extends RuntimeException {
    public Exists(String id) {
      super("subscription " + id + " already exists", null, false, false);
    }
  }

  /** A principal owns as many subscriptions as it may already: the cap and the count. */
  public static final class OverQuota extends RuntimeException {
    public OverQuota(String owner, int max) {
      super("principal " + owner + " owns " + max + " subscriptions, the most it may "
          + "(security.quotas.subscriptions_per_principal); delete one first", null, false, false);
    }
  }

  private static final String COLUMNS = "subscription_id, service_name, topic_pattern, event_types, endpoint, filter, "
      + "status, method, max_retries, retry_delay, rate_limit_per_min, enable_batching, requires_ack, created_at, "
      + "updated_at, last_active, signing_secret, previous_signing_secret, previous_secret_expires_at, owner_principal, "
      + "paused_reason";
  /** Fields a PATCH may change, by column. */
  private static final List<String> CHANGEABLE = List.of("topic_pattern", "event_types", "endpoint", "filter",
      "status", "max_retries", "retry_delay", "rate_limit_per_min", "enable_batching", "requires_ack");

  private final Pool pool;
  private final SecretBox secrets;

  /** Signing secrets are stored sealed by {@code secrets} and opened on the way out. */
  public SubscriptionRegistry(Pool pool, SecretBox secrets) {
    this.pool = pool;
    this.secrets = secrets;
  }

  /**
   * Inserts a checked subscription owned by {@code s.owner}; fails with {@link Exists} when its id is taken, with
   * {@link OverQuota} when its owner has {@code maxPerOwner} already (counted under a lock on the owner, so
   * concurrent creations cannot pass the cap together).
   */
  public Future<JsonObject> create(JsonObject s, String secret, int maxPerOwner) {
    String owner = s.getString("owner");
    return pool.withTransaction(conn -> conn.preparedQuery("SELECT pg_advisory_xact_lock(hashtext($1))")
        .execute(Tuple.of("event_subscriptions.owner:" + owner))
        .compose(locked -> conn.preparedQuery("SELECT count(*) FROM event_subscriptions WHERE owner_principal = $1")
            .execute(Tuple.of(owner)))
        .compose(count -> count.iterator().next().getLong(0) >= maxPerOwner
            ? Future.failedFuture(new OverQuota(owner, maxPerOwner))
            : conn.preparedQuery("INSERT INTO event_subscriptions (subscription_id, service_name, topic_pattern, "
                + "event_types, endpoint, filter, status, method, max_retries, retry_delay, rate_limit_per_min, "
                + "enable_batching, requires_ack, signing_secret, owner_principal) VALUES ($1, $2, $3, $4, $5, $6, $7, "
                + "$8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT (subscription_id) DO NOTHING RETURNING " + COLUMNS)
                .execute(Tuple.from(new Object[] {s.getString("subscription_id"), s.getString("service_name"),
                    s.getString("topic_pattern"), s.getJsonArray("event_types").encode(), s.getString("endpoint"),
                    s.getJsonObject("filter").encode(), s.getString("status"), s.getString("method"),
                    s.getInteger("max_retries"), s.getInteger("retry_delay"), s.getInteger("rate_limit_per_min"),
                    s.getBoolean("enable_batching"), s.getBoolean("requires_ack"),
                    secrets.seal(secret, s.getString("subscription_id")), owner})))
        .compose(rows -> rows.size() == 0 ? Future.failedFuture(new Exists(s.getString("subscription_id")))
            : Future.succeededFuture(toJson(rows.iterator().next()))));
  }

  /** The subscription with its secrets ({@code signing_secret}, ...), or null. */
  public Future<JsonObject> get(String id) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM event_subscriptions WHERE subscription_id = $1")
        .execute(Tuple.of(id)).map(rows -> rows.size() == 0 ? null : withSecrets(rows.iterator().next()));
  }

  /**
   * A page of subscriptions by id, of one owner (null: everyone's), optionally of one service and/or status, and the
   * total: {@code {total, items}}.
   */
  public Future<JsonObject> list(String owner, String service, String status, int limit, int offset) {
    String where = " WHERE ($1::text IS NULL OR service_name = $1) AND ($2::text IS NULL OR status = $2)"
        + " AND ($3::text IS NULL OR owner_principal = $3)";
    Tuple args = Tuple.of(service, status, owner);
    Future<RowSet<Row>> total = pool.preparedQuery("SELECT count(*) FROM event_subscriptions" + where).execute(args);
    Future<RowSet<Row>> page = pool.preparedQuery("SELECT " + COLUMNS + " FROM event_subscriptions" + where
        + " ORDER BY subscription_id LIMIT $4 OFFSET $5").execute(Tuple.of(service, status, owner, limit, offset));
    return Future.all(total, page).map(done -> {
      JsonArray items = new JsonArray();
      page.result().forEach(row -> items.add(toJson(row)));
      return new JsonObject().put("total", total.result().iterator().next().getLong(0)).put("items", items);
    });
  }

  /** The ids of the subscriptions {@code owner} owns. */
  public Future<java.util.Set<String>> idsOwnedBy(String owner) {
    return pool.preparedQuery("SELECT subscription_id FROM event_subscriptions WHERE owner_principal = $1")
        .execute(Tuple.of(owner)).map(rows -> {
          java.util.Set<String> ids = new java.util.HashSet<>();
          rows.forEach(row -> ids.add(row.getString(0)));
          return ids;
        });
  }

  /**
   * A mark that changes when a subscription is created, changed or deleted: their count and latest change. Cheap
   * (one row), so delivery can check it for every batch and read every subscription only when it moved.
   */
  public Future<String> changeMark() {
    return pool.query("SELECT count(*), max(updated_at) FROM event_subscriptions").execute()
        .map(rows -> {
          var row = rows.iterator().next();
          return row.getLong(0) + "/" + row.getValue(1);
        });
  }

  /** Every subscription with its secrets, for delivery. */
  public Future<List<JsonObject>> all() {
    return pool.query("SELECT " + COLUMNS + " FROM event_subscriptions").execute().map(rows -> {
      List<JsonObject> out = new ArrayList<>();
      rows.forEach(row -> out.add(withSecrets(row)));
      return out;
    });
  }

  /**
   * Changes the fields present in {@code changes} (checked, API names); with {@code newSecret} the current secret
   * becomes the previous one until {@code previousUntil}. The changed row, or null when there is none.
   */
  public Future<JsonObject> update(String id, JsonObject changes, String newSecret, OffsetDateTime previousUntil) {
    StringBuilder set = new StringBuilder("updated_at = NOW()");
    List<Object> args = new ArrayList<>();
    args.add(id);
    for (String column : CHANGEABLE) {
      if (changes.containsKey(column)) {
        Object value = changes.getValue(column);
        args.add(value instanceof JsonArray || value instanceof JsonObject ? value.toString() : value);
        set.append(", ").append(column).append(" = $").append(args.size());
      }
    }
    if (changes.containsKey("status")) {
      set.append(", paused_reason = NULL"); // a status set through the API replaces the mesh's own pause
    }
    if (newSecret != null) {
      args.add(secrets.seal(newSecret, id));
      set.append(", previous_signing_secret = signing_secret, signing_secret = $").append(args.size());
      args.add(previousUntil);
      set.append(", previous_secret_expires_at = $").append(args.size());
    }
    return pool.preparedQuery("UPDATE event_subscriptions SET " + set + " WHERE subscription_id = $1 RETURNING "
        + COLUMNS).execute(Tuple.from(args)).map(rows -> rows.size() == 0 ? null : toJson(rows.iterator().next()));
  }

  /**
   * Pauses an active subscription on the mesh's own account (its deliveries failed for good), saying why; false when
   * it was not active (already paused, or gone).
   */
  public Future<Boolean> pause(String id, String reason) {
    return pool.preparedQuery("UPDATE event_subscriptions SET status = 'paused', paused_reason = $2, updated_at = NOW() "
        + "WHERE subscription_id = $1 AND status = 'active'").execute(Tuple.of(id, reason))
        .map(rows -> rows.rowCount() > 0);
  }

  public Future<Boolean> delete(String id) {
    return pool.preparedQuery("DELETE FROM event_subscriptions WHERE subscription_id = $1").execute(Tuple.of(id))
        .map(rows -> rows.rowCount() > 0);
  }

  private JsonObject withSecrets(Row row) {
    String id = row.getString("subscription_id");
    return toJson(row).put("signing_secret", secrets.open(row.getString("signing_secret"), id))
        .put("previous_signing_secret", secrets.open(row.getString("previous_signing_secret"), id))
        .put("previous_secret_expires_at", Rows.time(row.getOffsetDateTime("previous_secret_expires_at")));
  }

  /** The API's view of a row: no secrets. */
  private static JsonObject toJson(Row row) {
    String types = row.getString("event_types");
    String filter = row.getString("filter");
    return new JsonObject()
        .put("subscription_id", row.getString("subscription_id"))
        .put("service_name", row.getString("service_name"))
        .put("topic_pattern", row.getString("topic_pattern"))
        .put("event_types", types == null ? new JsonArray() : new JsonArray(types))
        .put("filter", filter == null ? new JsonObject() : new JsonObject(filter))
        .put("method", row.getString("method"))
        .put("endpoint", row.getString("endpoint"))
        .put("status", row.getString("status"))
        .put("paused_reason", row.getString("paused_reason"))
        .put("max_retries", row.getInteger("max_retries"))
        .put("retry_delay", row.getInteger("retry_delay"))
        .put("rate_limit_per_min", row.getInteger("rate_limit_per_min"))
        .put("enable_batching", row.getBoolean("enable_batching"))
        .put("requires_ack", row.getBoolean("requires_ack"))
        .put("created_at", Rows.time(row.getOffsetDateTime("created_at")))
        .put("updated_at", Rows.time(row.getOffsetDateTime("updated_at")))
        .put("last_active", Rows.time(row.getOffsetDateTime("last_active")))
        .put("owner", row.getString("owner_principal"));
  }
}
