package com.necpgame.mesh.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.testsupport.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Migrations against a real PostgreSQL, each test on a database of its own. */
@ExtendWith(VertxExtension.class)
class MigrationsIT {

  private static final List<String> ALL = List.of("V1__event_store.sql", "V2__replay_jobs.sql", "V3__webhooks.sql",
      "V4__webhook_messages.sql", "V5__owners.sql", "V7__topic_owner.sql", "V8__publish_keys.sql",
      "V9__event_status.sql", "V10__partition_by_time.sql", "V11__ack_redelivery.sql");

  /** What migrations after V1 add to the seed's schema. */
  private static final Map<String, Set<String>> ADDED_COLUMNS = Map.of(
      "replay_jobs", Set.of("replay_id", "state", "topic", "start_time", "end_time", "filter", "target", "starts",
          "bounds", "positions", "events_scanned", "events_matched", "events_delivered", "errors", "owner",
          "lease_until", "created_at", "updated_at", "owner_principal", "events_skipped"),
      "event_subscriptions", Set.of("signing_secret", "previous_signing_secret", "previous_secret_expires_at",
          "owner_principal", "paused_reason"),
      "topics", Set.of("owner_principal"),
      "webhook_queue", Set.of("id", "subscription_id", "event_id", "topic", "payload", "attempts", "next_attempt_at",
          "lease_until", "created_at", "event_ids", "awaiting_ack"),
      "event_deliveries", Set.of("event_ids"),
      "event_subscription_state", Set.of("event_id", "subscription_id", "method", "state", "attempts", "last_error",
          "requires_ack", "delivered_at", "processed_at", "updated_at", "topic", "kafka_partition", "kafka_offset"),
      "webhook_routed", Set.of("subscription_id", "topic", "partition", "next_offset"),
      "publish_keys", Set.of("principal", "idem_key", "body_hash", "event_id", "topic", "state", "partition", "offset",
          "attempt", "created_at", "claimed_at", "expires_at"));
  /** The seed's columns (event-bus-service.md, "Database Schema"), with the types of the telling ones. */
  private static final Map<String, Set<String>> SEED_COLUMNS = Map.of(
      "events", Set.of("id", "event_id", "event_type", "topic", "source", "payload", "partition", "offset", "status",
          "retry_count", "priority", "timestamp", "created_at", "processed_at", "is_replayable", "is_encrypted"),
      "topics", Set.of("id", "name", "description", "schema", "partitions", "replication_factor", "retention_hours",
          "status", "category", "owner_service", "created_at", "updated_at", "is_system_topic", "requires_auth",
          "enable_dlq"),
      "event_subscriptions", Set.of("id", "subscription_id", "service_name", "topic_pattern", "event_types",
          "endpoint", "filter", "status", "method", "auth_token", "max_retries", "retry_delay", "rate_limit_per_min",
          "is_active", "enable_batching", "requires_ack", "created_at", "updated_at", "last_active"),
      "event_deliveries", Set.of("id", "event_id", "subscription_id", "attempt_number", "status", "method", "response",
          "error_message", "status_code", "duration_ms", "delivered_at", "next_retry_at", "is_last_attempt"));
  private static final Map<String, String> SEED_TYPES = Map.of(
      "events.id", "uuid",
      "events.offset", "bigint",
      "events.timestamp", "timestamp with time zone",
      "events.is_replayable", "boolean",
      "topics.partitions", "integer",
      "event_subscriptions.endpoint", "character varying",
      "event_deliveries.duration_ms", "double precision");

  @TempDir
  Path dir;

  private PgConnectOptions database;
  private Pool pool;

  @BeforeEach
  void freshDatabase(Vertx vertx) {
    database = TestDatabase.freshDatabase();
    pool = Database.pool(vertx, database, 4);
  }

  @Test
  void createsTheSeedTablesOnAnEmptyDatabase(VertxTestContext test) {
    Migrations.run(pool)
        .map(verify(applied -> assertEquals(ALL, applied)))
        .compose(v -> pool.query("SELECT table_name, column_name, data_type FROM information_schema.columns "
            + "WHERE table_schema = 'public' AND table_name <> 'schema_migrations' AND table_name NOT IN "
            + "(SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid)").execute())
        .map(verify(rows -> {
          Map<String, Set<String>> columns = new TreeMap<>();
          Map<String, String> types = new TreeMap<>();
          for (Row row : rows) {
            columns.computeIfAbsent(row.getString(0), t -> new TreeSet<>()).add(row.getString(1));
            types.put(row.getString(0) + "." + row.getString(1), row.getString(2));
          }
          Map<String, Set<String>> expected = new TreeMap<>();
          SEED_COLUMNS.forEach((table, cols) -> expected.put(table, new TreeSet<>(cols)));
          ADDED_COLUMNS.forEach((table, cols) -> expected.computeIfAbsent(table, t -> new TreeSet<>()).addAll(cols));
          assertEquals(expected, columns, "the seed's columns and the ones later migrations add, nothing else");
          SEED_TYPES.forEach((column, type) -> assertEquals(type, types.get(column), column));
        }))
        .compose(v -> pool.query("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'").execute())
        .map(verify(rows -> {
          Set<String> indexes = new TreeSet<>();
          rows.forEach(row -> indexes.add(row.getString(0)));
          assertTrue(indexes.containsAll(Set.of("events_topic_offset", "events_type_time", "events_status",
              "event_deliveries_subscription_status", "event_deliveries_event")), indexes.toString());
        }))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void aSecondRunAppliesNothing(VertxTestContext test) {
    Migrations.run(pool)
        .compose(first -> Migrations.run(pool))
        .map(verify(second -> assertEquals(List.of(), second)))
        .compose(v -> pool.query("SELECT version, name FROM schema_migrations ORDER BY version").execute())
        .map(verify(rows -> {
          List<String> names = new java.util.ArrayList<>();
          rows.forEach(r -> names.add(r.getString("name")));
          assertEquals(ALL, names);
        }))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void concurrentStartsApplyEachMigrationOnce(Vertx vertx, VertxTestContext test) {
    Pool other = Database.pool(vertx, database, 4); // its own sessions, as another process would have
    List<Future<List<String>>> runs = List.of(Migrations.run(pool), Migrations.run(other), Migrations.run(pool),
        Migrations.run(other));
    Future.all(runs)
        .map(verify(v -> assertEquals(ALL, runs.stream().flatMap(r -> r.result().stream()).toList(),
            "each applied exactly once")))
        .compose(v -> pool.query("SELECT count(*) FROM schema_migrations").execute())
        .map(verify(rows -> assertEquals((long) ALL.size(), rows.iterator().next().getLong(0))))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void anAppliedMigrationChangedSinceStopsStartUpNamingTheFile(VertxTestContext test) {
    Migrations.run(pool)
        .compose(v -> pool.query("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1").execute())
        .compose(v -> Migrations.run(pool))
        .onComplete(test.failing(e -> test.verify(() -> {
          assertTrue(e.getMessage().contains("migration db/V1__event_store.sql was changed after it was applied"),
              e.getMessage());
          test.completeNow();
        })));
  }

  @Test
  void appliesNewMigrationsOnTopAndRollsBackOneThatFails(VertxTestContext test) throws IOException {
    ClassLoader v1 = migrations("V1__base.sql", "CREATE TABLE base (id INT PRIMARY KEY);");
    ClassLoader v3 = migrations("V1__base.sql", "CREATE TABLE base (id INT PRIMARY KEY);",
        "V2__more.sql", "ALTER TABLE base ADD COLUMN name TEXT; INSERT INTO base VALUES (1, 'one');",
        "V3__broken.sql", "CREATE TABLE half_done (id INT); INSERT INTO no_such_table VALUES (1);");
    Migrations.run(pool, v1)
        .map(verify(applied -> assertEquals(List.of("V1__base.sql"), applied)))
        .compose(v -> Migrations.run(pool, v3))
        .<Void>transform(ar -> {
          assertTrue(ar.failed(), "V3 fails");
          assertTrue(ar.cause().getMessage().startsWith("migration db/V3__broken.sql failed: "),
              ar.cause().getMessage());
          return Future.succeededFuture();
        })
        .compose(v -> pool.query("SELECT (SELECT array_agg(version ORDER BY version) FROM schema_migrations), "
            + "to_regclass('half_done') IS NULL, (SELECT name FROM base WHERE id = 1)").execute())
        .map(verify(rows -> {
          Row row = rows.iterator().next();
          assertEquals(List.of(1, 2), List.of(row.getArrayOfIntegers(0)), "V2 kept, V3 not recorded");
          assertTrue(row.getBoolean(1), "V3's table was rolled back");
          assertEquals("one", row.getString(2));
        }))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void refusesAMigrationOlderThanOneAlreadyApplied(VertxTestContext test) throws IOException {
    ClassLoader applied = migrations("V1__a.sql", "CREATE TABLE a (id INT);", "V3__c.sql", "CREATE TABLE c (id INT);");
    ClassLoader merged = migrations("V1__a.sql", "CREATE TABLE a (id INT);", "V2__b.sql", "CREATE TABLE b (id INT);",
        "V3__c.sql", "CREATE TABLE c (id INT);");
    Migrations.run(pool, applied)
        .compose(v -> Migrations.run(pool, merged))
        .onComplete(test.failing(e -> test.verify(() -> {
          assertTrue(e.getMessage().contains("migration db/V2__b.sql is older than version 3, already applied"),
              e.getMessage());
          test.completeNow();
        })));
  }

  /**
   * Issue 18: subscriptions stored before acknowledgements existed had requires_ack true (V1's default) though none
   * could acknowledge; V9 makes them (and the column's default) false, so none is redelivered for want of an ack.
   */
  @Test
  void v9TurnsRequiresAckOffForSubscriptionsStoredBeforeAcknowledgementsExisted(VertxTestContext test)
      throws IOException {
    List<String> before = ALL.subList(0, ALL.indexOf("V9__event_status.sql"));
    String[] files = new String[before.size() * 2];
    for (int i = 0; i < before.size(); i++) {
      files[2 * i] = before.get(i);
      try (var in = MigrationsIT.class.getClassLoader().getResourceAsStream("db/" + before.get(i))) {
        files[2 * i + 1] = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      }
    }
    Migrations.run(pool, migrations(files))
        .compose(v -> pool.query("INSERT INTO event_subscriptions (subscription_id, service_name) VALUES ('old', 's')")
            .execute())
        .compose(v -> Migrations.run(pool))
        .map(verify(applied -> assertEquals(ALL.subList(before.size(), ALL.size()), applied)))
        .compose(v -> pool.query("INSERT INTO event_subscriptions (subscription_id, service_name) VALUES ('new', 's')")
            .execute())
        .compose(v -> pool.query("SELECT subscription_id, requires_ack FROM event_subscriptions ORDER BY 1").execute())
        .map(verify(rows -> {
          Map<String, Boolean> acks = new TreeMap<>();
          rows.forEach(r -> acks.put(r.getString(0), r.getBoolean(1)));
          assertEquals(Map.of("new", false, "old", false), acks);
        }))
        .onComplete(test.succeedingThenComplete());
  }

  @Test
  void partitioningByTimeCarriesTheExistingRowsAndKeepsEventIdsOnce(VertxTestContext test) throws IOException {
    List<String> before = ALL.subList(0, ALL.indexOf("V10__partition_by_time.sql"));
    String[] files = new String[before.size() * 2];
    for (int i = 0; i < before.size(); i++) {
      files[2 * i] = before.get(i);
      try (var in = Migrations.class.getClassLoader().getResourceAsStream("db/" + before.get(i))) {
        files[2 * i + 1] = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      }
    }
    String insert = "INSERT INTO events (event_id, event_type, topic, source, payload, partition, \"offset\", status, "
        + "timestamp) VALUES ('kept-1', 'game.t', 't', 's', '{}', 0, 1, 'published', NOW() - interval '2 days'), "
        + "('kept-2', 'game.t', 't', 's', '{}', 0, 2, 'published', NOW()), "
        + "('ancient', 'game.t', 't', 's', '{}', 0, 3, 'published', NOW() - interval '400 days'); "
        + "INSERT INTO event_deliveries (event_id, subscription_id, attempt_number, status, method, delivered_at) "
        + "VALUES ('kept-1', 'sub', 1, 'delivered', 'webhook', NOW() - interval '2 days')";
    Migrations.run(pool, migrations(files))
        .compose(v -> pool.query(insert).execute())
        .compose(v -> Migrations.run(pool))
        .map(verify(applied -> assertEquals(List.of("V10__partition_by_time.sql", "V11__ack_redelivery.sql"), applied)))
        .compose(v -> pool.query("SELECT event_id, tableoid::regclass::text FROM events ORDER BY event_id").execute())
        .map(verify(rows -> {
          Map<String, String> where = new TreeMap<>();
          rows.forEach(r -> where.put(r.getString(0), r.getString(1)));
          assertEquals(Set.of("ancient", "kept-1", "kept-2"), where.keySet(), "every row carried over");
          assertTrue(where.get("kept-1").startsWith("events_p"), where.toString());
          assertEquals("events_default", where.get("ancient"), "older than the days created: the default partition");
        }))
        .compose(v -> pool.query("SELECT count(*) FROM event_deliveries").execute())
        .map(verify(rows -> assertEquals(1L, rows.iterator().next().getLong(0))))
        .compose(v -> pool.query("INSERT INTO events (event_id, event_type, topic, source, timestamp) SELECT event_id, "
            + "event_type, topic, source, timestamp FROM events WHERE event_id = 'kept-1' "
            + "ON CONFLICT (event_id, timestamp) DO NOTHING").execute())
        .map(verify(rows -> assertEquals(0, rows.rowCount(), "the unique key holds on the partitioned table")))
        .onComplete(test.succeedingThenComplete());
  }

  /** Class loader seeing a {@code db/} folder with these (file, sql) pairs, listed in this order. */
  private ClassLoader migrations(String... fileAndSql) throws IOException {
    Path root = Files.createTempDirectory(dir, "cp");
    Path db = Files.createDirectories(root.resolve("db"));
    StringBuilder index = new StringBuilder();
    for (int i = 0; i < fileAndSql.length; i += 2) {
      Files.writeString(db.resolve(fileAndSql[i]), fileAndSql[i + 1]);
      index.append(fileAndSql[i]).append('\n');
    }
    Files.writeString(db.resolve("migrations.txt"), index);
    return new URLClassLoader(new URL[] {root.toUri().toURL()}, null);
  }

  /** A step of a future chain that runs assertions on the value; a failed assertion fails the chain. */
  private static <T> Function<T, Void> verify(Consumer<T> assertions) {
    return value -> {
      assertions.accept(value);
      return null;
    };
  }
}
