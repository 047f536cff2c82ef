package com.necpgame.mesh.delivery;

import static com.necpgame.mesh.store.Rows.column;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.necpgame.mesh.store.EventStatus;
import com.necpgame.mesh.store.Rows;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code webhook_queue} table (messages waiting to be delivered: one event, or a batching subscription's events of
 * one topic partition) and the {@code event_deliveries} log of attempts, one row per message attempted. Rows are
 * claimed with a lease ({@code FOR UPDATE SKIP LOCKED}), so several processes never attempt the same one.
 */
public final class WebhookQueue {

  /**
   * One waiting message: a single event ({@code eventIds} null, {@code eventId} its id, {@code payload} its envelope)
   * or several ({@code eventId} the message id, {@code eventIds} theirs, {@code payload} the JSON array of them).
   */
  public record Item(long id, String subscriptionId, String eventId, List<String> eventIds, String topic,
      String payload, int attempts, boolean awaitingAck) {

    /** A message not (yet) delivered to a subscription that acknowledges. */
    public Item(long id, String subscriptionId, String eventId, List<String> eventIds, String topic, String payload,
        int attempts) {
      this(id, subscriptionId, eventId, eventIds, topic, payload, attempts, false);
    }

    /** The ids of the events it carries. */
    public List<String> events() {
      return eventIds == null ? List.of(eventId) : eventIds;
    }
  }

  /**
   * The events one subscription matched in one topic partition, in offset order, to be queued in messages of at most
   * {@code batch} events.
   */
  public record Routed(String subscriptionId, String topic, int partition, int batch, List<Long> offsets,
      List<String> eventIds, List<String> payloads) {

    /** The messages of the events at or after offset {@code from}, each of at most {@code batch} events. */
    List<Message> messagesFrom(long from) {
      int start = 0;
      while (start < offsets.size() && offsets.get(start) < from) {
        start++;
      }
      List<Message> out = new ArrayList<>();
      for (int i = start; i < offsets.size(); i += batch) {
        int end = Math.min(offsets.size(), i + batch);
        List<String> ids = eventIds.subList(i, end);
        out.add(ids.size() == 1 ? new Message(subscriptionId, ids.get(0), null, topic, payloads.get(i))
            : new Message(subscriptionId, "batch_" + ids.get(0) + "_" + ids.size(), ids, topic,
                "[" + String.join(",", payloads.subList(i, end)) + "]"));
      }
      return out;
    }
  }

  /** A message to queue, as {@link Item} has it: one event ({@code eventIds} null) or several. */
  public record Message(String subscriptionId, String eventId, List<String> eventIds, String topic, String payload) {}

  /**
   * A delivery to try again at {@code at}; {@code attempted} when an attempt was made (it counts), not when it waited;
   * {@code awaitingAck} when it was delivered and is due again only if not acknowledged by then.
   */
  public record Retry(long id, Instant at, boolean attempted, boolean awaitingAck) {
    public Retry(long id, Instant at, boolean attempted) {
      this(id, at, attempted, false);
    }
  }

  /** One attempt to record (of a message: {@code eventIds} as in {@link Item}): {@code delivered} or {@code failed}. */
  public record Attempt(String eventId, List<String> eventIds, String subscriptionId, int number, String status, Integer statusCode,
      double durationMs, String response, String error, Instant nextRetryAt, boolean last) {}

  /** An {@code event_ids} column from a JSON array text {@code ids} (null stays null). */
  private static final String IDS = "CASE WHEN ids IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(ids::jsonb))"
      + "::varchar[] END";

  private static final JsonFactory JSON = new JsonFactory();

  private final Pool pool;
  private final EventStatus status;

  public WebhookQueue(Pool pool) {
    this.pool = pool;
    this.status = new EventStatus(pool);
  }

  /**
   * Queues what the delivery router matched, in one transaction with its progress per subscription and topic partition
   * ({@code webhook_routed}): events before that progress were queued already (by this process or, before a
   * rebalance, another one) and are skipped, so each is queued once however often its offsets are read again.
   */
  public Future<Void> route(List<Routed> routed) {
    if (routed.isEmpty()) {
      return Future.succeededFuture();
    }
    String[] subscriptions = column(routed, Routed::subscriptionId, String[]::new);
    String[] topics = column(routed, Routed::topic, String[]::new);
    Integer[] partitions = column(routed, Routed::partition, Integer[]::new);
    Long[] next = column(routed, r -> r.offsets().get(r.offsets().size() - 1) + 1, Long[]::new);
    return pool.withTransaction(conn -> conn.preparedQuery("INSERT INTO webhook_routed AS w (subscription_id, topic, "
        + "partition, next_offset) SELECT s, t, p, 0 FROM unnest($1::varchar[], $2::varchar[], $3::int[]) AS u(s, t, p) "
        + "ON CONFLICT (subscription_id, topic, partition) DO UPDATE SET next_offset = w.next_offset "
        + "RETURNING subscription_id, topic, partition, next_offset")
        .execute(Tuple.of(subscriptions, topics, partitions))
        .compose(rows -> {
          Map<String, Long> from = new HashMap<>();
          rows.forEach(row -> from.put(row.getString(0) + "\n" + row.getString(1) + "\n" + row.getInteger(2),
              row.getLong(3)));
          return insert(conn, routed.stream().flatMap(r -> r.messagesFrom(from.get(r.subscriptionId() + "\n"
              + r.topic() + "\n" + r.partition())).stream()).toList());
        })
        .compose(v -> conn.preparedQuery("UPDATE webhook_routed w SET next_offset = GREATEST(w.next_offset, u.n) "
            + "FROM unnest($1::varchar[], $2::varchar[], $3::int[], $4::bigint[]) AS u(s, t, p, n) "
            + "WHERE w.subscription_id = u.s AND w.topic = u.t AND w.partition = u.p")
            .execute(Tuple.of(subscriptions, topics, partitions, next)))
        .mapEmpty());
  }

  /** Queues messages (a replay's, a redrive's), each (subscription, event or batch id) once however often offered. */
  public Future<Void> enqueue(List<Message> messages) {
    return insert(pool, messages);
  }

  private static Future<Void> insert(SqlClient client, List<Message> messages) {
    return messages.isEmpty() ? Future.succeededFuture() : client.preparedQuery("INSERT INTO webhook_queue "
        + "(subscription_id, event_id, event_ids, topic, payload) SELECT s, e, " + IDS + ", t, p FROM "
        + "unnest($1::varchar[], $2::varchar[], $3::text[], $4::varchar[], $5::text[]) AS u(s, e, ids, t, p) "
        + "ON CONFLICT (subscription_id, event_id) DO NOTHING")
        .execute(Tuple.of(column(messages, Message::subscriptionId, String[]::new),
            column(messages, Message::eventId, String[]::new), column(messages, m -> json(m.eventIds()), String[]::new),
            column(messages, Message::topic, String[]::new), column(messages, Message::payload, String[]::new)))
        .mapEmpty();
  }

  /** Up to {@code limit} due deliveries, leased to the caller for {@code leaseMs}, oldest due first. */
  public Future<List<Item>> claim(int limit, long leaseMs) {
    return pool.preparedQuery("UPDATE webhook_queue SET lease_until = NOW() + make_interval(secs => $2) WHERE id IN "
        + "(SELECT id FROM webhook_queue WHERE next_attempt_at <= NOW() AND (lease_until IS NULL OR lease_until < NOW()) "
        + "ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED) "
        + "RETURNING id, subscription_id, event_id, event_ids, topic, payload, attempts, awaiting_ack")
        .execute(Tuple.of(limit, leaseMs / 1000.0)).map(rows -> {
          List<Item> out = new ArrayList<>();
          for (Row r : rows) {
            out.add(new Item(r.getLong("id"), r.getString("subscription_id"), r.getString("event_id"),
                ids(r), r.getString("topic"), r.getString("payload"), r.getInteger("attempts"),
                r.getBoolean("awaiting_ack")));
          }
          out.sort((a, b) -> Long.compare(a.id(), b.id()));
          return out;
        });
  }

  /**
   * What a round of deliveries came to, written at once: the attempts made, the deliveries done with (delivered or
   * dead-lettered) and those to try again.
   */
  public Future<Void> settle(List<Attempt> attempts, List<Long> done, List<Retry> retries,
      List<EventStatus.Change> states) {
    List<Future<?>> writes = new ArrayList<>();
    if (!attempts.isEmpty()) {
      writes.add(record(attempts));
    }
    if (!states.isEmpty()) {
      writes.add(status.record(states));
    }
    if (!done.isEmpty()) {
      writes.add(pool.preparedQuery("DELETE FROM webhook_queue WHERE id = ANY($1)")
          .execute(Tuple.of(done.toArray(new Long[0]))));
    }
    if (!retries.isEmpty()) {
      writes.add(pool.preparedQuery("UPDATE webhook_queue q SET next_attempt_at = u.at, lease_until = NULL, "
          + "attempts = q.attempts + u.counted, awaiting_ack = u.ack FROM unnest($1::bigint[], $2::timestamptz[], "
          + "$3::int[], $4::bool[]) AS u(id, at, counted, ack) WHERE q.id = u.id")
          .execute(Tuple.of(column(retries, Retry::id, Long[]::new),
              column(retries, r -> utc(r.at()), OffsetDateTime[]::new),
              column(retries, r -> r.attempted() ? 1 : 0, Integer[]::new),
              column(retries, Retry::awaitingAck, Boolean[]::new))));
    }
    return Future.all(writes).mapEmpty();
  }

  private Future<Void> record(List<Attempt> attempts) {
    return pool.preparedQuery("INSERT INTO event_deliveries (event_id, event_ids, subscription_id, attempt_number, "
        + "status, method, response, error_message, status_code, duration_ms, delivered_at, next_retry_at, "
        + "is_last_attempt) SELECT e, " + IDS + ", s, n, st, 'webhook', r, er, c, d, NOW(), nr, l FROM "
        + "unnest($1::varchar[], $2::varchar[], $3::int[], $4::varchar[], $5::text[], $6::text[], $7::int[], "
        + "$8::float8[], $9::timestamptz[], $10::bool[], $11::text[]) AS u(e, s, n, st, r, er, c, d, nr, l, ids)")
        .execute(Tuple.from(new Object[] {column(attempts, Attempt::eventId, String[]::new),
            column(attempts, Attempt::subscriptionId, String[]::new), column(attempts, Attempt::number, Integer[]::new),
            column(attempts, Attempt::status, String[]::new), column(attempts, Attempt::response, String[]::new),
            column(attempts, Attempt::error, String[]::new), column(attempts, Attempt::statusCode, Integer[]::new),
            column(attempts, Attempt::durationMs, Double[]::new),
            column(attempts, a -> utc(a.nextRetryAt()), OffsetDateTime[]::new),
            column(attempts, Attempt::last, Boolean[]::new),
            column(attempts, a -> json(a.eventIds()), String[]::new)})).mapEmpty();
  }

  /**
   * A page of attempts, newest first, optionally of one subscription and/or status, of the subscriptions {@code
   * owner} owns (null: of every subscription, deleted ones included), as {@code {total, items}}; another owner's
   * subscription has no attempts, as one that does not exist.
   */
  public Future<JsonObject> attempts(String owner, String subscription, String status, int limit, int offset) {
    String where = " WHERE ($1::text IS NULL OR subscription_id = $1) AND ($2::text IS NULL OR status = $2)"
        + " AND ($5::text IS NULL OR subscription_id IN (SELECT subscription_id FROM event_subscriptions"
        + " WHERE owner_principal = $5))";
    Future<Long> total = pool.preparedQuery("SELECT count(*) FROM event_deliveries" + where.replace("$5", "$3"))
        .execute(Tuple.of(subscription, status, owner)).map(rows -> rows.iterator().next().getLong(0));
    Future<JsonArray> items = pool.preparedQuery("SELECT event_id, event_ids, subscription_id, attempt_number, status, "
        + "method, status_code, duration_ms, response, error_message, delivered_at, next_retry_at, is_last_attempt "
        + "FROM event_deliveries" + where + " ORDER BY delivered_at DESC, attempt_number DESC LIMIT $3 OFFSET $4")
        .execute(Tuple.of(subscription, status, limit, offset, owner)).map(rows -> {
          JsonArray out = new JsonArray();
          rows.forEach(r -> out.add(Rows.json(r)));
          return out;
        });
    return Future.all(total, items).map(v -> new JsonObject().put("total", total.result()).put("items", items.result()));
  }

  /**
   * Queues again, one message each, the events whose last attempt for this subscription failed since {@code since}
   * (alone or in a batch), their envelopes taken from the event store; how many.
   */
  public Future<Integer> redrive(String subscription, Instant since) {
    return pool.preparedQuery("INSERT INTO webhook_queue (subscription_id, event_id, topic, payload) "
        + "SELECT DISTINCT d.subscription_id, e.event_id, e.topic, e.payload FROM event_deliveries d "
        + "CROSS JOIN LATERAL unnest(COALESCE(d.event_ids, ARRAY[d.event_id])) AS x(id) "
        + "JOIN events e ON e.event_id = x.id WHERE d.subscription_id = $1 AND d.is_last_attempt "
        + "AND d.status = 'failed' AND d.delivered_at >= $2 ON CONFLICT (subscription_id, event_id) DO NOTHING")
        .execute(Tuple.of(subscription, utc(since))).map(rows -> rows.rowCount());
  }

  private static OffsetDateTime utc(Instant time) {
    return time == null ? null : OffsetDateTime.ofInstant(time, ZoneOffset.UTC);
  }

  /** An {@code event_ids} value as the JSON array text {@link #IDS} reads (null stays null). */
  private static String json(List<String> ids) {
    return ids == null ? null : new JsonArray(ids).encode();
  }

  private static List<String> ids(Row r) {
    String[] ids = r.getArrayOfStrings("event_ids");
    return ids == null ? null : List.of(ids);
  }

  /** The elements of a message's JSON array payload, each exactly as it was queued. */
  static List<String> elements(String array) {
    List<String> out = new ArrayList<>();
    try (JsonParser parser = JSON.createParser(array)) {
      parser.nextToken(); // [
      while (parser.nextToken() != JsonToken.END_ARRAY) {
        int from = (int) parser.currentTokenLocation().getCharOffset();
        parser.skipChildren();
        out.add(array.substring(from, (int) parser.currentLocation().getCharOffset()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }
}
