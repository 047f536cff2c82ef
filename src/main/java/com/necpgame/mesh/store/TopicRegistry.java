package com.necpgame.mesh.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.HashMap;
import java.util.Map;

/** The {@code topics} table: what was said about a topic when it was created through the API. */
public final class TopicRegistry {

  private static final String COLUMNS = "name, description, partitions, replication_factor, retention_hours, status, "
      + "category, owner_service, created_at, updated_at, is_system_topic, requires_auth, enable_dlq";

  private final Pool pool;

  public TopicRegistry(Pool pool) {
    this.pool = pool;
  }

  /** Records a created topic; a row already there (an earlier attempt) is replaced by what Kafka now has. */
  public Future<JsonObject> record(JsonObject topic) {
    return pool.preparedQuery("INSERT INTO topics (name, description, partitions, replication_factor, retention_hours, "
        + "category, owner_service, is_system_topic, requires_auth, enable_dlq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
        + "$9, $10) ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description, partitions = "
        + "EXCLUDED.partitions, replication_factor = EXCLUDED.replication_factor, retention_hours = "
        + "EXCLUDED.retention_hours, category = EXCLUDED.category, owner_service = EXCLUDED.owner_service, "
        + "is_system_topic = EXCLUDED.is_system_topic, requires_auth = EXCLUDED.requires_auth, enable_dlq = "
        + "EXCLUDED.enable_dlq, status = 'active', updated_at = NOW() RETURNING " + COLUMNS)
        .execute(Tuple.from(new Object[] {topic.getString("name"), topic.getString("description"),
            topic.getInteger("partitions"), topic.getInteger("replication_factor"), topic.getInteger("retention_hours"),
            topic.getString("category"), topic.getString("owner_service"), topic.getBoolean("is_system_topic"),
            topic.getBoolean("requires_auth"), topic.getBoolean("enable_dlq")}))
        .map(rows -> toJson(rows.iterator().next()));
  }

  /** Every recorded topic by name. */
  public Future<Map<String, JsonObject>> all() {
    return pool.query("SELECT " + COLUMNS + " FROM topics").execute().map(rows -> {
      Map<String, JsonObject> out = new HashMap<>();
      rows.forEach(row -> out.put(row.getString("name"), toJson(row)));
      return out;
    });
  }

  private static JsonObject toJson(Row row) {
    return new JsonObject()
        .put("name", row.getString("name"))
        .put("description", row.getString("description"))
        .put("partitions", row.getInteger("partitions"))
        .put("replication_factor", row.getInteger("replication_factor"))
        .put("retention_hours", row.getInteger("retention_hours"))
        .put("status", row.getString("status"))
        .put("category", row.getString("category"))
        .put("owner_service", row.getString("owner_service"))
        .put("created_at", Rows.time(row.getOffsetDateTime("created_at")))
        .put("updated_at", Rows.time(row.getOffsetDateTime("updated_at")))
        .put("is_system_topic", row.getBoolean("is_system_topic"))
        .put("requires_auth", row.getBoolean("requires_auth"))
        .put("enable_dlq", row.getBoolean("enable_dlq"));
  }
}
