package com.necpgame.mesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.config.TopicSpec;
import com.necpgame.mesh.idempotency.PublishKeys;
import com.necpgame.mesh.kafka.TopicProvisioner;
import com.necpgame.mesh.store.Database;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import io.vertx.sqlclient.Tuple;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The idempotency store (PostgreSQL) from the gateway's side: while it does not answer (the key table locked by
 * another session, so every statement on it waits) a keyed publish is 503 with Retry-After and sends nothing, an
 * unkeyed one goes on; afterwards keys work again. Expired keys are deleted in bounded batches, and a key past its
 * window is a new key.
 */
class IdempotencyStoreIT {

  private static final long DB_TIMEOUT_MS = 500;
  private static final int BATCH = 100;
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void keyedPublishesAre503WhileTheStoreDoesNotAnswerAndUnkeyedOnesGoOn(@TempDir Path dir) throws Exception {
    int port = TestMesh.freePort();
    String topic = TestKafka.unique("game.idemdb");
    JsonObject off = new JsonObject().put("enabled", false);
    Mesh mesh = Mesh.start(TestMesh.config(dir, port, new JsonObject()
        .put("topics", new JsonObject().put("create_on_start", false))
        .put("bridge", new JsonObject().put("outbound", new JsonArray()))
        .put("verticles", new JsonObject().put("store", off).put("delivery", off).put("replay", off))
        .put("idempotency", new JsonObject().put("db_timeout_ms", DB_TIMEOUT_MS).put("in_flight_wait_ms", 20_000))));
    Vertx vertx = Vertx.vertx();
    try {
      new TopicProvisioner(mesh.context().admin(), 1, Duration.ofSeconds(30))
          .ensure(List.of(new TopicSpec(topic, 3, Optional.empty(), Map.of(), false)));
      Pool pool = Database.pool(vertx, PgConnectOptions.fromUri(mesh.context().config().database().url()), 2);
      JsonObject before = ack(publish(port, event(topic, 1), "before"), false);

      // another session holds the key table: every statement on it waits past idempotency.db_timeout_ms
      SqlConnection locker = await(pool.getConnection());
      Transaction tx = await(locker.begin());
      await(locker.query("LOCK TABLE publish_keys IN ACCESS EXCLUSIVE MODE").execute());
      long started = System.nanoTime();
      HttpResponse<String> during = publish(port, event(topic, 2), "during");
      long keyedMs = (System.nanoTime() - started) / 1_000_000;
      assertUnavailable(during);
      assertUnavailable(publish(port, event(topic, 1), "before")); // even a repeat: its answer is in the store
      started = System.nanoTime();
      JsonObject unkeyed = ack(publish(port, event(topic, 3), null), null);
      long unkeyedMs = (System.nanoTime() - started) / 1_000_000;
      HttpResponse<String> batch = post(port, "/events/publish/batch", new JsonObject().put("events", new JsonArray()
          .add(event(topic, 4)).add(event(topic, 5).put("idempotency_key", "batch-during"))), null);
      assertEquals(207, batch.statusCode(), batch.body());
      JsonArray results = new JsonObject(batch.body()).getJsonArray("results");
      assertEquals(Boolean.TRUE, results.getJsonObject(0).getBoolean("published"), results.encode());
      assertEquals(503, results.getJsonObject(1).getInteger("status"), results.encode());
      System.out.println("store locked: keyed publish answered 503 in " + keyedMs + " ms (db_timeout_ms "
          + DB_TIMEOUT_MS + "), unkeyed published in " + unkeyedMs + " ms");
      assertTrue(keyedMs < 10_000, "a keyed publish is answered, not left waiting: " + keyedMs + " ms");
      await(tx.rollback());
      locker.close();

      // the store answers again: keys work, and what was answered before is answered the same
      JsonObject after = ack(publish(port, event(topic, 6), "after"), false);
      assertEquals(before.copy().put("replayed", true), ack(publish(port, event(topic, 1), "before"), true));

      List<String> ids = TestKafka.envelopes(topic).stream().map(e -> e.getString("event_id")).toList();
      assertEquals(List.of(before.getString("event_id"), unkeyed.getString("event_id"),
          results.getJsonObject(0).getString("event_id"), after.getString("event_id")).stream().sorted().toList(),
          ids.stream().sorted().toList(), "nothing of the refused keyed publishes reached Kafka");

      // a key past its window is a new key, even with another body
      await(pool.preparedQuery("INSERT INTO publish_keys (principal, idem_key, body_hash, event_id, topic, state, "
          + "partition, \"offset\", expires_at) VALUES ('anonymous', 'k:old', 'x', 'e', $1, 'published', 0, 0, "
          + "now() - interval '1 second')").execute(Tuple.of(topic)));
      ack(publish(port, event(topic, 7), "old"), false);

      // expired keys go in bounded batches; live ones stay
      await(pool.query("INSERT INTO publish_keys (principal, idem_key, body_hash, event_id, topic, state, expires_at) "
          + "SELECT 'p', 'k:' || g, 'h', 'e' || g, 't', 'published', now() - interval '1 minute' "
          + "FROM generate_series(1, 2500) g").execute());
      PublishKeys keys = new PublishKeys(pool);
      int first = await(keys.expire(1000));
      assertEquals(1000, first);
      long expired = 0;
      for (int deleted = first; deleted > 0; deleted = await(keys.expire(1000))) {
        expired += deleted;
        assertTrue(deleted <= 1000);
      }
      assertTrue(expired >= 2500, "every expired key deleted: " + expired);
      long live = await(pool.query("SELECT count(*) FROM publish_keys WHERE expires_at > now()").execute())
          .iterator().next().getLong(0);
      assertEquals(5, live, "the keys before, after, old, during (claimed once the lock went) and batch-during stay");
      assertFalse(await(pool.query("SELECT 1 FROM publish_keys WHERE expires_at <= now()").execute()).iterator()
          .hasNext());

      // a batch's new keys cost a constant number of writing transactions (they were two per event); a key given
      // twice in a batch is published once; a repeat and a reused key in the same batch are answered as alone
      JsonArray many = new JsonArray();
      for (int i = 0; i < BATCH; i++) {
        many.add(event(topic, 100 + i).put("idempotency_key", "many-" + i));
      }
      many.add(event(topic, 100).put("idempotency_key", "many-0"))
          .add(event(topic, 1).put("idempotency_key", "before"))
          .add(event(topic, 2).put("idempotency_key", "before"));
      long xidBefore = xid(pool);
      HttpResponse<String> manyAnswer = post(port, "/events/publish/batch", new JsonObject().put("events", many), null);
      long writes = xid(pool) - xidBefore - 1;
      assertEquals(207, manyAnswer.statusCode(), manyAnswer.body());
      JsonArray manyResults = new JsonObject(manyAnswer.body()).getJsonArray("results");
      for (int i = 0; i < BATCH; i++) {
        assertEquals(Boolean.FALSE, manyResults.getJsonObject(i).getBoolean("replayed"), manyResults.encode());
      }
      JsonObject twice = manyResults.getJsonObject(BATCH);
      assertEquals(Boolean.TRUE, twice.getBoolean("replayed"), twice.encode());
      assertEquals(manyResults.getJsonObject(0).getString("event_id"), twice.getString("event_id"));
      assertEquals(before.getString("event_id"), manyResults.getJsonObject(BATCH + 1).getString("event_id"));
      assertEquals(Boolean.TRUE, manyResults.getJsonObject(BATCH + 1).getBoolean("replayed"));
      assertEquals(409, manyResults.getJsonObject(BATCH + 2).getInteger("status"), manyResults.encode());
      System.out.println("a batch of " + BATCH + " new keys (and 3 held): " + writes + " writing transactions");
      assertTrue(writes < 20, "the batch's keys were claimed and recorded together: " + writes + " writes");
      long sent = TestKafka.envelopes(topic).stream().filter(e -> e.getJsonObject("data").getInteger("n") >= 100)
          .count();
      assertEquals(BATCH, sent, "each new key once in Kafka");
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      mesh.close();
    }
  }

  /** The next transaction id (taking one): every transaction that wrote since took one too. */
  private static long xid(Pool pool) throws Exception {
    return await(pool.query("SELECT txid_current()").execute()).iterator().next().getLong(0);
  }

  private static void assertUnavailable(HttpResponse<String> response) {
    assertEquals(503, response.statusCode(), response.body());
    assertEquals("idempotency_unavailable", new JsonObject(response.body()).getJsonObject("error").getString("code"));
    assertTrue(response.headers().firstValue("Retry-After").isPresent(), response.headers().map().toString());
  }

  private static JsonObject ack(HttpResponse<String> response, Boolean replayed) {
    assertEquals(200, response.statusCode(), response.body());
    JsonObject ack = new JsonObject(response.body());
    assertEquals(replayed, ack.getBoolean("replayed"), response.body());
    return ack;
  }

  private static JsonObject event(String topic, int n) {
    return new JsonObject().put("event_type", "game.trade.done").put("topic", topic).put("source", "idem-db")
        .put("payload", new JsonObject().put("n", n));
  }

  private static HttpResponse<String> publish(int port, JsonObject event, String key) throws Exception {
    return post(port, "/events/publish", event, key);
  }

  private static HttpResponse<String> post(int port, String path, JsonObject body, String key) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30)).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()));
    if (key != null) {
      request.header("Idempotency-Key", key);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
