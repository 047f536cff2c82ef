package com.necpgame.mesh.store;

import static com.necpgame.mesh.store.Rows.column;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code events} table: an index of every event Kafka stored, written in batches (one multi-row
 * {@code INSERT ... SELECT FROM unnest(...)} per batch) and idempotent on {@code (event_id, timestamp)}: the table is
 * partitioned by day on {@code timestamp} (V10), whose unique keys must hold it; a record stored again (a consumer
 * restart, a rebalance) has the same envelope and so the same timestamp, and keeps one row. An id reused with another
 * timestamp is a second row; {@link #status} answers the earliest.
 *
 * <p>A batch is written straight into its UTC day's partition ({@code events_pYYYYMMDD}, whose own unique index
 * serves the {@code ON CONFLICT}), one statement per day a batch spans (two across midnight): inserting through the
 * partitioned parent costs planning and routing on every batch (BENCHMARKS.md, "Event store insert rate"). Which days
 * have a partition is looked up once per day and kept; a day without one (not created yet by {@link
 * PartitionMaintenance}, or clock-skewed) goes through the parent, into the DEFAULT partition, as before, and is looked
 * up again after {@link #RECHECK}. A partition dropped or replaced since it was looked up (the statement fails as an
 * unknown table or a row outside its bounds) is forgotten and that day's rows go through the parent.
 */
public final class EventStore {

  /** How long a day found without a partition of its own is written through the parent before looking again. */
  static final Duration RECHECK = Duration.ofMinutes(1);
  private static final String PARENT = "events";
  private static final String PARTITION = "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
      + "WHERE i.inhparent = 'events'::regclass AND c.relname = $1";
  private static final String UNDEFINED_TABLE = "42P01";
  private static final String CHECK_VIOLATION = "23514"; // a row outside the partition's bounds
  private static final int DAYS_KEPT = 64; // the lookups kept at most (old or skewed timestamps add days)

  /** The batch insert into {@code table} (the parent or one day's partition, aliased as the parent). */
  private static String insert(String table) {
    return "INSERT INTO " + table + " AS events "
        + "(event_id, event_type, topic, source, payload, partition, \"offset\", status, priority, timestamp, "
        + "is_replayable) SELECT id, type, topic, source, payload, part, off, 'published', prio, ts, rep FROM unnest("
        + "$1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::text[], $6::int[], $7::bigint[], "
        + "$8::varchar[], $9::timestamptz[], $10::bool[]) AS u(id, type, topic, source, payload, part, off, prio, ts, rep) "
        + "ON CONFLICT (event_id, timestamp) DO UPDATE SET partition = EXCLUDED.partition, "
        + "\"offset\" = EXCLUDED.\"offset\", topic = EXCLUDED.topic, status = 'published' WHERE events.status = 'pending'";
  }

  private static final String INSERT_PARENT = insert(PARENT);
  private static final String STATUS = "SELECT event_id, event_type, topic, status, partition, \"offset\", retry_count, "
      + "timestamp, created_at, processed_at, is_replayable FROM events WHERE event_id = $1 ORDER BY timestamp LIMIT 1";

  /** Where a day's rows go: its partition's insert, or the parent's until {@code recheckAt} (nanoTime). */
  private record Target(String insert, boolean partition, long recheckAt) {}

  private final Pool pool;
  private final boolean byDay;
  private final Map<LocalDate, Target> targets = new ConcurrentHashMap<>();

  public EventStore(Pool pool) {
    this(pool, true);
  }

  private EventStore(Pool pool, boolean byDay) {
    this.pool = pool;
    this.byDay = byDay;
  }

  /** A store writing every batch through the partitioned parent, as before it routed by day (the benchmark's). */
  public static EventStore throughParent(Pool pool) {
    return new EventStore(pool, false);
  }

  /**
   * Records a batch; an event already stored is left as it is (a redelivered record is not an error). Returns the
   * number of rows inserted or moved from pending to published.
   */
  public Future<Integer> record(Collection<EventRow> rows) {
    Map<String, EventRow> unique = new LinkedHashMap<>(); // one statement must not touch a row twice
    rows.forEach(r -> unique.putIfAbsent(r.eventId(), r));
    if (unique.isEmpty()) {
      return Future.succeededFuture(0);
    }
    if (!byDay) {
      return execute(INSERT_PARENT, List.copyOf(unique.values()));
    }
    Map<LocalDate, List<EventRow>> days = new LinkedHashMap<>();
    for (EventRow row : unique.values()) {
      days.computeIfAbsent(day(row.timestamp()), d -> new ArrayList<>()).add(row);
    }
    Future<Integer> stored = Future.succeededFuture(0);
    for (Map.Entry<LocalDate, List<EventRow>> day : days.entrySet()) {
      stored = stored.compose(n -> recordDay(day.getKey(), day.getValue()).map(m -> n + m));
    }
    return stored;
  }

  /** The UTC day of {@code timestamp}: the partition it belongs to (V10's bounds are UTC midnights). */
  static LocalDate day(OffsetDateTime timestamp) {
    return timestamp.atZoneSameInstant(ZoneOffset.UTC).toLocalDate();
  }

  private Future<Integer> recordDay(LocalDate day, List<EventRow> rows) {
    return target(day).compose(target -> execute(target.insert(), rows).recover(e -> {
      if (target.partition() && e instanceof PgException pg
          && (UNDEFINED_TABLE.equals(pg.getSqlState()) || CHECK_VIOLATION.equals(pg.getSqlState()))) {
        targets.remove(day);
        return execute(INSERT_PARENT, rows);
      }
      return Future.failedFuture(e);
    }));
  }

  /** The insert of {@code day}'s rows: kept, or looked up (its partition if it has one, else the parent's). */
  private Future<Target> target(LocalDate day) {
    Target known = targets.get(day);
    if (known != null && (known.partition() || System.nanoTime() - known.recheckAt() < 0)) {
      return Future.succeededFuture(known);
    }
    String name = PartitionMaintenance.partition(PartitionMaintenance.TABLES.get(0), day);
    return pool.preparedQuery(PARTITION).execute(Tuple.of(name)).map(found -> {
      Target target = found.size() > 0 ? new Target(insert(name), true, 0)
          : new Target(INSERT_PARENT, false, System.nanoTime() + RECHECK.toNanos());
      if (targets.size() >= DAYS_KEPT) {
        targets.clear();
      }
      targets.put(day, target);
      return target;
    });
  }

  private Future<Integer> execute(String insert, List<EventRow> r) {
    return pool.preparedQuery(insert)
        .execute(Tuple.from(new Object[] {column(r, EventRow::eventId, String[]::new),
            column(r, EventRow::eventType, String[]::new), column(r, EventRow::topic, String[]::new),
            column(r, EventRow::source, String[]::new), column(r, EventRow::payload, String[]::new),
            column(r, EventRow::partition, Integer[]::new), column(r, EventRow::offset, Long[]::new),
            column(r, EventRow::priority, String[]::new),
            column(r, EventRow::timestamp, OffsetDateTime[]::new), column(r, EventRow::replayable, Boolean[]::new)}))
        .map(result -> result.rowCount());
  }

  /** What the store knows of an event, or null when it has no row for it. */
  public Future<JsonObject> status(String eventId) {
    return pool.preparedQuery(STATUS).execute(Tuple.of(eventId))
        .map(rows -> rows.size() == 0 ? null : Rows.json(rows.iterator().next()));
  }
}
