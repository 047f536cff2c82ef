package com.necpgame.mesh.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.testsupport.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MigrationsIT {

  private Vertx vertx;
  private PgConnectOptions database;
  private Pool pool;

  @BeforeEach
  void fresh() {
    vertx = Vertx.vertx();
    database = TestDatabase.freshDatabase();
    pool = Database.pool(vertx, database, 4);
  }

  @AfterEach
  void close() throws Exception {
    await(vertx.close());
  }

  @Test
  void createsTheSeedTablesWithTheirColumnsAndIsIdempotent() throws Exception {
    assertEquals(List.of("V1__event_store.sql"), await(Migrations.run(pool)));
    assertEquals(columns("events"), Set.of("id", "event_id", "event_type", "topic", "source", "payload", "partition",
        "offset", "status", "retry_count", "priority", "timestamp", "created_at", "processed_at", "is_replayable",
        "is_encrypted"));
    assertEquals(columns("topics"), Set.of("id", "name", "description", "schema", "partitions", "replication_factor",
        "retention_hours", "status", "category", "owner_service", "created_at", "updated_at", "is_system_topic",
        "requires_auth", "enable_dlq"));
    assertEquals(columns("event_subscriptions"), Set.of("id", "subscription_id", "service_name", "topic_pattern",
        "event_types", "endpoint", "filter", "status", "method", "auth_token", "max_retries", "retry_delay",
        "rate_limit_per_min", "is_active", "enable_batching", "requires_ack", "created_at", "updated_at", "last_active"));
    assertEquals(columns("event_deliveries"), Set.of("id", "event_id", "subscription_id", "attempt_number", "status",
        "method", "response", "error_message", "status_code", "duration_ms", "delivered_at", "next_retry_at",
        "is_last_attempt"));

    assertEquals(List.of(), await(Migrations.run(pool)), "a second run applies nothing");
    assertEquals(1L, count("SELECT count(*) FROM schema_migrations"));
  }

  @Test
  void concurrentStartsApplyEachMigrationOnce() throws Exception {
    Pool other = Database.pool(Vertx.vertx(), new PgConnectOptions(database), 4); // as another process would
    List<Future<List<String>>> runs = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      runs.add(Migrations.run(i % 2 == 0 ? pool : other));
    }
    await(Future.all(runs));
    assertEquals(1, runs.stream().mapToInt(r -> r.result().size()).sum(), "exactly one run applied V1");
    assertEquals(1L, count("SELECT count(*) FROM schema_migrations"));
  }

  @Test
  void aChangedAppliedMigrationStopsStartUpNamingTheFile() throws Exception {
    await(Migrations.run(pool));
    await(pool.query("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1").execute());
    ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> await(Migrations.run(pool)));
    assertTrue(e.getCause().getMessage().contains("migration V1__event_store.sql was changed after it was applied"),
        e.getCause().getMessage());
  }

  private Set<String> columns(String table) throws Exception {
    Set<String> names = new java.util.HashSet<>();
    for (Row row : await(pool.preparedQuery("SELECT column_name FROM information_schema.columns WHERE table_name = $1")
        .execute(io.vertx.sqlclient.Tuple.of(table)))) {
      names.add(row.getString(0));
    }
    return names;
  }

  private long count(String sql) throws Exception {
    return await(pool.query(sql).execute()).iterator().next().getLong(0);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
