package com.necpgame.mesh.store;

import static com.necpgame.mesh.store.Rows.column;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code events} table: an index of every event Kafka stored, written in batches (one multi-row
 * {@code INSERT ... SELECT FROM unnest(...)} per batch) and idempotent on {@code (event_id, timestamp)}: the table is
 * partitioned by day on {@code timestamp} (V10), whose unique keys must hold it; a record stored again (a consumer
 * restart, a rebalance) has the same envelope and so the same timestamp, and keeps one row. An id reused with another
 * timestamp is a second row; {@link #status} answers the earliest.
 */
public final class EventStore {

  private static final String INSERT = "INSERT INTO events "
      + "(event_id, event_type, topic, source, payload, partition, \"offset\", status, priority, timestamp, "
      + "is_replayable) SELECT id, type, topic, source, payload, part, off, 'published', prio, ts, rep FROM unnest("
      + "$1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::text[], $6::int[], $7::bigint[], "
      + "$8::varchar[], $9::timestamptz[], $10::bool[]) AS u(id, type, topic, source, payload, part, off, prio, ts, rep) "
      + "ON CONFLICT (event_id, timestamp) DO UPDATE SET partition = EXCLUDED.partition, "
      + "\"offset\" = EXCLUDED.\"offset\", topic = EXCLUDED.topic, status = 'published' WHERE events.status = 'pending'";
  private static final String STATUS = "SELECT event_id, event_type, topic, status, partition, \"offset\", retry_count, "
      + "timestamp, created_at, processed_at, is_replayable FROM events WHERE event_id = $1 ORDER BY timestamp LIMIT 1";

  private final Pool pool;

  public EventStore(Pool pool) {
    this.pool = pool;
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
    List<EventRow> r = List.copyOf(unique.values());
    return pool.preparedQuery(INSERT)
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
