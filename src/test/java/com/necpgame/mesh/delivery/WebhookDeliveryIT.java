package com.necpgame.mesh.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.kafka.DeadLetters;
import com.necpgame.mesh.kafka.EnvelopeRecords;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Webhook subscriptions against receivers running in the test (each on its own port, so each has its own circuit
 * breaker): signatures, retries with their delivery rows, dead letters and redrive, the breaker, batching and the
 * rate limit.
 */
class WebhookDeliveryIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Vertx VERTX = Vertx.vertx();
  private static Mesh mesh;
  private static int port;

  /** A local webhook receiver: answers what {@code status} says and keeps every request. */
  static final class Receiver implements AutoCloseable {
    final List<JsonObject> requests = Collections.synchronizedList(new ArrayList<>());
    final HttpServer server;
    volatile IntSupplier status = () -> 200;

    Receiver() throws Exception {
      server = VERTX.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
        int answer = status.getAsInt();
        requests.add(new JsonObject().put("id", req.getHeader("webhook-id"))
            .put("timestamp", req.getHeader("webhook-timestamp")).put("signature", req.getHeader("webhook-signature"))
            .put("body", body.toString()).put("status", answer).put("at", System.currentTimeMillis()));
        req.response().setStatusCode(answer).putHeader("retry-after", answer == 503 ? "1" : "0").end();
      })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    String url(String path) {
      return "http://127.0.0.1:" + server.actualPort() + path;
    }

    /** Event ids in the bodies of the requests answered 2xx. */
    List<String> delivered() {
      List<String> out = new ArrayList<>();
      synchronized (requests) {
        for (JsonObject r : requests) {
          if (r.getInteger("status") / 100 == 2) {
            String body = r.getString("body");
            if (body.startsWith("[")) {
              new JsonArray(body).forEach(e -> out.add(((JsonObject) e).getString("event_id")));
            } else {
              out.add(new JsonObject(body).getString("event_id"));
            }
          }
        }
      }
      return out;
    }

    @Override
    public void close() {
      server.close();
    }
  }

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    port = TestMesh.freePort();
    mesh = Mesh.start(TestMesh.config(dir, port, new JsonObject().put("delivery", new JsonObject()
        .put("group", TestKafka.unique("webhooks")).put("refresh_ms", 200)
        .put("webhook", new JsonObject().put("poll_ms", 50).put("timeout_ms", 2000).put("breaker_max_failures", 3)
            .put("breaker_reset_ms", 1500)))));
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
    VERTX.close();
  }

  private static HttpResponse<String> call(String method, String path, JsonObject body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("content-type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonObject subscribe(String topic, String url, JsonObject settings) throws Exception {
    HttpResponse<String> created = call("POST", "/subscriptions", new JsonObject().put("service_name", "hooks")
        .put("method", "webhook").put("endpoint", url).put("topic_pattern", topic).put("retry_delay", 1)
        .mergeIn(settings));
    // no wait for the next periodic read: the router reads the subscriptions again for a record produced after its
    // last read began when they changed since, and the dispatcher looks up a subscription it does not know yet
    // (SubscriptionInEffectIT)
    assertEquals(201, created.statusCode(), created.body());
    return new JsonObject(created.body());
  }

  /** Publishes {@code count} game.kill events (and one game.chat the subscriptions below do not ask for). */
  private static List<String> publish(String topic, int count) throws Exception {
    JsonArray events = new JsonArray();
    for (int i = 0; i < count; i++) {
      events.add(new JsonObject().put("event_type", "game.kill").put("topic", topic).put("source", "hook-test")
          .put("payload", new JsonObject().put("n", i)));
    }
    events.add(new JsonObject().put("event_type", "game.chat").put("topic", topic).put("source", "hook-test"));
    HttpResponse<String> response = call("POST", "/events/publish/batch", new JsonObject().put("events", events));
    assertEquals(200, response.statusCode(), response.body());
    List<String> ids = new ArrayList<>();
    JsonArray results = new JsonObject(response.body()).getJsonArray("results");
    for (int i = 0; i < count; i++) {
      ids.add(results.getJsonObject(i).getString("event_id"));
    }
    return ids;
  }

  private static JsonArray deliveries(String subscription) throws Exception {
    return new JsonArray(call("GET", "/deliveries?subscription=" + subscription + "&limit=1000", null).body());
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); !condition.getAsBoolean(); Thread.sleep(50)) {
      assertTrue(System.nanoTime() < end, "timed out waiting until " + what);
    }
  }

  private static JsonArray types() {
    return new JsonArray().add("game.kill");
  }

  @Test
  void eachMatchingEventArrivesOnceSignedWithTheSubscriptionsSecret() throws Exception {
    String topic = TestKafka.createTopic("game.hooks", 3);
    try (Receiver receiver = new Receiver()) {
      JsonObject sub = subscribe(topic, receiver.url("/ok"), new JsonObject().put("event_types", types()));
      List<String> ids = publish(topic, 20);
      await("20 deliveries", () -> receiver.delivered().size() >= 20);
      Thread.sleep(500);
      assertEquals(new HashSet<>(ids), new HashSet<>(receiver.delivered()));
      assertEquals(20, receiver.requests.size(), "once each, no game.chat");
      String secret = sub.getString("secret");
      for (JsonObject r : receiver.requests) {
        byte[] body = r.getString("body").getBytes(StandardCharsets.UTF_8);
        long timestamp = Long.parseLong(r.getString("timestamp"));
        assertEquals(new JsonObject(r.getString("body")).getString("event_id"), r.getString("id"));
        assertTrue(WebhookSignature.verify(secret, r.getString("id"), timestamp, body, r.getString("signature")));
        assertFalse(WebhookSignature.verify(WebhookSignature.newSecret(), r.getString("id"), timestamp, body,
            r.getString("signature")), "a wrong secret fails verification");
        assertTrue(Math.abs(timestamp - Instant.now().getEpochSecond()) < 120);
      }
      JsonArray rows = deliveries(sub.getString("subscription_id"));
      assertEquals(20, rows.size());
      rows.forEach(row -> {
        JsonObject d = (JsonObject) row;
        assertEquals("delivered", d.getString("status"));
        assertEquals(1, d.getInteger("attempt_number"));
        assertEquals(200, d.getInteger("status_code"));
        assertTrue(d.getBoolean("is_last_attempt"));
      });
    }
  }

  @Test
  void aReceiverFailingThreeTimesGetsTheEventOnTheFourthAttemptWithFourRows() throws Exception {
    String topic = TestKafka.createTopic("game.hooks-flaky", 1);
    try (Receiver receiver = new Receiver()) {
      AtomicInteger calls = new AtomicInteger();
      receiver.status = () -> calls.incrementAndGet() <= 3 ? 500 : 204;
      JsonObject sub = subscribe(topic, receiver.url("/flaky"), new JsonObject().put("max_retries", 3)
          .put("event_types", types()));
      String id = publish(topic, 1).get(0);
      await("the fourth attempt", () -> receiver.delivered().contains(id));
      JsonArray rows = deliveries(sub.getString("subscription_id"));
      for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); rows.size() < 4 && System.nanoTime() < end;
          Thread.sleep(50)) {
        rows = deliveries(sub.getString("subscription_id"));
      }
      assertEquals(4, rows.size(), rows.encodePrettily());
      List<JsonObject> byAttempt = new ArrayList<>();
      rows.forEach(r -> byAttempt.add((JsonObject) r));
      byAttempt.sort((a, b) -> a.getInteger("attempt_number") - b.getInteger("attempt_number"));
      for (int i = 0; i < 3; i++) {
        JsonObject failed = byAttempt.get(i);
        assertEquals(i + 1, failed.getInteger("attempt_number"), rows.encodePrettily());
        assertEquals("failed", failed.getString("status"));
        assertEquals(500, failed.getInteger("status_code"));
        assertFalse(failed.getBoolean("is_last_attempt"));
        assertTrue(failed.getString("next_retry_at") != null);
      }
      assertEquals("delivered", byAttempt.get(3).getString("status"));
      assertTrue(byAttempt.get(3).getBoolean("is_last_attempt"));
      long first = receiver.requests.get(0).getLong("at");
      long fourth = receiver.requests.get(3).getLong("at");
      assertTrue(fourth - first >= (long) ((1 + 2 + 4) * 800), "backoff 1 s, 2 s, 4 s (±20 %): " + (fourth - first));
    }
  }

  @Test
  void exhaustedDeliveriesGoToTheDeadLetterTopicAndRedriveDeliversThem() throws Exception {
    String topic = TestKafka.createTopic("game.hooks-never", 1);
    try (Receiver receiver = new Receiver()) {
      receiver.status = () -> 503;
      JsonObject sub = subscribe(topic, receiver.url("/never"), new JsonObject().put("max_retries", 1)
          .put("event_types", types()));
      String subscription = sub.getString("subscription_id");
      Instant before = Instant.now().minusSeconds(1);
      String id = publish(topic, 1).get(0);
      ConsumerRecord<String, byte[]> dead = deadLetter(id);
      assertTrue(EnvelopeRecords.header(dead.headers(), DeadLetters.REASON).contains("HTTP 503"));
      assertEquals(topic, EnvelopeRecords.header(dead.headers(), DeadLetters.SOURCE_TOPIC));
      assertEquals("subscription:" + subscription, EnvelopeRecords.header(dead.headers(), DeadLetters.ADDRESS));
      assertEquals("2", EnvelopeRecords.header(dead.headers(), DeadLetters.ATTEMPTS));
      assertEquals(id, new JsonObject(new String(dead.value(), StandardCharsets.UTF_8)).getString("event_id"));
      JsonArray failed = new JsonArray(call("GET", "/deliveries?subscription=" + subscription + "&status=failed", null)
          .body());
      assertEquals(2, failed.size());
      assertEquals(1, failed.stream().filter(f -> ((JsonObject) f).getBoolean("is_last_attempt")).count());

      receiver.status = () -> 200;
      await("the event store has the event", () -> {
        try {
          return call("GET", "/events/" + id + "/status", null).statusCode() == 200;
        } catch (Exception e) {
          return false;
        }
      });
      HttpResponse<String> redrive = call("POST", "/subscriptions/" + subscription + "/redrive",
          new JsonObject().put("since", before.toString()));
      assertEquals(200, redrive.statusCode(), redrive.body());
      assertEquals(1, new JsonObject(redrive.body()).getInteger("requeued"));
      await("the redriven delivery", () -> receiver.delivered().contains(id));
      assertEquals(400, call("POST", "/subscriptions/" + subscription + "/redrive", new JsonObject()).statusCode());
      assertEquals(404, call("POST", "/subscriptions/nope/redrive", new JsonObject().put("since", before.toString()))
          .statusCode());
    }
  }

  @Test
  void aFailingBatchIsDeadLetteredEventByEventAndTheDlqRedrivesItToThatSubscriptionAlone() throws Exception {
    String topic = TestKafka.createTopic("game.hooks-deadbatch", 1);
    try (Receiver failing = new Receiver(); Receiver other = new Receiver()) {
      failing.status = () -> 503;
      String subscription = subscribe(topic, failing.url("/batch"), new JsonObject().put("max_retries", 1)
          .put("enable_batching", true).put("event_types", types())).getString("subscription_id");
      subscribe(topic, other.url("/fine"), new JsonObject().put("event_types", types()));
      List<String> ids = publish(topic, 3);
      Map<String, JsonObject> dead = new HashMap<>();
      await("a dead letter for each event of the batch", () -> {
        dead.clear();
        try {
          JsonObject page = new JsonObject(call("GET", "/dlq/dead-letter-events?limit=1000", null).body());
          page.getJsonArray("items").stream().map(JsonObject.class::cast)
              .filter(d -> ids.contains(d.getJsonObject("envelope").getString("event_id")))
              .forEach(d -> dead.put(d.getJsonObject("envelope").getString("event_id"), d));
        } catch (Exception e) {
          return false;
        }
        return dead.size() == 3;
      });
      for (JsonObject d : dead.values()) {
        assertTrue(d.getString("reason").contains("HTTP 503"), d.encode());
        assertEquals(topic, d.getString("source_topic"));
        assertEquals("subscription:" + subscription, d.getString("address"));
        assertEquals(2L, d.getLong("attempts"));
      }
      Set<String> failed = new HashSet<>();
      JsonArray attempts = new JsonArray(call("GET", "/deliveries?subscription=" + subscription + "&status=failed",
          null).body());
      attempts.stream().map(JsonObject.class::cast).filter(a -> a.getBoolean("is_last_attempt"))
          .forEach(a -> (a.getJsonArray("event_ids") == null ? new JsonArray().add(a.getString("event_id"))
              : a.getJsonArray("event_ids")).forEach(e -> failed.add((String) e)));
      assertEquals(new HashSet<>(ids), failed, "the last attempts name every event of the batch: " + attempts);

      failing.status = () -> 200;
      JsonObject offsets = new JsonObject();
      dead.values().forEach(d -> offsets.put(String.valueOf(d.getInteger("partition")), offsets.getJsonArray(
          String.valueOf(d.getInteger("partition")), new JsonArray()).add(d.getLong("offset"))));
      HttpResponse<String> redrive = call("POST", "/dlq/dead-letter-events/redrive",
          new JsonObject().put("offsets", offsets));
      assertEquals(200, redrive.statusCode(), redrive.body());
      JsonObject result = new JsonObject(redrive.body());
      assertEquals(3, result.getInteger("redriven"));
      result.getJsonArray("results").forEach(r -> assertEquals(subscription, ((JsonObject) r).getString("subscription")));
      await("the redriven events", () -> failing.delivered().containsAll(ids));
      Thread.sleep(500);
      List<String> once = other.delivered();
      assertEquals(3, once.size(), "the other subscription got each event once, not again: " + once);
      assertEquals(new HashSet<>(ids), new HashSet<>(once));
    }
  }

  @Test
  void theBreakerOpensDeliveriesWaitAndItRecovers() throws Exception {
    String topic = TestKafka.createTopic("game.hooks-breaker", 1);
    try (Receiver receiver = new Receiver()) {
      receiver.status = () -> 500;
      JsonObject sub = subscribe(topic, receiver.url("/down"), new JsonObject().put("max_retries", 50)
          .put("event_types", types()));
      List<String> ids = publish(topic, 5);
      String origin = "endpoint=\"http://127.0.0.1:" + receiver.server.actualPort() + "\"";
      await("the breaker opens", () -> metrics().contains("event_bus_webhook_breaker_state{" + origin + "} 2.0"));
      int whileOpen = receiver.requests.size();
      Thread.sleep(1000);
      assertEquals(whileOpen, receiver.requests.size(), "no requests while the breaker is open");
      receiver.status = () -> 200;
      await("all delivered after the breaker closed", () -> receiver.delivered().containsAll(ids));
      await("closed", () -> metrics().contains("event_bus_webhook_breaker_state{" + origin + "} 0.0"));
      assertTrue(deliveries(sub.getString("subscription_id")).size() >= ids.size());
    }
  }

  @Test
  void batchingSendsArraysAndTheRateLimitSpacesRequests() throws Exception {
    String topic = TestKafka.createTopic("game.hooks-batch", 2);
    try (Receiver batched = new Receiver(); Receiver limited = new Receiver()) {
      subscribe(topic, batched.url("/batch"), new JsonObject().put("enable_batching", true)
          .put("event_types", types()));
      subscribe(topic, limited.url("/slow"), new JsonObject().put("rate_limit_per_min", 60)
          .put("event_types", types()));
      List<String> ids = publish(topic, 50);
      await("every event in batches", () -> batched.delivered().size() >= 50);
      assertEquals(new HashSet<>(ids), new HashSet<>(batched.delivered()));
      assertTrue(batched.requests.size() < 50, "arrays, not one request per event: " + batched.requests.size());
      assertTrue(batched.requests.get(0).getString("body").startsWith("["));

      await("five at one a second", () -> limited.delivered().size() >= 5);
      long span = limited.requests.get(4).getLong("at") - limited.requests.get(0).getLong("at");
      assertTrue(span >= 3500, "60 per minute: five requests take four seconds or more, took " + span + " ms");
    }
  }

  private static String metrics() {
    try {
      return call("GET", "/metrics", null).body();
    } catch (Exception e) {
      return "";
    }
  }

  private static ConsumerRecord<String, byte[]> deadLetter(String eventId) {
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers",
        TestKafka.bootstrapServers(), "group.id", TestKafka.unique("dlq"), "auto.offset.reset", "earliest"),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of("dead-letter-events"));
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < end) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (eventId.equals(r.key())) {
            return r;
          }
        }
      }
    }
    throw new AssertionError("no dead letter for " + eventId);
  }
}
