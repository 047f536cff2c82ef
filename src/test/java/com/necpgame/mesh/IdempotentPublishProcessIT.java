package com.necpgame.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.idempotency.PublishKey;
import com.necpgame.mesh.kafka.EnvelopeRecords;
import com.necpgame.mesh.store.Database;
import com.necpgame.mesh.testsupport.MeshProcess;
import com.necpgame.mesh.testsupport.TestKafka;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two mesh processes (the jar, two JVMs) on one broker and one database: a publish retried on the other process, by
 * its own event_id, its Idempotency-Key or a batch event's idempotency_key, answers the first acknowledgement and
 * Kafka holds the event once; another body under the same key is 409; another principal's same key is its own; a
 * repeat while the first is in flight is 409 in_progress; an abandoned claim whose event never reached Kafka is sent,
 * once, with the id it fixed. Process A holds every keyed acknowledgement {@code HOLD_MS} before recording it
 * ({@code idempotency.hold_after_ack_ms}, a test-only setting) so "in flight" is a window the test can hit.
 */
class IdempotentPublishProcessIT {

  private static final long HOLD_MS = 6000;
  private static final String ALICE = "alice-key-0123456789";
  private static final String BOB = "bob-key-0123456789ab";

  @Test
  void aRetryOnAnotherProcessAnswersTheFirstAcknowledgementAndKafkaHoldsTheEventOnce(@TempDir Path dir)
      throws Exception {
    String topic = TestKafka.createTopic("game.idem", 3);
    JsonObject config = MeshProcess.sharedConfig(TestKafka.unique("idem"));
    JsonObject off = new JsonObject().put("enabled", false);
    config.getJsonObject("verticles").put("store", off).put("delivery", off).put("replay", off);
    config.getJsonObject("security").put("anonymous", "deny").put("principals", new JsonObject()
        .put("alice", principal(ALICE)).put("bob", principal(BOB)));
    String databaseUrl = config.getJsonObject("database").getString("url");
    JsonObject heldConfig = config.copy().put("idempotency", new JsonObject().put("hold_after_ack_ms", HOLD_MS)
        .put("in_flight_wait_ms", 300));
    config.put("idempotency", new JsonObject().put("in_flight_wait_ms", 300));
    Set<String> acknowledged = new HashSet<>();
    List<MeshProcess> both = MeshProcess.startAll(new MeshProcess.Spec("idem-a", dir.resolve("a"), heldConfig),
        new MeshProcess.Spec("idem-b", dir.resolve("b"), config));
    MeshProcess a = both.get(0);
    MeshProcess b = both.get(1);
    try {

      // its own event_id, published on B, retried on A
      String eventId = UUID.randomUUID().toString();
      JsonObject withId = event(topic, 1).put("event_id", eventId);
      JsonObject first = ok(b.post("/events/publish", withId, "X-API-Key", ALICE), false);
      assertEquals(eventId, first.getString("event_id"));
      HttpResponse<String> again = a.post("/events/publish", withId, "X-API-Key", ALICE);
      assertEquals(first.put("replayed", true), ok(again, true));
      assertEquals("true", again.headers().firstValue("Idempotent-Replayed").orElse(null));
      acknowledged.add(eventId);

      // an Idempotency-Key, published on B, retried on A
      JsonObject order = event(topic, 2);
      JsonObject keyed = ok(b.post("/events/publish", order, "X-API-Key", ALICE, "Idempotency-Key", "order-1"), false);
      assertEquals(keyed.copy().put("replayed", true),
          ok(a.post("/events/publish", order, "X-API-Key", ALICE, "Idempotency-Key", "order-1"), true));
      acknowledged.add(keyed.getString("event_id"));

      // the same key with another body: 409, nothing written
      HttpResponse<String> reused = a.post("/events/publish", event(topic, 3), "X-API-Key", ALICE, "Idempotency-Key",
          "order-1");
      assertEquals(409, reused.statusCode(), reused.body());
      assertEquals("idempotency_key_reused", error(reused));

      // another principal's same key is a key of its own
      JsonObject bobs = ok(b.post("/events/publish", order, "X-API-Key", BOB, "Idempotency-Key", "order-1"), false);
      assertNotEquals(keyed.getString("event_id"), bobs.getString("event_id"));
      acknowledged.add(bobs.getString("event_id"));

      // a batch, each event with its idempotency_key, retried whole on the other process
      JsonObject batch = new JsonObject().put("events", new JsonArray()
          .add(event(topic, 4).put("idempotency_key", "batch-1")).add(event(topic, 5).put("idempotency_key", "batch-2")));
      HttpResponse<String> firstBatch = b.post("/events/publish/batch", batch, "X-API-Key", ALICE);
      assertEquals(200, firstBatch.statusCode(), firstBatch.body());
      HttpResponse<String> batchAgain = a.post("/events/publish/batch", batch, "X-API-Key", ALICE);
      assertEquals(200, batchAgain.statusCode(), batchAgain.body());
      assertEquals("true", batchAgain.headers().firstValue("Idempotent-Replayed").orElse(null));
      JsonArray firstResults = new JsonObject(firstBatch.body()).getJsonArray("results");
      JsonArray againResults = new JsonObject(batchAgain.body()).getJsonArray("results");
      for (int i = 0; i < 2; i++) {
        assertEquals(firstResults.getJsonObject(i).copy().put("replayed", true), againResults.getJsonObject(i));
        acknowledged.add(firstResults.getJsonObject(i).getString("event_id"));
      }
      HttpResponse<String> headerOnBatch = b.post("/events/publish/batch", batch, "X-API-Key", ALICE,
          "Idempotency-Key", "whole-batch");
      assertEquals(400, headerOnBatch.statusCode(), headerOnBatch.body());

      // malformed keys and ids: 400; no credentials or a topic outside the ACL: as without a key
      assertEquals(400, b.post("/events/publish", event(topic, 6), "X-API-Key", ALICE, "Idempotency-Key",
          "k".repeat(256)).statusCode());
      assertEquals(400, b.post("/events/publish", event(topic, 6).put("idempotency_key", ""), "X-API-Key", ALICE)
          .statusCode());
      assertEquals(400, b.post("/events/publish", event(topic, 6).put("event_id", "not-a-uuid"), "X-API-Key", ALICE)
          .statusCode());
      HttpResponse<String> anonymous = b.post("/events/publish", event(topic, 6), "Idempotency-Key", "anon-1");
      assertEquals(401, anonymous.statusCode(), anonymous.body());
      HttpResponse<String> outside = b.post("/events/publish", event("economy.orders", 6), "X-API-Key", ALICE,
          "Idempotency-Key", "outside-1");
      assertEquals(403, outside.statusCode(), outside.body());

      // in flight: A holds its acknowledgement; the same key on B meanwhile is 409 in_progress with Retry-After
      JsonObject slow = event(topic, 7);
      int before = TestKafka.records(topic).size();
      CompletableFuture<HttpResponse<String>> held = CompletableFuture.supplyAsync(() -> {
        try {
          return a.post("/events/publish", slow, "X-API-Key", ALICE, "Idempotency-Key", "slow-1");
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); TestKafka.records(topic).size() == before; ) {
        assertTrue(System.nanoTime() < end, "A's held publish reached Kafka");
        Thread.sleep(50);
      }
      HttpResponse<String> busy = b.post("/events/publish", slow, "X-API-Key", ALICE, "Idempotency-Key", "slow-1");
      JsonObject slowAck = ok(held.get(60, TimeUnit.SECONDS), false);
      assertEquals(409, busy.statusCode(), busy.body() + " (A held its acknowledgement " + HOLD_MS + " ms)");
      assertEquals("in_progress", error(busy));
      assertTrue(busy.headers().firstValue("Retry-After").isPresent());
      assertEquals(slowAck.copy().put("replayed", true),
          ok(b.post("/events/publish", slow, "X-API-Key", ALICE, "Idempotency-Key", "slow-1"), true));
      acknowledged.add(slowAck.getString("event_id"));

      // an abandoned claim (its process died before sending): the retry sends the event once, with the fixed id
      JsonObject lost = event(topic, 8);
      String fixedId = UUID.randomUUID().toString();
      abandonedClaim(databaseUrl, "alice", "k:lost-1", PublishKey.hash(lost), fixedId, topic);
      JsonObject recovered = ok(b.post("/events/publish", lost, "X-API-Key", ALICE, "Idempotency-Key", "lost-1"),
          false);
      assertEquals(fixedId, recovered.getString("event_id"));
      assertEquals(recovered.copy().put("replayed", true),
          ok(a.post("/events/publish", lost, "X-API-Key", ALICE, "Idempotency-Key", "lost-1"), true));
      acknowledged.add(fixedId);
    } finally {
      MeshProcess.closeAll(both);
    }

    Map<String, Integer> inKafka = new HashMap<>();
    for (ConsumerRecord<String, byte[]> r : TestKafka.records(topic)) {
      inKafka.merge(EnvelopeRecords.header(r.headers(), EnvelopeRecords.HEADER_EVENT_ID), 1, Integer::sum);
    }
    System.out.println("idempotent publish: acknowledged " + acknowledged.size() + ", in Kafka " + inKafka);
    assertEquals(acknowledged, inKafka.keySet(), "Kafka holds every acknowledged event and nothing else");
    inKafka.forEach((id, n) -> assertEquals(1, n, id + " is in Kafka once"));
  }

  private static JsonObject principal(String key) {
    return new JsonObject().put("api_keys", new JsonArray().add(key)).put("publish", new JsonArray().add("game.*"))
        .put("endpoints", new JsonArray().add("events"));
  }

  private static JsonObject event(String topic, int n) {
    return new JsonObject().put("event_type", "game.trade.done").put("topic", topic).put("source", "idem-it")
        .put("payload", new JsonObject().put("n", n));
  }

  /** The acknowledgement of a 200, which says whether it was a replay. */
  private static JsonObject ok(HttpResponse<String> response, boolean replayed) {
    assertEquals(200, response.statusCode(), response.body());
    JsonObject ack = new JsonObject(response.body());
    assertEquals(replayed, ack.getBoolean("replayed"), response.body());
    if (!replayed) {
      assertNull(response.headers().firstValue("Idempotent-Replayed").orElse(null));
    }
    return ack;
  }

  private static String error(HttpResponse<String> response) {
    return new JsonObject(response.body()).getJsonObject("error").getString("code");
  }

  /** The row a process leaves when it dies between claiming a key and sending its event, an hour ago. */
  private static void abandonedClaim(String url, String principal, String key, String hash, String eventId,
      String topic) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Pool pool = Database.pool(vertx, PgConnectOptions.fromUri(url), 1);
      pool.preparedQuery("INSERT INTO publish_keys (principal, idem_key, body_hash, event_id, topic, state, "
          + "created_at, claimed_at, expires_at) VALUES ($1, $2, $3, $4, $5, 'pending', now() - interval '1 hour', "
          + "now() - interval '1 hour', now() + interval '1 hour')")
          .execute(Tuple.of(principal, key, hash, eventId, topic))
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
