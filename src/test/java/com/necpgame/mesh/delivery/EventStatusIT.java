package com.necpgame.mesh.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.kafka.DeadLetters;
import com.necpgame.mesh.kafka.EnvelopeRecords;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import com.necpgame.mesh.testsupport.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18: the real status of an event ({@code GET /events/{id}/status}), acknowledgements over REST and the
 * WebSocket, redelivery of unacknowledged events, and replays skipping {@code is_replayable: false} events. Two
 * principals share the mesh: alice owns the subscriptions, mallory tries to acknowledge them. The producer lingers
 * {@value #LINGER_MS} ms, so an accepted event stays unacknowledged by Kafka long enough to be seen {@code pending}.
 */
class EventStatusIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Vertx VERTX = Vertx.vertx();
  private static final String ALICE = "alice-key-0123456789";
  private static final String MALLORY = "mallory-key-0123456789";
  private static final int LINGER_MS = 1000;
  private static Mesh mesh;
  private static int port;
  private static String deadTopic;

  /** A local webhook receiver answering {@code status}, keeping the event id of every request. */
  static final class Receiver implements AutoCloseable {
    final List<String> received = Collections.synchronizedList(new ArrayList<>());
    final HttpServer server;

    Receiver(int status) throws Exception {
      server = VERTX.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
        received.add(new JsonObject(body.toString()).getString("event_id"));
        req.response().setStatusCode(status).end();
      })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    String url() {
      return "http://127.0.0.1:" + server.actualPort() + "/hook";
    }

    @Override
    public void close() {
      server.close();
    }
  }

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    deadTopic = TestKafka.createTopic("status.dead", 1);
    JsonArray groups = new JsonArray().add("events").add("ws").add("subscriptions").add("replay");
    JsonObject principals = new JsonObject()
        .put("alice", new JsonObject().put("api_keys", new JsonArray().add(ALICE))
            .put("publish", new JsonArray().add("game.*").add("sub.*")).put("subscribe", new JsonArray().add("game.*"))
            .put("endpoints", groups))
        .put("mallory", new JsonObject().put("api_keys", new JsonArray().add(MALLORY))
            .put("publish", new JsonArray().add("game.*")).put("subscribe", new JsonArray().add("game.*"))
            .put("endpoints", groups));
    port = TestMesh.freePort();
    mesh = Mesh.start(TestMesh.config(dir, port, new JsonObject()
        .put("kafka", new JsonObject().put("producer", new JsonObject().put("linger_ms", LINGER_MS)))
        .put("security", new JsonObject().put("anonymous", "deny").put("principals", principals))
        .put("delivery", new JsonObject().put("group", TestKafka.unique("status")).put("refresh_ms", 200)
            .put("dead_letter_topic", deadTopic).put("webhook", new JsonObject().put("poll_ms", 50)))));
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
    VERTX.close();
  }

  private static HttpResponse<String> call(String key, String method, String path, JsonObject body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("X-API-Key", key).header("content-type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonObject subscribe(JsonObject settings) throws Exception {
    HttpResponse<String> created = call(ALICE, "POST", "/subscriptions", new JsonObject()
        .put("service_name", "status-test").mergeIn(settings));
    assertEquals(201, created.statusCode(), created.body());
    // no wait for the next periodic read: the router reads the subscriptions again for a record produced after its
    // last read began when they changed since, and the dispatcher looks up a subscription it does not know yet
    // (SubscriptionInEffectIT); a socket joining a websocket subscription is told subscribed once its group is placed
    return new JsonObject(created.body());
  }

  private static JsonObject webhook(String topic, String url, boolean requiresAck, int maxRetries, int retryDelay)
      throws Exception {
    return subscribe(new JsonObject().put("method", "webhook").put("endpoint", url).put("topic_pattern", topic)
        .put("requires_ack", requiresAck).put("max_retries", maxRetries).put("retry_delay", retryDelay));
  }

  private static String publish(String topic, JsonObject extra) throws Exception {
    HttpResponse<String> published = call(ALICE, "POST", "/events/publish", new JsonObject().put("event_type",
        "game.kill").put("topic", topic).put("source", "status-test").mergeIn(extra));
    assertEquals(200, published.statusCode(), published.body());
    return new JsonObject(published.body()).getString("event_id");
  }

  private static HttpResponse<String> ack(String key, String event, String subscription) throws Exception {
    return call(key, "POST", "/events/" + event + "/ack", new JsonObject().put("subscription_id", subscription));
  }

  /** The status answer once it satisfies {@code until} (every status seen on the way is added to {@code seen}). */
  private static JsonObject status(String event, Predicate<JsonObject> until, Set<String> seen) throws Exception {
    JsonObject last = null;
    for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); System.nanoTime() < end; Thread.sleep(50)) {
      HttpResponse<String> answer = call(ALICE, "GET", "/events/" + event + "/status", null);
      if (answer.statusCode() == 200) {
        last = new JsonObject(answer.body());
        seen.add(last.getString("status"));
        if (until.test(last)) {
          return last;
        }
      } else {
        assertEquals(404, answer.statusCode(), answer.body()); // not indexed yet
      }
    }
    throw new AssertionError("timed out (60 s) waiting for the status; last: " + last);
  }

  private static JsonObject state(JsonObject status, String subscription) {
    return status.getJsonArray("subscriptions").stream().map(s -> (JsonObject) s)
        .filter(s -> subscription.equals(s.getString("subscription_id"))).findFirst().orElse(null);
  }

  private static String code(HttpResponse<String> response) {
    return new JsonObject(response.body()).getJsonObject("error").getString("code");
  }

  /**
   * While Kafka has not acknowledged an accepted event (the producer lingers), the accepting process answers {@code
   * pending} for it; then it is {@code published}.
   */
  @Test
  void anAcceptedEventIsPendingUntilKafkaAcknowledgesIt() throws Exception {
    String topic = TestKafka.createTopic("game.status-pending", 1);
    var inFlight = mesh.vertx().sharedData().<String, String>getLocalMap("mesh.events.pending");
    boolean sawPending = false;
    for (int attempt = 0; attempt < 3 && !sawPending; attempt++) { // a stall longer than the linger: try again
      CompletableFuture<String> published = CompletableFuture.supplyAsync(() -> {
        try {
          return publish(topic, new JsonObject());
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      String id = null;
      for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); id == null && !published.isDone()
          && System.nanoTime() < end; Thread.sleep(5)) {
        id = inFlight.keySet().stream().filter(k -> topic.equals(inFlight.get(k))).findFirst().orElse(null);
      }
      if (id != null) {
        HttpResponse<String> answer = call(ALICE, "GET", "/events/" + id + "/status", null);
        if (inFlight.containsKey(id)) { // still unacknowledged after the answer: it had to say pending
          assertEquals(200, answer.statusCode(), answer.body());
          JsonObject status = new JsonObject(answer.body());
          assertEquals("pending", status.getString("status"), status.encode());
          assertEquals(topic, status.getString("topic"));
          assertEquals(0, status.getInteger("retry_count"));
          sawPending = true;
        }
        assertEquals(id, published.get(30, TimeUnit.SECONDS));
        JsonObject after = status(id, s -> "published".equals(s.getString("status")), new LinkedHashSet<>());
        assertEquals(0, after.getInteger("partition"));
        assertNull(after.getString("processed_at"));
        assertTrue(after.getJsonArray("subscriptions").isEmpty(), "no subscription matches: " + after.encode());
      }
      published.get(30, TimeUnit.SECONDS);
    }
    assertTrue(sawPending, "the accepting process answered pending while Kafka had not acknowledged the event");
  }

  @Test
  void statusWalksPublishedDeliveredProcessedForAWebhookAcknowledgedOverRest() throws Exception {
    String topic = TestKafka.createTopic("game.status-ack", 1);
    try (Receiver receiver = new Receiver(200)) {
      String sub = webhook(topic, receiver.url(), true, 3, 60).getString("subscription_id");
      String event = publish(topic, new JsonObject());
      Set<String> seen = new LinkedHashSet<>();
      JsonObject delivered = status(event, s -> "delivered".equals(s.getString("status")), seen);
      JsonObject state = state(delivered, sub);
      assertEquals("delivered", state.getString("state"), delivered.encode());
      assertEquals(1, state.getInteger("attempts"));
      assertTrue(state.getBoolean("requires_ack"));
      assertNotNull(state.getString("delivered_at"));
      assertNull(delivered.getString("processed_at"));
      assertEquals(0, delivered.getInteger("retry_count"));
      assertEquals(1, delivered.getInteger("attempts"));

      HttpResponse<String> acked = ack(ALICE, event, sub);
      assertEquals(200, acked.statusCode(), acked.body());
      assertEquals("processed", new JsonObject(acked.body()).getString("state"));
      JsonObject processed = status(event, s -> "processed".equals(s.getString("status")), seen);
      assertNotNull(processed.getString("processed_at"));
      assertEquals("processed", state(processed, sub).getString("state"));
      HttpResponse<String> again = ack(ALICE, event, sub);
      assertEquals(200, again.statusCode(), "an acknowledgement is idempotent: " + again.body());
      assertEquals(new JsonObject(acked.body()).getString("processed_at"),
          new JsonObject(again.body()).getString("processed_at"), "the first acknowledgement stays");
      List<String> order = List.copyOf(seen); // published is missed only if the delivery beat the store's index
      assertTrue(order.equals(List.of("published", "delivered", "processed"))
          || order.equals(List.of("delivered", "processed")), "statuses seen, in order: " + order);
      Thread.sleep(500);
      assertEquals(List.of(event), receiver.received, "delivered once: acknowledged in time, never redelivered");

      // what cannot be acknowledged
      String plain = webhook(topic, receiver.url(), false, 3, 60).getString("subscription_id");
      HttpResponse<String> notRequired = ack(ALICE, event, plain);
      assertEquals(409, notRequired.statusCode(), notRequired.body());
      assertEquals("ack_not_required", code(notRequired));
      String before = TestKafka.unique("never-sent");
      HttpResponse<String> neverGot = ack(ALICE, before, sub);
      assertEquals(409, neverGot.statusCode(), neverGot.body());
      assertEquals("not_delivered", code(neverGot));
    }
  }

  /** The attack: mallory acknowledges alice's event on alice's subscription, so alice's consumer is never redelivered. */
  @Test
  void anotherPrincipalsAckIs404AndChangesNothing() throws Exception {
    String topic = TestKafka.createTopic("game.status-mallory", 1);
    try (Receiver receiver = new Receiver(200)) {
      String sub = webhook(topic, receiver.url(), true, 3, 60).getString("subscription_id");
      String event = publish(topic, new JsonObject());
      status(event, s -> "delivered".equals(s.getString("status")), new HashSet<>());
      HttpResponse<String> stolen = ack(MALLORY, event, sub);
      assertEquals(404, stolen.statusCode(), stolen.body());
      assertEquals("subscription_not_found", code(stolen));
      HttpResponse<String> missing = ack(MALLORY, event, "sub_does_not_exist");
      assertEquals(missing.body(), stolen.body().replace(sub, "sub_does_not_exist"),
          "the same answer as for a subscription that does not exist");
      JsonObject after = new JsonObject(call(ALICE, "GET", "/events/" + event + "/status", null).body());
      assertEquals("delivered", after.getString("status"), after.encode());
      assertEquals("delivered", state(after, sub).getString("state"));
    }
  }

  @Test
  void aReceiverThatNeverSucceedsMakesTheEventFailed() throws Exception {
    String topic = TestKafka.createTopic("game.status-fail", 1);
    try (Receiver receiver = new Receiver(500)) {
      String sub = webhook(topic, receiver.url(), false, 1, 1).getString("subscription_id");
      String event = publish(topic, new JsonObject());
      Set<String> seen = new LinkedHashSet<>();
      JsonObject failed = status(event, s -> "failed".equals(s.getString("status")), seen);
      JsonObject state = state(failed, sub);
      assertEquals("failed", state.getString("state"), failed.encode());
      assertEquals(2, state.getInteger("attempts"), "the first attempt and max_retries (1) retry");
      assertEquals("HTTP 500", state.getString("last_error"));
      assertEquals(1, failed.getInteger("retry_count"));
      assertEquals(2, failed.getInteger("attempts"));
      assertNull(failed.getString("processed_at"));
      assertTrue(!seen.contains("delivered") && !seen.contains("processed"), "seen: " + seen);
      assertEquals(List.of(event, event), receiver.received);
    }
  }

  @Test
  void anUnacknowledgedEventIsRedeliveredThenDeadLettered() throws Exception {
    String topic = TestKafka.createTopic("game.status-noack", 1);
    try (Receiver receiver = new Receiver(200)) {
      String sub = webhook(topic, receiver.url(), true, 2, 1).getString("subscription_id");
      String event = publish(topic, new JsonObject());
      JsonObject failed = status(event, s -> "failed".equals(s.getString("status")), new HashSet<>());
      assertEquals(List.of(event, event, event), receiver.received,
          "delivered, then redelivered max_retries (2) times after retry_delay without an acknowledgement");
      JsonObject state = state(failed, sub);
      assertEquals(3, state.getInteger("attempts"), failed.encode());
      assertTrue(state.getString("last_error").startsWith("not acknowledged within retry_delay"),
          state.getString("last_error"));
      assertEquals(2, failed.getInteger("retry_count"));
      List<ConsumerRecord<String, byte[]>> dead = List.of();
      for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); dead.isEmpty() && System.nanoTime() < end;
          Thread.sleep(200)) { // the dead letter is sent as the state is written; the producer lingers
        dead = TestKafka.records(deadTopic).stream()
            .filter(r -> event.equals(EnvelopeRecords.header(r.headers(), EnvelopeRecords.HEADER_EVENT_ID))).toList();
      }
      assertEquals(1, dead.size(), "dead-lettered once");
      assertTrue(EnvelopeRecords.header(dead.get(0).headers(), DeadLetters.REASON).contains("not acknowledged"));
      assertEquals(topic, EnvelopeRecords.header(dead.get(0).headers(), DeadLetters.SOURCE_TOPIC));
      HttpResponse<String> late = ack(ALICE, event, sub);
      assertEquals(409, late.statusCode(), "a dead-lettered event is not acknowledged any more: " + late.body());
      Thread.sleep(1500);
      assertEquals(3, receiver.received.size(), "nothing after the dead letter");
    }
  }

  @Test
  void aKafkaCopyAcknowledgedByTheBrokerIsDeliveredThenProcessedOnAck() throws Exception {
    String topic = TestKafka.createTopic("game.status-kafka", 1);
    String endpoint = TestKafka.unique("sub.status-copies");
    String sub = subscribe(new JsonObject().put("method", "kafka").put("topic_pattern", topic)
        .put("endpoint", endpoint).put("requires_ack", true)).getString("subscription_id");
    String event = publish(topic, new JsonObject());
    JsonObject delivered = status(event, s -> "delivered".equals(s.getString("status")), new HashSet<>());
    JsonObject state = state(delivered, sub);
    assertEquals("kafka", state.getString("method"), delivered.encode());
    assertEquals("delivered", state.getString("state"));
    assertEquals(1, state.getInteger("attempts"));
    assertEquals(List.of(event), TestKafka.records(endpoint).stream().map(r -> EnvelopeRecords.header(r.headers(),
        EnvelopeRecords.HEADER_EVENT_ID)).toList(), "the copy is in the subscription's topic");
    HttpResponse<String> acked = ack(ALICE, event, sub);
    assertEquals(200, acked.statusCode(), acked.body());
    assertEquals("processed", status(event, s -> "processed".equals(s.getString("status")), new HashSet<>())
        .getString("status"));
  }

  /**
   * A game server that writes its envelopes to Kafka itself sends no {@code event_id} header. The copy's status is
   * recorded under the envelope's id, the id the store and the ack route know it by (it was recorded under the
   * record's place, "topic-partition-offset", so the event's status never showed the copy and its ack was 404).
   */
  @Test
  void aCopyOfAnEventWrittenStraightToKafkaIsRecordedUnderItsEnvelopesId() throws Exception {
    String topic = TestKafka.createTopic("game.status-raw", 1);
    String endpoint = TestKafka.unique("sub.status-raw-copies");
    String sub = subscribe(new JsonObject().put("method", "kafka").put("topic_pattern", topic)
        .put("endpoint", endpoint).put("requires_ack", true)).getString("subscription_id");
    String event = UUID.randomUUID().toString();
    JsonObject envelope = new JsonObject().put("event_id", event).put("event_type", "game.kill")
        .put("timestamp", Instant.now().toString()).put("version", "1.0.0").put("source", "game-server")
        .put("data", new JsonObject().put("n", 1));
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
        TestKafka.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(topic, envelope.encode().getBytes(StandardCharsets.UTF_8)))
          .get(30, TimeUnit.SECONDS);
    }
    JsonObject delivered = status(event, s -> state(s, sub) != null, new HashSet<>());
    assertEquals("delivered", state(delivered, sub).getString("state"), delivered.encode());
    HttpResponse<String> acked = ack(ALICE, event, sub);
    assertEquals(200, acked.statusCode(), acked.body());
    assertEquals("processed", status(event, s -> "processed".equals(s.getString("status")), new HashSet<>())
        .getString("status"));
  }

  @Test
  void anAckFrameOnTheSubscriptionsSocketMakesTheEventProcessed() throws Exception {
    String topic = TestKafka.createTopic("game.status-ws", 1);
    String sub = subscribe(new JsonObject().put("method", "websocket").put("topic_pattern", topic)
        .put("requires_ack", true)).getString("subscription_id");
    try (WsClient ws = WsClient.connect(port, "access_token=" + ALICE)) {
      ws.send(new JsonObject().put("op", "subscribe").put("id", "s").put("subscription", sub));
      assertEquals("subscribed", ws.next(f -> !"event".equals(f.getString("type")), 30).getString("type"));
      HttpResponse<String> early = ack(ALICE, TestKafka.unique("unknown"), sub);
      assertEquals(409, early.statusCode(), "an event the store does not have: " + early.body());
      String event = publish(topic, new JsonObject());
      JsonObject frame = ws.next(f -> "event".equals(f.getString("type")), 30);
      assertEquals(event, frame.getJsonObject("event").getString("event_id"));
      status(event, s -> true, new HashSet<>()); // indexed
      ws.send(new JsonObject().put("op", "ack").put("ref", 7).put("event_id", event));
      JsonObject acked = ws.next(f -> "acked".equals(f.getString("type")) || "error".equals(f.getString("type")), 30);
      assertEquals("acked", acked.getString("type"), acked.encode());
      assertEquals(7, acked.getInteger("ref"));
      assertEquals(sub, acked.getString("subscription_id"));
      JsonObject processed = status(event, s -> "processed".equals(s.getString("status")), new HashSet<>());
      assertEquals("processed", state(processed, sub).getString("state"));
      assertNotNull(processed.getString("processed_at"));
    }
    try (WsClient ws = WsClient.connect(port, "access_token=" + ALICE)) {
      ws.send(new JsonObject().put("op", "ack").put("ref", 1).put("event_id", "e"));
      JsonObject error = ws.next(30);
      assertEquals(409, error.getInteger("status"), "a socket that joined no subscription: " + error.encode());
    }
  }

  @Test
  void aReplayWindowSkipsExactlyTheNonReplayableEvents() throws Exception {
    String source = TestKafka.createTopic("game.status-replay", 2);
    String target = TestKafka.createTopic("game.status-replayed", 1);
    Instant start = Instant.now().minusSeconds(5);
    Set<String> replayable = new HashSet<>();
    Set<String> skipped = new HashSet<>();
    JsonArray events = new JsonArray();
    for (int i = 0; i < 7; i++) { // 0, 3, 6 are not replayable
      events.add(new JsonObject().put("event_type", "game.kill").put("topic", source).put("source", "status-test")
          .put("is_replayable", i % 3 == 0 ? false : true));
    }
    HttpResponse<String> published = call(ALICE, "POST", "/events/publish/batch", new JsonObject().put("events",
        events));
    assertEquals(200, published.statusCode(), published.body());
    JsonArray results = new JsonObject(published.body()).getJsonArray("results");
    for (int i = 0; i < 7; i++) {
      (i % 3 == 0 ? skipped : replayable).add(results.getJsonObject(i).getString("event_id"));
    }
    JsonObject stored = status(skipped.iterator().next(), s -> true, new HashSet<>());
    assertEquals(false, stored.getBoolean("is_replayable"), "stored as published: " + stored.encode());
    HttpResponse<String> bad = call(ALICE, "POST", "/events/publish", new JsonObject().put("event_type", "game.kill")
        .put("topic", source).put("source", "status-test").put("is_replayable", "no"));
    assertEquals(400, bad.statusCode(), bad.body());
    assertTrue(bad.body().contains("/is_replayable"), bad.body());

    HttpResponse<String> created = call(ALICE, "POST", "/replay", new JsonObject().put("topic", source)
        .put("start_time", start.toString())
        .put("target", new JsonObject().put("topic", target)));
    assertEquals(202, created.statusCode(), created.body());
    String replay = new JsonObject(created.body()).getString("replay_id");
    JsonObject job = null;
    for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); System.nanoTime() < end; Thread.sleep(100)) {
      job = new JsonObject(call(ALICE, "GET", "/replay/" + replay + "/status", null).body());
      if ("completed".equals(job.getString("state"))) {
        break;
      }
    }
    assertEquals("completed", job.getString("state"), job.encode());
    assertEquals(7, job.getLong("events_scanned"));
    assertEquals(3, job.getLong("events_skipped"), job.encode());
    assertEquals(4, job.getLong("events_matched"));
    assertEquals(4, job.getLong("events_delivered"));
    Set<String> replayed = new HashSet<>();
    TestKafka.records(target).forEach(r -> replayed.add(new JsonObject(new String(r.value(),
        StandardCharsets.UTF_8)).getString("event_id")));
    assertEquals(replayable, replayed, "exactly the replayable events");
  }
}
