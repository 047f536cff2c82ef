package com.necpgame.mesh.store;

import static com.necpgame.mesh.store.Rows.column;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code event_subscription_state} table: where each subscription is with each event ({@link EventLifecycle}),
 * written in batches by the deliveries (one {@code INSERT ... SELECT FROM unnest(...)} per webhook round or router
 * poll) and by acknowledgements; and the status answer built from it, the {@code events} row and the webhook queue.
 */
public final class EventStatus {

  /**
   * One subscription's outcome for one event, to record. {@code state}: retrying, delivered or failed. A kafka or
   * WebSocket delivery also says where it read the event ({@code topic}, {@code partition}, {@code offset}), so an
   * unacknowledged one can be read again from Kafka and redelivered (delivery/AckRedelivery); null otherwise.
   */
  public record Change(String eventId, String subscriptionId, String method, String state, int attempts,
      String lastError, boolean requiresAck, String topic, Integer partition, Long offset) {

    /** An outcome without the event's place in Kafka (a webhook's). */
    public Change(String eventId, String subscriptionId, String method, String state, int attempts, String lastError,
        boolean requiresAck) {
      this(eventId, subscriptionId, method, state, attempts, lastError, requiresAck, null, null, null);
    }
  }

  /** What an acknowledgement came to: the processed state, or null when the subscription never got the event. */
  public record Ack(String eventId, String subscriptionId, String processedAt) {
    public JsonObject toJson() {
      return new JsonObject().put("event_id", eventId).put("subscription_id", subscriptionId).put("state", "processed")
          .put("processed_at", processedAt);
    }
  }

  /** A processed state is final: a late delivery record (a round settled after the ack) leaves it processed. */
  private static final String RECORD = "INSERT INTO event_subscription_state AS s (event_id, subscription_id, method, "
      + "state, attempts, last_error, requires_ack, delivered_at, topic, kafka_partition, kafka_offset) "
      + "SELECT e, sub, m, st, n, er, ra, CASE WHEN st = 'delivered' THEN NOW() END, t, p, o "
      + "FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::int[], $6::text[], $7::bool[], "
      + "$8::varchar[], $9::int[], $10::bigint[]) AS u(e, sub, m, st, n, er, ra, t, p, o) "
      + "ON CONFLICT (event_id, subscription_id) DO UPDATE SET "
      + "topic = COALESCE(s.topic, EXCLUDED.topic), kafka_partition = COALESCE(s.kafka_partition, "
      + "EXCLUDED.kafka_partition), kafka_offset = COALESCE(s.kafka_offset, EXCLUDED.kafka_offset), "
      + "state = CASE WHEN s.state = 'processed' THEN s.state ELSE EXCLUDED.state END, "
      + "attempts = GREATEST(s.attempts, EXCLUDED.attempts), last_error = COALESCE(EXCLUDED.last_error, s.last_error), "
      + "requires_ack = s.requires_ack OR EXCLUDED.requires_ack, "
      + "delivered_at = COALESCE(s.delivered_at, EXCLUDED.delivered_at), updated_at = NOW()";
  private static final String STATES = "SELECT subscription_id, method, state, attempts, last_error, requires_ack, "
      + "delivered_at, processed_at FROM event_subscription_state WHERE event_id = $1 ORDER BY subscription_id";
  /** Webhook deliveries of the event queued and not yet attempted (or attempted, with no state row written yet). */
  private static final String QUEUED = "SELECT subscription_id, attempts FROM webhook_queue "
      + "WHERE event_id = $1::varchar OR $1::varchar = ANY(event_ids)";
  /**
   * The acknowledgement: recorded when the subscription got the event (a state row of a delivery that is not failed,
   * a webhook message attempted or being attempted, or {@code $4}: the caller found that a kafka or WebSocket subscription takes it).
   */
  private static final String ACK = "INSERT INTO event_subscription_state AS s (event_id, subscription_id, method, "
      + "state, requires_ack, delivered_at, processed_at) SELECT $1::varchar, $2::varchar, $3::varchar, 'processed', "
      + "true, NOW(), NOW() WHERE $4::boolean OR EXISTS (SELECT 1 FROM event_subscription_state "
      + "WHERE event_id = $1::varchar AND subscription_id = $2::varchar AND state <> 'failed') "
      + "OR EXISTS (SELECT 1 FROM webhook_queue WHERE subscription_id = $2::varchar "
      + "AND (event_id = $1::varchar OR $1::varchar = ANY(event_ids)) AND (attempts > 0 OR lease_until > NOW())) "
      + "ON CONFLICT (event_id, subscription_id) DO UPDATE SET state = 'processed', requires_ack = true, "
      + "processed_at = COALESCE(s.processed_at, NOW()), updated_at = NOW() WHERE s.state <> 'failed' "
      + "RETURNING processed_at";
  /** The queued message of the event (waiting for acknowledgements), once none of its events is unacknowledged. */
  private static final String ACKED = "DELETE FROM webhook_queue q WHERE q.subscription_id = $2::varchar "
      + "AND (q.event_id = $1::varchar OR $1::varchar = ANY(q.event_ids)) AND NOT EXISTS (SELECT 1 FROM "
      + "unnest(COALESCE(q.event_ids, ARRAY[q.event_id])) AS x(id) WHERE NOT EXISTS (SELECT 1 FROM "
      + "event_subscription_state a WHERE a.subscription_id = q.subscription_id AND a.event_id = x.id "
      + "AND a.state = 'processed'))";

  private final Pool pool;
  private final EventStore events;

  public EventStatus(Pool pool) {
    this.pool = pool;
    this.events = new EventStore(pool);
  }

  /** Records outcomes in one statement (the last of several for the same event and subscription wins). */
  public Future<Void> record(Collection<Change> changes) {
    Map<String, Change> unique = new LinkedHashMap<>(); // one statement must not touch a row twice
    changes.forEach(c -> unique.put(c.eventId() + "\n" + c.subscriptionId(), c));
    if (unique.isEmpty()) {
      return Future.succeededFuture();
    }
    List<Change> c = List.copyOf(unique.values());
    return pool.preparedQuery(RECORD).execute(Tuple.from(new Object[] {column(c, Change::eventId, String[]::new),
        column(c, Change::subscriptionId, String[]::new), column(c, Change::method, String[]::new),
        column(c, Change::state, String[]::new), column(c, Change::attempts, Integer[]::new),
        column(c, Change::lastError, String[]::new), column(c, Change::requiresAck, Boolean[]::new),
        column(c, Change::topic, String[]::new), column(c, Change::partition, Integer[]::new),
        column(c, Change::offset, Long[]::new)})).mapEmpty();
  }

  /** The status answer ({@link EventLifecycle}) of an event the store has, or null. */
  public Future<JsonObject> status(String eventId) {
    return events.status(eventId).compose(event -> event == null ? Future.succeededFuture() : Future.all(
        pool.preparedQuery(STATES).execute(Tuple.of(eventId)), pool.preparedQuery(QUEUED).execute(Tuple.of(eventId)))
        .map(done -> {
          List<EventLifecycle.SubscriptionState> states = new ArrayList<>();
          Set<String> seen = new HashSet<>();
          for (Row r : done.<io.vertx.sqlclient.RowSet<Row>>resultAt(0)) {
            seen.add(r.getString("subscription_id"));
            states.add(new EventLifecycle.SubscriptionState(r.getString("subscription_id"), r.getString("method"),
                r.getString("state"), r.getInteger("attempts"), r.getString("last_error"),
                r.getBoolean("requires_ack"), Rows.time(r.getOffsetDateTime("delivered_at")),
                Rows.time(r.getOffsetDateTime("processed_at"))));
          }
          for (Row r : done.<io.vertx.sqlclient.RowSet<Row>>resultAt(1)) {
            if (seen.add(r.getString("subscription_id"))) {
              states.add(new EventLifecycle.SubscriptionState(r.getString("subscription_id"), "webhook", "pending",
                  r.getInteger("attempts"), null, false, null, null));
            }
          }
          return EventLifecycle.of(event, states);
        }));
  }

  /**
   * Records that {@code subscriptionId} processed {@code eventId} (again: the first time stays), and ends the
   * redeliveries of the webhook message that waited for it; null when the subscription never got the event (or it
   * was dead-lettered). {@code socketReceived}: a kafka or WebSocket subscription takes the event (it has no delivery
   * row to show it got it).
   */
  public Future<Ack> ack(String eventId, String subscriptionId, String method, boolean socketReceived) {
    return pool.withTransaction(conn -> conn.preparedQuery(ACK)
        .execute(Tuple.of(eventId, subscriptionId, method, socketReceived))
        .compose(rows -> rows.size() == 0 ? Future.<Ack>succeededFuture()
            : conn.preparedQuery(ACKED).execute(Tuple.of(eventId, subscriptionId)).map(deleted -> new Ack(eventId,
                subscriptionId, Rows.time(rows.iterator().next().getOffsetDateTime("processed_at"))))));
  }
}
