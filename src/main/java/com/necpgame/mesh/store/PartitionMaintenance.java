package com.necpgame.mesh.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keeps the day partitions of {@code events} (by {@code timestamp}) and {@code event_deliveries} (by {@code
 * delivered_at}) made in V10: creates today's and the next {@link #DAYS_AHEAD} days' partitions, and drops a day's
 * partition once the whole day is older than the retention ({@code [D, D+1)} goes when {@code D+1 <= now −
 * retention}); rows of the DEFAULT partition (timestamps outside the days created) older than that are deleted. A
 * dropped event's {@code GET /events/{id}/status} is 404, as an event never stored. An empty retention drops nothing.
 *
 * <p>One process at a time: each run is one transaction that first takes {@code pg_try_advisory_xact_lock}; a process
 * that does not get it skips the run (another is doing it). Dropping a partition takes a short ACCESS EXCLUSIVE lock
 * on its table; inserts wait for it, they do not fail.
 */
public final class PartitionMaintenance {

  /** Days created ahead of today (UTC), so inserts never wait on a partition being created. */
  public static final int DAYS_AHEAD = 3;
  private static final long LOCK = 0x6d65736872657431L; // "meshret1"
  private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd");

  /** A partitioned table and its partition column. */
  public record Table(String name, String key) {}

  public static final List<Table> TABLES = List.of(new Table("events", "\"timestamp\""),
      new Table("event_deliveries", "delivered_at"));

  /** What a run did; {@code ran} false when another process held the lock. */
  public record Outcome(boolean ran, List<String> created, List<String> dropped, long defaultRowsDeleted) {}

  private final Pool pool;

  public PartitionMaintenance(Pool pool) {
    this.pool = pool;
  }

  /** The days whose partitions a run at {@code now} makes sure of: today to {@link #DAYS_AHEAD} days ahead (UTC). */
  public static List<LocalDate> daysAhead(Instant now) {
    LocalDate today = now.atOffset(ZoneOffset.UTC).toLocalDate();
    List<LocalDate> days = new ArrayList<>();
    for (int i = 0; i <= DAYS_AHEAD; i++) {
      days.add(today.plusDays(i));
    }
    return days;
  }

  /** Whether the partition of {@code day} is past {@code retention} at {@code now}: all of the day is older. */
  public static boolean expired(LocalDate day, Instant now, Duration retention) {
    return !day.plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC).isAfter(now.minus(retention));
  }

  /** The partition of {@code table} holding {@code day}. */
  public static String partition(Table table, LocalDate day) {
    return table.name() + "_p" + DAY.format(day);
  }

  /** One run at {@code now}: partitions ahead created, those past {@code retention} (if any) dropped. */
  public Future<Outcome> run(Instant now, Optional<Duration> retention) {
    return pool.withTransaction(conn -> conn.preparedQuery("SELECT pg_try_advisory_xact_lock($1)")
        .execute(Tuple.of(LOCK)).compose(locked -> {
          if (!locked.iterator().next().getBoolean(0)) {
            return Future.succeededFuture(new Outcome(false, List.of(), List.of(), 0));
          }
          List<String> created = new ArrayList<>();
          List<String> dropped = new ArrayList<>();
          long[] deleted = {0};
          Future<Void> chain = Future.succeededFuture();
          for (Table table : TABLES) {
            chain = chain.compose(v -> days(conn, table)).compose(existing -> {
              Future<Void> step = Future.succeededFuture();
              for (LocalDate day : daysAhead(now)) {
                if (!existing.contains(day)) {
                  step = step.compose(v -> create(conn, table, day)).onSuccess(v -> created.add(partition(table, day)));
                }
              }
              if (retention.isPresent()) {
                for (LocalDate day : existing) {
                  if (expired(day, now, retention.get())) {
                    step = step.compose(v -> conn.query("DROP TABLE " + partition(table, day)).execute().<Void>mapEmpty())
                        .onSuccess(v -> dropped.add(partition(table, day)));
                  }
                }
                step = step.compose(v -> conn.preparedQuery("DELETE FROM " + table.name() + "_default WHERE "
                    + table.key() + " < $1").execute(Tuple.of(now.minus(retention.get()).atOffset(ZoneOffset.UTC)))
                    .onSuccess(rows -> deleted[0] += rows.rowCount()).<Void>mapEmpty());
              }
              return step;
            });
          }
          return chain.map(v -> new Outcome(true, created, dropped, deleted[0]));
        }));
  }

  /** Rows of {@code event_subscription_state} one statement of {@link #pruneStates} deletes at most. */
  public static final int PRUNE_BATCH = 10_000;

  /**
   * Deletes the {@code event_subscription_state} rows (where each subscription is with each event) last written on a
   * day wholly past {@code retention} at {@code now}, the rule the day partitions are dropped by: a row is written at
   * or after its event's time, so an event keeps its rows as long as it is stored. The table is keyed by (event,
   * subscription) and upserted, which a partition column would break, so it is pruned in statements of at most
   * {@link #PRUNE_BATCH} rows ({@code FOR UPDATE SKIP LOCKED}, each its own transaction) rather than one big delete;
   * returns the rows deleted.
   */
  public Future<Long> pruneStates(Instant now, Duration retention) {
    OffsetDateTime before = now.minus(retention).atOffset(ZoneOffset.UTC).toLocalDate().atStartOfDay()
        .atOffset(ZoneOffset.UTC);
    return pruneFrom(before, 0);
  }

  private Future<Long> pruneFrom(OffsetDateTime before, long deleted) {
    return pool.preparedQuery("DELETE FROM event_subscription_state WHERE ctid = ANY(ARRAY(SELECT ctid FROM "
        + "event_subscription_state WHERE updated_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED))")
        .execute(Tuple.of(before, PRUNE_BATCH)).compose(rows -> rows.rowCount() < PRUNE_BATCH
            ? Future.succeededFuture(deleted + rows.rowCount()) : pruneFrom(before, deleted + rows.rowCount()));
  }

  /** Creates the partition of {@code day} for every table if missing (tests create old days with it). */
  public Future<Void> ensureDay(LocalDate day) {
    return pool.withTransaction(conn -> {
      Future<Void> chain = Future.succeededFuture();
      for (Table table : TABLES) {
        chain = chain.compose(v -> days(conn, table))
            .compose(existing -> existing.contains(day) ? Future.succeededFuture() : create(conn, table, day));
      }
      return chain;
    });
  }

  /** The days of {@code table}'s partitions named {@code <table>_pYYYYMMDD}. */
  private static Future<TreeSet<LocalDate>> days(SqlConnection conn, Table table) {
    Pattern name = Pattern.compile(Pattern.quote(table.name()) + "_p(\\d{8})");
    return conn.preparedQuery("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        + "WHERE i.inhparent = $1::regclass").execute(Tuple.of(table.name())).map(rows -> {
          TreeSet<LocalDate> days = new TreeSet<>();
          for (Row row : rows) {
            Matcher m = name.matcher(row.getString(0));
            if (m.matches()) {
              days.add(LocalDate.parse(m.group(1), DAY));
            }
          }
          return days;
        });
  }

  /**
   * Creates the partition of {@code day}; rows of that day waiting in the DEFAULT partition are moved into it (in
   * the same transaction: PostgreSQL refuses a partition whose rows the DEFAULT one holds).
   */
  private static Future<Void> create(SqlConnection conn, Table table, LocalDate day) {
    String from = "'" + day + " 00:00:00+00'";
    String to = "'" + day.plusDays(1) + " 00:00:00+00'";
    String def = table.name() + "_default";
    String range = table.key() + " >= " + from + " AND " + table.key() + " < " + to;
    return conn.query("CREATE TEMP TABLE mesh_moved (LIKE " + def + "); "
        + "WITH m AS (DELETE FROM " + def + " WHERE " + range + " RETURNING *) INSERT INTO mesh_moved SELECT * FROM m; "
        + "CREATE TABLE " + partition(table, day) + " PARTITION OF " + table.name() + " FOR VALUES FROM (" + from
        + ") TO (" + to + "); INSERT INTO " + table.name() + " SELECT * FROM mesh_moved; DROP TABLE mesh_moved")
        .execute().mapEmpty();
  }
}
