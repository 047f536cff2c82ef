package com.necpgame.mesh.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.kafka.EnvelopeRecords;
import com.necpgame.mesh.testsupport.TestDatabase;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import com.necpgame.mesh.testsupport.WsClient;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Subscriptions served by two mesh processes sharing a broker and a database: every event a kafka subscription
 * matches (topic pattern, event type and filter) is copied once to its topic, every event a webhook subscription
 * matches is POSTed once, and every event a websocket subscription matches goes to one of its sockets, whichever
 * process they are on — and nothing else.
 */
class ClusterDeliveryIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static Mesh one;
  private static Mesh two;
  private static int portOne;
  private static int portTwo;
  private static String group;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    String database = TestDatabase.url(TestDatabase.freshDatabase());
    group = TestKafka.unique("delivery");
    JsonObject settings = new JsonObject()
        .put("database", new JsonObject().put("url", database))
        .put("delivery", new JsonObject().put("group", group).put("refresh_ms", 200));
    portOne = TestMesh.freePort();
    one = Mesh.start(TestMesh.config(dir.resolve("one"), portOne, settings));
    portTwo = TestMesh.freePort();
    two = Mesh.start(TestMesh.config(dir.resolve("two"), portTwo, settings));
  }

  @AfterAll
  static void stop() {
    for (Mesh mesh : new Mesh[] {two, one}) {
      if (mesh != null) {
        mesh.close();
      }
    }
  }

  private static HttpResponse<String> post(int port, String path, JsonObject body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static JsonObject event(String topic, String type, String weapon, int n) {
    return new JsonObject().put("event_type", type).put("topic", topic).put("source", "delivery-test")
        .put("session_id", "s" + n).put("payload", new JsonObject().put("weapon", weapon).put("n", n));
  }

  @Test
  void eachMatchingEventIsCopiedOnceBetweenTwoProcessesAndNothingElse() throws Exception {
    String topic = TestKafka.createTopic("game.delivery", 4);
    String other = TestKafka.createTopic("game.elsewhere", 1);
    String service = TestKafka.unique("scores");
    HttpResponse<String> created = post(portOne, "/subscriptions", new JsonObject().put("service_name", service)
        .put("topic_pattern", "game.delivery-*").put("event_types", new JsonArray().add("game.kill"))
        .put("filter", "{\"data.weapon\":\"plasma\"}"));
    assertEquals(201, created.statusCode(), created.body());
    JsonObject subscription = new JsonObject(created.body());
    Thread.sleep(1000); // both processes re-read subscriptions every 200 ms

    Set<String> expected = new HashSet<>();
    for (int round = 0; round < 2; round++) {
      int port = round == 0 ? portOne : portTwo;
      JsonArray events = new JsonArray();
      for (int i = 0; i < 100; i++) {
        int n = round * 100 + i;
        events.add(event(topic, i % 4 == 3 ? "game.chat" : "game.kill", i % 2 == 0 ? "plasma" : "rifle", n));
      }
      events.add(event(other, "game.kill", "plasma", -1));
      HttpResponse<String> published = post(port, "/events/publish/batch", new JsonObject().put("events", events));
      assertEquals(200, published.statusCode(), published.body());
      JsonArray results = new JsonObject(published.body()).getJsonArray("results");
      for (int i = 0; i < 100; i++) {
        if (i % 4 != 3 && i % 2 == 0) {
          expected.add(results.getJsonObject(i).getString("event_id"));
        }
      }
    }
    assertEquals(100, expected.size());

    List<ConsumerRecord<String, byte[]>> copies = read(subscription.getString("endpoint"), expected.size());
    Set<String> ids = new HashSet<>();
    for (ConsumerRecord<String, byte[]> copy : copies) {
      JsonObject envelope = new JsonObject(new String(copy.value(), StandardCharsets.UTF_8));
      assertTrue(ids.add(envelope.getString("event_id")), "copied once: " + envelope.getString("event_id"));
      assertEquals(subscription.getString("subscription_id"),
          EnvelopeRecords.header(copy.headers(), DeliveryRouter.HEADER_SUBSCRIPTION));
      assertEquals("game.kill", EnvelopeRecords.header(copy.headers(), EnvelopeRecords.HEADER_EVENT_TYPE));
      assertEquals("s" + envelope.getJsonObject("data").getInteger("n"), copy.key(), "key kept");
    }
    assertEquals(expected, ids, "exactly the matching events");
    int members = TestKafka.admin().describeConsumerGroups(List.of(group)).all().get(30, TimeUnit.SECONDS)
        .get(group).members().size();
    assertEquals(2, members, "both processes share the work");
  }

  @Test
  void eachMatchingEventIsPostedOnceToAWebhookBetweenTwoProcessesBatchedOrNot() throws Exception {
    String topic = TestKafka.createTopic("game.clusterhook", 4);
    try (WebhookDeliveryIT.Receiver single = new WebhookDeliveryIT.Receiver();
        WebhookDeliveryIT.Receiver batched = new WebhookDeliveryIT.Receiver()) {
      for (WebhookDeliveryIT.Receiver receiver : List.of(single, batched)) {
        HttpResponse<String> created = post(portTwo, "/subscriptions", new JsonObject().put("service_name", "hook")
            .put("method", "webhook").put("endpoint", receiver.url("/cluster")).put("topic_pattern", topic)
            .put("event_types", new JsonArray().add("game.kill")).put("enable_batching", receiver == batched));
        assertEquals(201, created.statusCode(), created.body());
      }
      Thread.sleep(1000);
      Set<String> expected = new HashSet<>();
      for (int port : new int[] {portOne, portTwo}) {
        JsonArray events = new JsonArray();
        for (int i = 0; i < 50; i++) {
          events.add(event(topic, "game.kill", "any", i));
        }
        HttpResponse<String> published = post(port, "/events/publish/batch", new JsonObject().put("events", events));
        assertEquals(200, published.statusCode(), published.body());
        new JsonObject(published.body()).getJsonArray("results")
            .forEach(r -> expected.add(((JsonObject) r).getString("event_id")));
      }
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while ((single.delivered().size() < 100 || batched.delivered().size() < 100) && System.nanoTime() < end) {
        Thread.sleep(50);
      }
      Thread.sleep(1000);
      for (WebhookDeliveryIT.Receiver receiver : List.of(single, batched)) {
        List<String> delivered = receiver.delivered();
        assertEquals(100, delivered.size(), "each once, no more");
        assertEquals(expected, new HashSet<>(delivered));
      }
      assertEquals(100, single.requests.size());
      assertTrue(batched.requests.size() < 100, "batched: " + batched.requests.size() + " requests");
    }
  }

  @Test
  void aWebSocketSubscriptionSharesItsEventsAmongItsSocketsAndResumesWhereItWas() throws Exception {
    String topic = TestKafka.createTopic("game.wssub", 4);
    HttpResponse<String> created = post(portOne, "/subscriptions", new JsonObject().put("service_name", "viewers")
        .put("method", "websocket").put("topic_pattern", topic).put("event_types", new JsonArray().add("game.kill")));
    assertEquals(201, created.statusCode(), created.body());
    String id = new JsonObject(created.body()).getString("subscription_id");
    String group = "event-mesh.ws." + id;
    JsonObject join = new JsonObject().put("op", "subscribe").put("subscription", id);
    List<String> all = new ArrayList<>();
    try (WsClient a = WsClient.connect(portOne); WsClient b = WsClient.connect(portTwo)) {
      assertEquals("subscribed", a.send(join).next(30).getString("type"));
      assertEquals("subscribed", b.send(join).next(30).getString("type"));
      awaitMembers(group, 2);
      all.addAll(publishKills(topic, 60));
      List<String> gotA = eventIds(a, 500);
      List<String> gotB = eventIds(b, 500);
      assertEquals(60, gotA.size() + gotB.size(), "each event to one socket: " + gotA.size() + " + " + gotB.size());
      assertEquals(new HashSet<>(all), union(gotA, gotB));
      assertTrue(!gotA.isEmpty() && !gotB.isEmpty(), "both sockets share the work");
    }
    awaitMembers(group, 0);
    List<String> whileAway = publishKills(topic, 15);
    try (WsClient c = WsClient.connect(portTwo)) {
      assertEquals("subscribed", c.send(join).next(30).getString("type"));
      List<String> got = new ArrayList<>();
      for (int i = 0; i < 15; i++) {
        got.add(c.next(60).getJsonObject("event").getString("event_id"));
      }
      assertEquals(new HashSet<>(whileAway), new HashSet<>(got), "resumed where the subscription was, nothing again");
      assertEquals(null, c.poll(1000));
    }
    try (WsClient wrong = WsClient.connect(portOne)) {
      JsonObject error = wrong.send(new JsonObject().put("op", "subscribe").put("subscription", "nope")).next(30);
      assertEquals("subscription_not_found", error.getJsonObject("error").getString("code"));
    }
  }

  private static List<String> publishKills(String topic, int count) throws Exception {
    JsonArray events = new JsonArray();
    for (int i = 0; i < count; i++) {
      events.add(event(topic, "game.kill", "any", i));
    }
    events.add(event(topic, "game.chat", "any", -1));
    HttpResponse<String> published = post(portOne, "/events/publish/batch", new JsonObject().put("events", events));
    assertEquals(200, published.statusCode(), published.body());
    List<String> ids = new ArrayList<>();
    JsonArray results = new JsonObject(published.body()).getJsonArray("results");
    for (int i = 0; i < count; i++) {
      ids.add(results.getJsonObject(i).getString("event_id"));
    }
    return ids;
  }

  /** Event ids of the frames that come until none came for {@code quietMs}. */
  private static List<String> eventIds(WsClient client, long quietMs) throws Exception {
    List<String> out = new ArrayList<>();
    for (JsonObject f = client.poll(10_000); f != null; f = client.poll(quietMs)) {
      assertEquals("event", f.getString("type"), f.encode());
      out.add(f.getJsonObject("event").getString("event_id"));
    }
    return out;
  }

  private static Set<String> union(List<String> a, List<String> b) {
    Set<String> out = new HashSet<>(a);
    out.addAll(b);
    return out;
  }

  /** Waits until the group has {@code members} members, each with partitions (a settled rebalance). */
  private static void awaitMembers(String group, int members) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < end) {
      var description = TestKafka.admin().describeConsumerGroups(List.of(group)).all().get(30, TimeUnit.SECONDS)
          .get(group);
      if (description.members().size() == members
          && description.members().stream().allMatch(m -> !m.assignment().topicPartitions().isEmpty())) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("group " + group + " never had " + members + " settled members");
  }

  /** Everything on the topic after {@code count} records arrived and a quiet second passed. */
  private static List<ConsumerRecord<String, byte[]>> read(String topic, int count) {
    List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers",
        TestKafka.bootstrapServers(), "group.id", TestKafka.unique("reader"), "auto.offset.reset", "earliest"),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (out.size() < count && System.nanoTime() < end) {
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
      }
      long quiet = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
      while (System.nanoTime() < quiet) {
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
      }
    }
    return out;
  }
}
