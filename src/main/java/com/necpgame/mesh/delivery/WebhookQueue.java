package com.necpgame.mesh.delivery;

import com.necpgame.mesh.store.Rows;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code webhook_queue} table (deliveries waiting to be made) and the {@code event_deliveries} log of attempts.
 * Rows are claimed with a lease ({@code FOR UPDATE SKIP LOCKED}), so several processes never attempt the same one.
 */
public final class WebhookQueue {

  /** One waiting delivery. */
  public record Item(long id, String subscriptionId, String eventId, String topic, String payload, int attempts) {}

  /** A delivery to try again at {@code at}; {@code attempted} when an attempt was made (it counts), not when it waited. */
  public record Retry(long id, Instant at, boolean attempted) {}

  /** One attempt to record: status {@code delivered} or {@code failed}. */
  public record Attempt(String eventId, String subscriptionId, int number, String status, Integer statusCode,
      double durationMs, String response, String error, Instant nextRetryAt, boolean last) {}

  private final Pool pool;

  public WebhookQueue(Pool pool) {
    this.pool = pool;
  }

  /** Queues deliveries, each (subscription, event) once however often it is offered. */
  public Future<Void> enqueue(List<String> subscriptions, List<String> events, List<String> topics,
      List<String> payloads) {
    if (subscriptions.isEmpty()) {
      return Future.succeededFuture();
    }
    return pool.preparedQuery("INSERT INTO webhook_queue (subscription_id, event_id, topic, payload) SELECT * FROM "
        + "unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::text[]) ON CONFLICT (subscription_id, event_id) "
        + "DO NOTHING").execute(Tuple.of(subscriptions.toArray(new String[0]), events.toArray(new String[0]),
            topics.toArray(new String[0]), payloads.toArray(new String[0]))).mapEmpty();
  }

  /** Up to {@code limit} due deliveries, leased to the caller for {@code leaseMs}, oldest due first. */
  public Future<List<Item>> claim(int limit, long leaseMs) {
    return pool.preparedQuery("UPDATE webhook_queue SET lease_until = NOW() + make_interval(secs => $2) WHERE id IN "
        + "(SELECT id FROM webhook_queue WHERE next_attempt_at <= NOW() AND (lease_until IS NULL OR lease_until < NOW()) "
        + "ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED) "
        + "RETURNING id, subscription_id, event_id, topic, payload, attempts")
        .execute(Tuple.of(limit, leaseMs / 1000.0)).map(rows -> {
          List<Item> out = new ArrayList<>();
          for (Row r : rows) {
            out.add(new Item(r.getLong("id"), r.getString("subscription_id"), r.getString("event_id"),
                r.getString("topic"), r.getString("payload"), r.getInteger("attempts")));
          }
          out.sort((a, b) -> Long.compare(a.id(), b.id()));
          return out;
        });
  }

  /**
   * What a round of deliveries came to, written at once: the attempts made, the deliveries done with (delivered or
   * dead-lettered) and those to try again.
   */
  public Future<Void> settle(List<Attempt> attempts, List<Long> done, List<Retry> retries) {
    List<Future<?>> writes = new ArrayList<>();
    if (!attempts.isEmpty()) {
      writes.add(record(attempts));
    }
    if (!done.isEmpty()) {
      writes.add(pool.preparedQuery("DELETE FROM webhook_queue WHERE id = ANY($1)")
          .execute(Tuple.of(done.toArray(new Long[0]))));
    }
    if (!retries.isEmpty()) {
      Long[] ids = new Long[retries.size()];
      OffsetDateTime[] at = new OffsetDateTime[retries.size()];
      Integer[] counted = new Integer[retries.size()];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = retries.get(i).id();
        at[i] = OffsetDateTime.ofInstant(retries.get(i).at(), ZoneOffset.UTC);
        counted[i] = retries.get(i).attempted() ? 1 : 0;
      }
      writes.add(pool.preparedQuery("UPDATE webhook_queue q SET next_attempt_at = u.at, lease_until = NULL, "
          + "attempts = q.attempts + u.counted FROM unnest($1::bigint[], $2::timestamptz[], $3::int[]) "
          + "AS u(id, at, counted) WHERE q.id = u.id").execute(Tuple.of(ids, at, counted)));
    }
    return Future.all(writes).mapEmpty();
  }

  private Future<Void> record(List<Attempt> attempts) {
    int n = attempts.size();
    String[] events = new String[n];
    String[] subscriptions = new String[n];
    Integer[] numbers = new Integer[n];
    String[] statuses = new String[n];
    String[] responses = new String[n];
    String[] errors = new String[n];
    Integer[] codes = new Integer[n];
    Double[] durations = new Double[n];
    OffsetDateTime[] next = new OffsetDateTime[n];
    Boolean[] last = new Boolean[n];
    for (int i = 0; i < n; i++) {
      Attempt a = attempts.get(i);
      events[i] = a.eventId();
      subscriptions[i] = a.subscriptionId();
      numbers[i] = a.number();
      statuses[i] = a.status();
      responses[i] = a.response();
      errors[i] = a.error();
      codes[i] = a.statusCode();
      durations[i] = a.durationMs();
      next[i] = a.nextRetryAt() == null ? null : OffsetDateTime.ofInstant(a.nextRetryAt(), ZoneOffset.UTC);
      last[i] = a.last();
    }
    return pool.preparedQuery("INSERT INTO event_deliveries (event_id, subscription_id, attempt_number, status, "
        + "method, response, error_message, status_code, duration_ms, delivered_at, next_retry_at, is_last_attempt) "
        + "SELECT e, s, n, st, 'webhook', r, er, c, d, NOW(), nr, l FROM unnest($1::varchar[], $2::varchar[], "
        + "$3::int[], $4::varchar[], $5::text[], $6::text[], $7::int[], $8::float8[], $9::timestamptz[], $10::bool[]) "
        + "AS u(e, s, n, st, r, er, c, d, nr, l)")
        .execute(Tuple.from(new Object[] {events, subscriptions, numbers, statuses, responses, errors, codes,
            durations, next, last})).mapEmpty();
  }

  /** A page of attempts, newest first, optionally of one subscription and/or status; {@code {total, items}}. */
  public Future<JsonObject> attempts(String subscription, String status, int limit, int offset) {
    String where = " WHERE ($1::text IS NULL OR subscription_id = $1) AND ($2::text IS NULL OR status = $2)";
    Future<Long> total = pool.preparedQuery("SELECT count(*) FROM event_deliveries" + where)
        .execute(Tuple.of(subscription, status)).map(rows -> rows.iterator().next().getLong(0));
    Future<JsonArray> items = pool.preparedQuery("SELECT event_id, subscription_id, attempt_number, status, method, "
        + "response, error_message, status_code, duration_ms, delivered_at, next_retry_at, is_last_attempt FROM "
        + "event_deliveries" + where + " ORDER BY delivered_at DESC, attempt_number DESC LIMIT $3 OFFSET $4")
        .execute(Tuple.of(subscription, status, limit, offset)).map(rows -> {
          JsonArray out = new JsonArray();
          for (Row r : rows) {
            out.add(new JsonObject().put("event_id", r.getString("event_id"))
                .put("subscription_id", r.getString("subscription_id")).put("attempt_number", r.getInteger("attempt_number"))
                .put("status", r.getString("status")).put("method", r.getString("method"))
                .put("status_code", r.getInteger("status_code")).put("duration_ms", r.getDouble("duration_ms"))
                .put("response", r.getString("response")).put("error_message", r.getString("error_message"))
                .put("delivered_at", Rows.time(r.getOffsetDateTime("delivered_at")))
                .put("next_retry_at", Rows.time(r.getOffsetDateTime("next_retry_at")))
                .put("is_last_attempt", r.getBoolean("is_last_attempt")));
          }
          return out;
        });
    return Future.all(total, items).map(v -> new JsonObject().put("total", total.result()).put("items", items.result()));
  }

  /**
   * Queues again the events whose last attempt for this subscription failed since {@code since}, their envelopes taken
   * from the event store; how many.
   */
  public Future<Integer> redrive(String subscription, Instant since) {
    return pool.preparedQuery("INSERT INTO webhook_queue (subscription_id, event_id, topic, payload) "
        + "SELECT DISTINCT d.subscription_id, d.event_id, e.topic, e.payload FROM event_deliveries d "
        + "JOIN events e ON e.event_id = d.event_id WHERE d.subscription_id = $1 AND d.is_last_attempt "
        + "AND d.status = 'failed' AND d.delivered_at >= $2 ON CONFLICT (subscription_id, event_id) DO NOTHING")
        .execute(Tuple.of(subscription, OffsetDateTime.ofInstant(since, ZoneOffset.UTC))).map(rows -> rows.rowCount());
  }
}
