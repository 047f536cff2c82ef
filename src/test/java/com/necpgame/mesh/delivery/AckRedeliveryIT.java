package com.necpgame.mesh.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.Verticles;
import com.necpgame.mesh.kafka.DeadLetters;
import com.necpgame.mesh.kafka.EnvelopeRecords;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import com.necpgame.mesh.testsupport.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18: an event a {@code requires_ack} kafka or WebSocket subscription got and did not acknowledge is redelivered
 * after {@code retry_delay} up to {@code max_retries} times, then dead-lettered ({@link AckRedelivery}); an
 * acknowledgement stops it. A subscription's socket writes its {@code delivered} rows; a hub socket writes none.
 */
class AckRedeliveryIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String ALICE = "alice-key-0123456789";
  private static Mesh mesh;
  private static int port;
  private static String deadTopic;
  private static JsonObject security;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    deadTopic = TestKafka.createTopic("acks.dead", 1);
    JsonObject principals = new JsonObject().put("alice", new JsonObject().put("api_keys", new JsonArray().add(ALICE))
        .put("publish", new JsonArray().add("game.*").add("sub.*")).put("subscribe", new JsonArray().add("game.*"))
        .put("endpoints", new JsonArray().add("events").add("ws").add("subscriptions")));
    port = TestMesh.freePort();
    security = new JsonObject().put("anonymous", "deny").put("principals", principals);
    mesh = Mesh.start(TestMesh.config(dir, port, new JsonObject()
        .put("security", security.copy())
        .put("delivery", new JsonObject().put("group", TestKafka.unique("acks")).put("refresh_ms", 200)
            .put("dead_letter_topic", deadTopic).put("ack_sweep_ms", 200))));
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  private static HttpResponse<String> call(String method, String path, JsonObject body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("X-API-Key", ALICE).header("content-type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String subscribe(JsonObject settings) throws Exception {
    HttpResponse<String> created = call("POST", "/subscriptions", new JsonObject().put("service_name", "acks-test")
        .mergeIn(settings));
    assertEquals(201, created.statusCode(), created.body());
    // no wait for the next periodic read: the router reads the subscriptions again for a record produced after its
    // last read began when they changed since, and the dispatcher looks up a subscription it does not know yet
    // (SubscriptionInEffectIT); a socket joining a websocket subscription is told subscribed once its group is placed
    return new JsonObject(created.body()).getString("subscription_id");
  }

  private static String kafkaSubscription(String topic, String endpoint, int maxRetries) throws Exception {
    return subscribe(new JsonObject().put("method", "kafka").put("topic_pattern", topic).put("endpoint", endpoint)
        .put("requires_ack", true).put("max_retries", maxRetries).put("retry_delay", 1));
  }

  private static String publish(String topic) throws Exception {
    HttpResponse<String> published = call("POST", "/events/publish", new JsonObject().put("event_type", "game.kill")
        .put("topic", topic).put("source", "acks-test"));
    assertEquals(200, published.statusCode(), published.body());
    return new JsonObject(published.body()).getString("event_id");
  }

  /** Joins the subscription on the socket; its {@code subscribed} comes once its group has its partitions. */
  private static JsonObject join(WsClient ws, String sub) throws Exception {
    ws.send(new JsonObject().put("op", "subscribe").put("id", "s").put("subscription", sub));
    JsonObject subscribed = ws.next(f -> !"event".equals(f.getString("type")), 30);
    assertEquals("subscribed", subscribed.getString("type"), subscribed.encode());
    return subscribed;
  }

  private static JsonObject eventFrame(WsClient ws, String event) throws Exception {
    return ws.next(f -> "event".equals(f.getString("type"))
        && event.equals(f.getJsonObject("event").getString("event_id")), 30);
  }

  private static JsonObject status(String event, Predicate<JsonObject> until) throws Exception {
    JsonObject last = null;
    for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); System.nanoTime() < end; Thread.sleep(100)) {
      HttpResponse<String> answer = call("GET", "/events/" + event + "/status", null);
      if (answer.statusCode() == 200) {
        last = new JsonObject(answer.body());
        if (until.test(last)) {
          return last;
        }
      }
    }
    throw new AssertionError("timed out (60 s) waiting for the status; last: " + last);
  }

  private static JsonObject state(JsonObject status, String subscription) {
    return status.getJsonArray("subscriptions").stream().map(s -> (JsonObject) s)
        .filter(s -> subscription.equals(s.getString("subscription_id"))).findFirst().orElse(null);
  }

  private static boolean stateIs(JsonObject status, String subscription, String state) {
    JsonObject s = state(status, subscription);
    return s != null && state.equals(s.getString("state"));
  }

  /** The records of {@code topic} for {@code event}, waiting until there are at least {@code atLeast}. */
  private static List<ConsumerRecord<String, byte[]>> copies(String topic, String event, int atLeast)
      throws Exception {
    List<ConsumerRecord<String, byte[]>> found = List.of();
    for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); found.size() < atLeast
        && System.nanoTime() < end; Thread.sleep(200)) {
      found = TestKafka.records(topic).stream()
          .filter(r -> event.equals(EnvelopeRecords.header(r.headers(), EnvelopeRecords.HEADER_EVENT_ID))).toList();
    }
    return found;
  }

  /** The copies' redelivery headers, in order (null: the first copy, which has none; partitions may interleave). */
  private static List<String> redeliveries(List<ConsumerRecord<String, byte[]>> copies) {
    List<String> out = new ArrayList<>();
    copies.forEach(r -> out.add(EnvelopeRecords.header(r.headers(), AckRedelivery.HEADER_REDELIVERY)));
    out.sort(java.util.Comparator.nullsFirst(java.util.Comparator.comparing(Integer::valueOf)));
    return out;
  }

  @Test
  void aKafkaCopyNeverAcknowledgedIsCopiedAgainThenFailedAndDeadLettered() throws Exception {
    String topic = TestKafka.createTopic("game.acks-kafka-noack", 1);
    String endpoint = TestKafka.unique("sub.acks-noack");
    String sub = kafkaSubscription(topic, endpoint, 2);
    long started = System.nanoTime();
    String event = publish(topic);
    JsonObject failed = status(event, s -> "failed".equals(s.getString("status")));
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    System.out.printf("kafka requires_ack, max_retries 2, retry_delay 1 s: failed after %d ms%n", tookMs);
    JsonObject state = state(failed, sub);
    assertEquals("failed", state.getString("state"), failed.encode());
    assertEquals(3, state.getInteger("attempts"), "the copy and max_retries (2) copies again: " + failed.encode());
    assertTrue(state.getString("last_error").startsWith("not acknowledged within retry_delay (1 s) after 3"),
        state.getString("last_error"));
    assertEquals(2, failed.getInteger("retry_count"));

    List<ConsumerRecord<String, byte[]>> copies = copies(endpoint, event, 3);
    assertEquals(java.util.Arrays.asList(null, "1", "2"), redeliveries(copies),
        "the copy, then copies again numbered by their redelivery header");
    for (ConsumerRecord<String, byte[]> c : copies) {
      assertEquals(sub, EnvelopeRecords.header(c.headers(), DeliveryRouter.HEADER_SUBSCRIPTION));
      assertEquals(new String(copies.get(0).value()), new String(c.value()), "the same event each time");
      assertEquals(copies.get(0).key(), c.key(), "the same key each time");
    }
    List<ConsumerRecord<String, byte[]>> dead = copies(deadTopic, event, 1);
    assertEquals(1, dead.size(), "dead-lettered once");
    assertTrue(EnvelopeRecords.header(dead.get(0).headers(), DeadLetters.REASON).startsWith("not acknowledged"));
    assertEquals("subscription:" + sub, EnvelopeRecords.header(dead.get(0).headers(), DeadLetters.ADDRESS));
    assertEquals(topic, EnvelopeRecords.header(dead.get(0).headers(), DeadLetters.SOURCE_TOPIC));
    Thread.sleep(2000);
    assertEquals(3, TestKafka.records(endpoint).size(), "nothing copied after the dead letter");
    HttpResponse<String> late = call("POST", "/events/" + event + "/ack", new JsonObject()
        .put("subscription_id", sub));
    assertEquals(409, late.statusCode(), "a dead-lettered event is not acknowledged any more: " + late.body());
  }

  @Test
  void anAcknowledgementStopsTheKafkaRedeliveries() throws Exception {
    String topic = TestKafka.createTopic("game.acks-kafka-ack", 1);
    String endpoint = TestKafka.unique("sub.acks-ack");
    String sub = kafkaSubscription(topic, endpoint, 20);
    String event = publish(topic);
    List<ConsumerRecord<String, byte[]>> copies = copies(endpoint, event, 2);
    assertEquals("1", redeliveries(copies).get(1), "copied again after retry_delay: " + redeliveries(copies));
    HttpResponse<String> acked = call("POST", "/events/" + event + "/ack", new JsonObject()
        .put("subscription_id", sub));
    assertEquals(200, acked.statusCode(), acked.body());
    JsonObject processed = status(event, s -> "processed".equals(s.getString("status")));
    int after = TestKafka.records(endpoint).size();
    Thread.sleep(3000); // three retry_delays
    assertEquals(after, TestKafka.records(endpoint).size(), "no copy after the acknowledgement");
    JsonObject still = status(event, s -> true);
    assertEquals("processed", still.getString("status"), still.encode());
    assertEquals(state(processed, sub).getInteger("attempts"), state(still, sub).getInteger("attempts"));
  }

  @Test
  void aSubscriptionSocketWritesItsDeliveredRowAndGetsTheUnacknowledgedEventAgain() throws Exception {
    String topic = TestKafka.createTopic("game.acks-ws", 1);
    String sub = subscribe(new JsonObject().put("method", "websocket").put("topic_pattern", topic)
        .put("requires_ack", true).put("max_retries", 1).put("retry_delay", 1));
    try (WsClient ws = WsClient.connect(port, "access_token=" + ALICE)) {
      join(ws, sub);
      String event = publish(topic);
      JsonObject first = eventFrame(ws, event);
      assertNull(first.getValue("redelivery"), first.encode());

      JsonObject again = eventFrame(ws, event);
      assertEquals(1, again.getInteger("redelivery"), again.encode());
      assertEquals(first.getJsonObject("event"), again.getJsonObject("event"));
      assertEquals(first.getLong("offset"), again.getLong("offset"));
      assertEquals(first.getString("topic"), again.getString("topic"));
      JsonObject failed = status(event, s -> "failed".equals(s.getString("status")));
      assertEquals(2, state(failed, sub).getInteger("attempts"), failed.encode());
      // the row the socket wrote: the sweeper claims only delivered rows (the status itself shows only once the store
      // has the event, which can be after the redelivery and the failure at a 1 s retry_delay)
      assertEquals("websocket", state(failed, sub).getString("method"), failed.encode());
      assertNotNull(state(failed, sub).getString("delivered_at"), failed.encode());
      assertEquals(1, copies(deadTopic, event, 1).size(), "dead-lettered once");

      String acked = publish(topic);
      eventFrame(ws, acked);
      // acknowledged as soon as the socket's delivered row is written (batched): not_delivered until then
      JsonObject answer = null;
      for (int ref = 1; ref <= 50 && (answer == null || !"acked".equals(answer.getString("type"))); ref++) {
        if (answer != null) {
          assertEquals("not_delivered", answer.getJsonObject("error").getString("code"), answer.encode());
          Thread.sleep(100);
        }
        ws.send(new JsonObject().put("op", "ack").put("ref", ref).put("event_id", acked));
        answer = ws.next(f -> "acked".equals(f.getString("type")) || "error".equals(f.getString("type")), 30);
      }
      assertEquals("acked", answer.getString("type"), answer.encode());
      for (long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2500); System.nanoTime() < end; ) {
        JsonObject late = ws.poll(100);
        assertTrue(late == null || !"event".equals(late.getString("type"))
            || !acked.equals(late.getJsonObject("event").getString("event_id")),
            "nothing redelivered after the acknowledgement: " + late);
      }
      assertEquals("processed", status(acked, s -> true).getString("status"));
    }
  }

  /**
   * A process that runs only the gateway ({@code MESH_VERTICLES=gateway}) redelivers to its sockets: before, the
   * sweeper ran in the delivery verticle alone, so such a process never claimed its sockets' rows (and a process with
   * delivery claims only the rows of subscriptions a socket of its own has joined).
   */
  @Test
  void aProcessRunningOnlyTheGatewayRedeliversToItsSockets(@TempDir Path dir) throws Exception {
    JsonObject verticles = new JsonObject();
    for (Verticles v : Verticles.values()) {
      verticles.put(v.key(), new JsonObject().put("enabled", v == Verticles.GATEWAY));
    }
    int gatewayPort = TestMesh.freePort();
    Mesh gateway = Mesh.start(TestMesh.config(dir, gatewayPort, new JsonObject().put("verticles", verticles)
        .put("database", new JsonObject().put("url", mesh.context().config().database().url()))
        .put("security", security.copy())
        .put("delivery", new JsonObject().put("dead_letter_topic", deadTopic).put("ack_sweep_ms", 200))));
    try (WsClient ws = WsClient.connect(gatewayPort, "access_token=" + ALICE)) {
      String topic = TestKafka.createTopic("game.acks-gateway-only", 1);
      String sub = subscribe(new JsonObject().put("method", "websocket").put("topic_pattern", topic)
          .put("requires_ack", true).put("max_retries", 1).put("retry_delay", 1));
      join(ws, sub);
      String event = publish(topic);
      assertNull(eventFrame(ws, event).getValue("redelivery"));
      assertEquals(1, eventFrame(ws, event).getInteger("redelivery"), "redelivered by the gateway-only process");
    } finally {
      gateway.close();
    }
  }

  @Test
  void aHubSocketWritesNoStateRowsAndASubscriptionWithoutAckStillIsDelivered() throws Exception {
    String topic = TestKafka.createTopic("game.acks-hub", 1);
    String sub = subscribe(new JsonObject().put("method", "websocket").put("topic_pattern", topic));
    try (WsClient joined = WsClient.connect(port, "access_token=" + ALICE);
        WsClient hub = WsClient.connect(port, "access_token=" + ALICE)) {
      join(joined, sub);
      hub.send(new JsonObject().put("op", "subscribe").put("id", "h").put("topics", new JsonArray().add(topic)));
      assertEquals("subscribed", hub.next(f -> !"event".equals(f.getString("type")), 30).getString("type"));
      String event = publish(topic);
      eventFrame(joined, event);
      eventFrame(hub, event);
      JsonObject delivered = status(event, s -> "delivered".equals(s.getString("status")));
      assertEquals(1, delivered.getJsonArray("subscriptions").size(), "the subscription's row only: "
          + delivered.encode());
      assertEquals(false, state(delivered, sub).getBoolean("requires_ack"));
    }
  }

  /**
   * {@code subscribed} on a joined subscription comes once its group has its partitions, with where it starts on each:
   * an event published right after it reaches the socket. (It used to come before the group was placed at the latest
   * offsets, with no positions, and an event published meanwhile was skipped.)
   */
  @Test
  void anEventPublishedRightAfterSubscribedReachesTheJoinedSocket() throws Exception {
    String topic = TestKafka.createTopic("game.acks-first", 3);
    String sub = subscribe(new JsonObject().put("method", "websocket").put("topic_pattern", topic));
    try (WsClient ws = WsClient.connect(port, "access_token=" + ALICE)) {
      JsonObject subscribed = join(ws, sub);
      JsonObject positions = subscribed.getJsonObject("positions").getJsonObject(topic);
      assertEquals(3, positions == null ? 0 : positions.size(), "a position per partition: " + subscribed.encode());
      eventFrame(ws, publish(topic));
    }
  }
}
