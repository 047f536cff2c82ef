package com.necpgame.mesh.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.config.TopicSpec;
import com.necpgame.mesh.kafka.DeadLetters;
import com.necpgame.mesh.kafka.TopicProvisioner;
import com.necpgame.mesh.store.SubscriptionRegistry;
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
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, finding 5: one subscription must not stall delivery for everyone. Three noisy neighbours share the router
 * with a victim's webhook: a pathological topic pattern, a kafka subscription copying into a topic its own pattern
 * matches (a loop), and a kafka subscription whose target the broker refuses for good (Kafka's internal
 * {@code __consumer_offsets}). The API now refuses the first two, so they are written straight into the registry, as
 * a mesh of an older version would have accepted them; the router must still not stall, loop or hold the others up.
 */
class NoisyNeighbourIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Vertx VERTX = Vertx.vertx();
  private static final int EVENTS = 20;
  private static Mesh mesh;
  private static int port;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    port = TestMesh.freePort();
    mesh = Mesh.start(TestMesh.config(dir, port, new JsonObject().put("delivery", new JsonObject()
        .put("group", TestKafka.unique("noisy")).put("refresh_ms", 200).put("retry_pause_ms", 100)
        .put("webhook", new JsonObject().put("poll_ms", 50)))));
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

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); !condition.getAsBoolean(); Thread.sleep(50)) {
      assertTrue(System.nanoTime() < end, "timed out (60 s) waiting until " + what);
    }
  }

  /** A subscription row as an older mesh stored it, bypassing today's checks at the API. */
  private static void insert(String id, String method, String pattern, String endpoint) throws Exception {
    new SubscriptionRegistry(mesh.context().pool(), mesh.context().secrets()).create(new JsonObject().put("subscription_id", id)
        .put("service_name", "noisy").put("topic_pattern", pattern).put("event_types", new JsonArray())
        .put("endpoint", endpoint).put("filter", new JsonObject()).put("status", "active").put("method", method)
        .put("max_retries", 3).put("retry_delay", 1).put("rate_limit_per_min", 100_000).put("enable_batching", false)
        .put("requires_ack", false), method.equals("webhook") ? WebhookSignature.newSecret() : null, Integer.MAX_VALUE)
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static List<String> pointers(HttpResponse<String> response) {
    assertEquals(400, response.statusCode(), response.body());
    JsonObject error = new JsonObject(response.body()).getJsonObject("error");
    assertEquals("invalid_subscription", error.getString("code"));
    List<String> out = new ArrayList<>();
    error.getJsonArray("details").forEach(d -> out.add(((JsonObject) d).getString("pointer")));
    return out;
  }

  @Test
  void aVictimsWebhookGetsEveryEventOnceWhileItsNeighboursMisbehave() throws Exception {
    String prefix = TestKafka.unique("game.noisy");
    String topic = prefix + ".victim.events"; // 33 characters: a backtracking match of *? x124 never ends
    new TopicProvisioner(TestKafka.admin(), 1, Duration.ofSeconds(30))
        .ensure(List.of(new TopicSpec(topic, 3, Optional.empty(), Map.of(), false)));
    String pathological = "*?".repeat(124);
    String loop = prefix + ".loop";

    // The attacks as sent: refused at the API now, each naming its field.
    assertEquals(List.of("/topic_pattern"), pointers(call("POST", "/subscriptions", new JsonObject()
        .put("service_name", "noisy").put("method", "kafka").put("topic_pattern", pathological))));
    assertEquals(List.of("/endpoint"), pointers(call("POST", "/subscriptions", new JsonObject()
        .put("service_name", "noisy").put("method", "kafka").put("endpoint", loop)
        .put("topic_pattern", prefix + ".*"))));

    String noisy = TestKafka.unique("noisy");
    insert(noisy + "-pattern", "kafka", pathological, "sub." + noisy + ".pattern");
    insert(noisy + "-loop", "kafka", prefix + ".*", loop);
    insert(noisy + "-refused", "kafka", topic, "__consumer_offsets");

    List<String> received = Collections.synchronizedList(new ArrayList<>());
    HttpServer receiver = VERTX.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      received.add(new JsonObject(body.toString()).getString("event_id"));
      req.response().setStatusCode(204).end();
    })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    try {
      HttpResponse<String> created = call("POST", "/subscriptions", new JsonObject().put("service_name", "victim")
          .put("method", "webhook").put("topic_pattern", topic)
          .put("endpoint", "http://127.0.0.1:" + receiver.actualPort() + "/events"));
      assertEquals(201, created.statusCode(), created.body());

      JsonArray events = new JsonArray();
      for (int i = 0; i < EVENTS; i++) {
        events.add(new JsonObject().put("event_type", "game.kill").put("topic", topic).put("source", "noisy-test")
            .put("payload", new JsonObject().put("n", i)));
      }
      HttpResponse<String> published = call("POST", "/events/publish/batch", new JsonObject().put("events", events));
      assertEquals(200, published.statusCode(), published.body());
      List<String> ids = new ArrayList<>();
      new JsonObject(published.body()).getJsonArray("results")
          .forEach(r -> ids.add(((JsonObject) r).getString("event_id")));

      await("the victim received all " + EVENTS + " events", () -> received.size() >= EVENTS);
      await("the refused neighbour is paused", () -> "paused".equals(subscription(noisy + "-refused")
          .getString("status")));
      Thread.sleep(2000); // time for duplicates or a loop to show
      assertEquals(new HashSet<>(ids), new HashSet<>(received));
      assertEquals(EVENTS, received.size(), "each event once");

      JsonObject refused = subscription(noisy + "-refused");
      assertTrue(refused.getString("paused_reason").contains("__consumer_offsets"), refused.encode());
      List<ConsumerRecord<String, byte[]>> dead = TestKafka.records("dead-letter-events").stream()
          .filter(r -> ("subscription:" + noisy + "-refused").equals(header(r, DeadLetters.ADDRESS))).toList();
      // the events of the batch it failed in are dead-lettered (once each); later ones are not routed to it, paused
      List<String> deadIds = dead.stream().map(ConsumerRecord::key).toList();
      assertTrue(!deadIds.isEmpty() && ids.containsAll(deadIds), deadIds.toString());
      assertEquals(deadIds.size(), new HashSet<>(deadIds).size(), "each dead-lettered once");
      assertTrue(header(dead.get(0), DeadLetters.REASON).contains("__consumer_offsets"));

      List<ConsumerRecord<String, byte[]>> copies = TestKafka.records(loop);
      assertEquals(EVENTS, copies.size(), "the looping neighbour copied each event once, never its own copies");
      copies.forEach(c -> assertEquals(noisy + "-loop", header(c, DeliveryRouter.HEADER_SUBSCRIPTION)));
      assertEquals("active", subscription(noisy + "-loop").getString("status"));
    } finally {
      receiver.close();
    }
  }

  @Test
  void aPatchCannotTurnASubscriptionIntoALoopOrGiveItAPathologicalPattern() throws Exception {
    String prefix = TestKafka.unique("game.noisy");
    HttpResponse<String> created = call("POST", "/subscriptions", new JsonObject().put("service_name", "patched")
        .put("method", "kafka").put("topic_pattern", prefix + ".*"));
    assertEquals(201, created.statusCode(), created.body());
    JsonObject before = new JsonObject(created.body());
    String path = "/subscriptions/" + before.getString("subscription_id");

    assertEquals(List.of("/endpoint"), pointers(call("PATCH", path,
        new JsonObject().put("endpoint", prefix + ".loop"))));
    assertEquals(List.of("/topic_pattern"), pointers(call("PATCH", path, new JsonObject()
        .put("topic_pattern", "*?".repeat(124)))));
    assertEquals(List.of("/topic_pattern"), pointers(call("PATCH", path, new JsonObject()
        .put("topic_pattern", "a".repeat(250)))));

    JsonObject after = subscription(before.getString("subscription_id"));
    assertEquals(before.getString("endpoint"), after.getString("endpoint"), "unchanged: sub.patched");
    assertEquals(prefix + ".*", after.getString("topic_pattern"));
  }

  private static JsonObject subscription(String id) {
    try {
      return new JsonObject(call("GET", "/subscriptions/" + id, null).body());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String header(ConsumerRecord<String, byte[]> r, String name) {
    var h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
