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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Event store insert rate (issue 18): {@link EventStore#record}, the store writer's batch path (one multi-row INSERT
 * of a poll's records), into the day-partitioned {@code events} of V10 against the single table of V1, in the same run
 * against the same PostgreSQL, each mode into a database of its own (so each table holds as many rows). The single
 * table gets the partitioned one's unique key {@code (event_id, timestamp)} in place of {@code UNIQUE (event_id)}, so
 * both run the very same statement and what differs is the partitioning (and the primary key {@code (id, timestamp)}
 * that partitioning forces on the partitioned table). Rows are ~300-byte envelopes timestamped now (today's
 * partition), batches of 500 (the default {@code kafka.consumer.max_poll_records}), one batch at a time as the writer
 * does.
 *
 * <p>Modes: {@code single} (V1's table), {@code partitioned} (V10's, as the store writes it: straight into the day's
 * partition), {@code parent} (V10's, every batch through the partitioned parent: the writer before it routed by day).
 * After a warm-up of each, the modes take turns batch by batch, the order reversed every other batch (A B C, C B A,
 * …), so a change of the machine's load hits each alike; a mode's rate in a round is its events over the time spent in
 * its own batches (building the rows is not counted). Each round prints the load average; the summary gives per mode
 * the median events/s and per ratio (to {@code single}, within each round) its median, min and max.
 *
 * <p>Run: {@code mvn -q test-compile exec:exec -Dexec.args="-cp %classpath
 * com.necpgame.mesh.bench.StoreInsertBenchmark 100000 8"} (events per round and mode, rounds; the database is {@code
 * MESH_TEST_DATABASE_URL} or the embedded PostgreSQL, as in the tests).
 */
public final class StoreInsertBenchmark {

  private static final int BATCH = 500;

  private record Mode(String name, Function<List<EventRow>, Future<Integer>> store) {}

  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    Vertx vertx = Vertx.vertx();
    try {
      Pool partitioned = Database.pool(vertx, TestDatabase.freshDatabase(), 4);
      await(Migrations.run(partitioned));
      Pool viaParent = Database.pool(vertx, TestDatabase.freshDatabase(), 4); // its own, so each table gets as many rows
      await(Migrations.run(viaParent));
      Pool single = Database.pool(vertx, TestDatabase.freshDatabase(), 4);
      String v1;
      try (InputStream in = Migrations.class.getClassLoader().getResourceAsStream("db/V1__event_store.sql")) {
        v1 = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      await(single.query(v1).execute());
      await(single.query("ALTER TABLE events DROP CONSTRAINT events_event_id_key; "
          + "CREATE UNIQUE INDEX events_event_id_key ON events (event_id, timestamp)").execute());
      EventStore singleStore = new EventStore(single);
      EventStore dayStore = new EventStore(partitioned);
      EventStore parentStore = EventStore.throughParent(viaParent);
      List<Mode> modes = List.of(new Mode("single", singleStore::record), new Mode("partitioned", dayStore::record),
          new Mode("parent", parentStore::record));
      int warmUp = Math.min(events, 20_000); // JIT and the connection pools warm before the measured rounds
      round(modes, warmUp, 0);
      System.out.printf("events per round and mode %,d, batches of %d, after %,d each to warm up; load %s%n", events,
          BATCH, warmUp, load());
      System.out.print("| round |");
      modes.forEach(m -> System.out.printf(" %s (events/s) |", m.name()));
      modes.stream().skip(1).forEach(m -> System.out.printf(" %s / single |", m.name()));
      System.out.println(" load average after |");
      System.out.println("|---|" + "---|".repeat(modes.size() * 2 - 1) + "---|");
      double[][] rates = new double[modes.size()][rounds];
      for (int round = 0; round < rounds; round++) {
        double[] r = round(modes, events, round);
        System.out.printf("| %d |", round + 1);
        for (int i = 0; i < modes.size(); i++) {
          rates[i][round] = r[i];
          System.out.printf(" %,.0f |", r[i]);
        }
        for (int i = 1; i < modes.size(); i++) {
          System.out.printf(" %.3f |", r[i] / r[0]);
        }
        System.out.printf(" %s |%n", load());
      }
      for (int i = 0; i < modes.size(); i++) {
        System.out.printf("%s: median %,.0f events/s (min %,.0f, max %,.0f)%n", modes.get(i).name(),
            median(rates[i]), Arrays.stream(rates[i]).min().orElse(0), Arrays.stream(rates[i]).max().orElse(0));
      }
      for (int i = 1; i < modes.size(); i++) {
        double[] ratio = new double[rounds];
        for (int r = 0; r < rounds; r++) {
          ratio[r] = rates[i][r] / rates[0][r];
        }
        System.out.printf("%s / single: median %.3f (min %.3f, max %.3f over %d rounds)%n", modes.get(i).name(),
            median(ratio), Arrays.stream(ratio).min().orElse(0), Arrays.stream(ratio).max().orElse(0), rounds);
      }
    } finally {
      await(vertx.close());
    }
  }

  /**
   * Events per second of each mode storing {@code events} rows in batches, one batch at a time, the modes taking turns
   * batch by batch (the order reversed every other batch, and every other round), so each sees the same machine.
   */
  private static double[] round(List<Mode> modes, int events, int round) throws Exception {
    long[] nanos = new long[modes.size()];
    int[] stored = new int[modes.size()];
    int n = 0;
    for (int done = 0; done < events; done += BATCH, n++) {
      for (int k = 0; k < modes.size(); k++) {
        int i = (n + round) % 2 == 0 ? k : modes.size() - 1 - k;
        List<EventRow> batch = new ArrayList<>(BATCH);
        for (int j = 0; j < BATCH && done + j < events; j++) {
          batch.add(row(done + j));
        }
        long started = System.nanoTime();
        stored[i] += await(modes.get(i).store().apply(batch));
        nanos[i] += System.nanoTime() - started;
      }
    }
    double[] rates = new double[modes.size()];
    for (int i = 0; i < modes.size(); i++) {
      if (stored[i] != events) {
        throw new IllegalStateException(modes.get(i).name() + ": stored " + stored[i] + " of " + events);
      }
      rates[i] = events / (nanos[i] / 1e9);
    }
    return rates;
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

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  /** The 1, 5 and 15 minute load averages. */
  private static String load() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (Exception e) {
      return "n/a";
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
  }
}
