package com.necpgame.mesh.bench;

import com.necpgame.mesh.envelope.EventIds;
import com.necpgame.mesh.store.Database;
import com.necpgame.mesh.store.EventRow;
import com.necpgame.mesh.store.EventStore;
import com.necpgame.mesh.store.Migrations;
import com.necpgame.mesh.testsupport.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Event store insert rate (issue 18): {@link EventStore#record}, the store writer's batch path (one multi-row INSERT
 * of a poll's records), into the day-partitioned {@code events} of V10 against the single table of V1, in the same run
 * against the same PostgreSQL, alternating rounds. The single table gets the partitioned one's unique key {@code
 * (event_id, timestamp)} in place of {@code UNIQUE (event_id)}, so both run the very same statement and what differs is
 * the partitioning. Rows are ~300-byte envelopes timestamped now (today's partition), batches of 500 (the default
 * {@code kafka.consumer.max_poll_records}), one batch at a time as the writer does. Run: {@code mvn -q test-compile
 * exec:exec -Dexec.args="-cp %classpath com.necpgame.mesh.bench.StoreInsertBenchmark 200000 3"} (events per round,
 * rounds; the database is {@code MESH_TEST_DATABASE_URL} or the embedded PostgreSQL, as in the tests). A warm-up of
 * up to 20,000 events into each precedes the measured rounds.
 */
public final class StoreInsertBenchmark {

  private static final int BATCH = 500;

  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    Vertx vertx = Vertx.vertx();
    try {
      Pool partitioned = Database.pool(vertx, TestDatabase.freshDatabase(), 4);
      await(Migrations.run(partitioned));
      Pool single = Database.pool(vertx, TestDatabase.freshDatabase(), 4);
      String v1;
      try (InputStream in = Migrations.class.getClassLoader().getResourceAsStream("db/V1__event_store.sql")) {
        v1 = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      await(single.query(v1).execute());
      await(single.query("ALTER TABLE events DROP CONSTRAINT events_event_id_key; "
          + "CREATE UNIQUE INDEX events_event_id_key ON events (event_id, timestamp)").execute());
      int warmUp = Math.min(events, 20_000); // JIT and both connection pools warm before the measured rounds
      insert(new EventStore(single), warmUp);
      insert(new EventStore(partitioned), warmUp);
      System.out.printf("events per round %,d, batches of %d (after %,d each to warm up)%n", events, BATCH, warmUp);
      System.out.println("| round | single table (events/s) | partitioned (events/s) | ratio |");
      System.out.println("|---|---|---|---|");
      double sumSingle = 0;
      double sumPartitioned = 0;
      for (int round = 1; round <= rounds; round++) {
        double s = insert(new EventStore(single), events);
        double p = insert(new EventStore(partitioned), events);
        sumSingle += s;
        sumPartitioned += p;
        System.out.printf("| %d | %,.0f | %,.0f | %.2f |%n", round, s, p, p / s);
      }
      System.out.printf("| mean | %,.0f | %,.0f | %.2f |%n", sumSingle / rounds, sumPartitioned / rounds,
          sumPartitioned / sumSingle);
    } finally {
      await(vertx.close());
    }
  }

  /** Events per second storing {@code events} rows in batches, one batch at a time. */
  private static double insert(EventStore store, int events) throws Exception {
    long started = System.nanoTime();
    int stored = 0;
    for (int done = 0; done < events; done += BATCH) {
      List<EventRow> batch = new ArrayList<>(BATCH);
      for (int i = 0; i < BATCH && done + i < events; i++) {
        batch.add(row(done + i));
      }
      stored += await(store.record(batch));
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    if (stored != events) {
      throw new IllegalStateException("stored " + stored + " of " + events);
    }
    return events / seconds;
  }

  private static EventRow row(int n) {
    String id = EventIds.newId().toString();
    OffsetDateTime now = Instant.now().atOffset(ZoneOffset.UTC);
    String payload = new JsonObject().put("event_id", id).put("event_type", "game.kill").put("timestamp", now.toString())
        .put("version", "1.0.0").put("source", "bench-server-01").put("player_id", "player-" + (n % 5000))
        .put("data", new JsonObject().put("n", n).put("weapon", "mantis-blades"))
        .put("metadata", new JsonObject().put("priority", "normal").put("ttl", "7d").put("retry_count", 0)).encode();
    return new EventRow(id, "game.kill", "game.combat.events", "bench-server-01", payload, n % 24, n, "normal", now);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
  }
}
