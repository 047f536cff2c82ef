package com.necpgame.mesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.kafka.DeadLetters;
import com.necpgame.mesh.security.AuditLog;
import com.necpgame.mesh.store.SubscriptionRegistry;
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
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, findings 3 and 4: two principals share a mesh, both with the subscriptions, replay and dlq endpoint groups,
 * each with topics of its own. The attacker tries, as it would over the API, to read, redirect, delete or join the
 * victim's subscriptions and replay jobs, to read or write the victim's topics through the side doors (a kafka
 * subscription's endpoint, a replay's source and target, the dead letters and their redrive, an event's status, a
 * topic's description, a {@code *} pattern), and to write the topics reserved to the mesh. Every attempt is refused
 * (404 where the victim's thing must not even be seen, 403 with an audit event where a right is missing) and the
 * victim's data stays as it was, still delivering. Also: the cap on subscriptions a principal owns, and the audit of
 * privileged actions that succeed.
 */
class TenancyAttackIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Vertx VERTX = Vertx.vertx();
  private static final String VICTIM = "victim-key-4b8d2f6a1c3e5a7b";
  private static final String ATTACKER = "attacker-key-9e1c3a5b7d2f4e6a";
  private static final String OPERATOR = "operator-key-2a4c6e8b0d1f3a5c";
  private static final String HOARDER = "hoarder-key-7c9e1a3b5d2f4e6a";
  private static final int QUOTA = 5;

  private static Mesh mesh;
  private static int port;
  private static String victimTopic;
  private static String victimOutput;
  private static String attackerTopic;
  /** A topic both principals may read: the victim's websocket subscription streams it to the victim's sockets. */
  private static String sharedTopic;
  private static String auditTopic;
  private static String deadTopic;
  private static HttpServer receiver;
  private static final List<String> received = Collections.synchronizedList(new ArrayList<>());
  /** The victim's webhook subscription as created (its secret included) and its websocket subscription's id. */
  private static JsonObject victimHook;
  private static String victimSocketSub;
  private static String victimReplay;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    victimTopic = TestKafka.createTopic("game.victim", 1);
    victimOutput = TestKafka.createTopic("game.victim.out", 1);
    attackerTopic = TestKafka.createTopic("game.attacker", 1);
    sharedTopic = TestKafka.createTopic("game.shared", 1);
    auditTopic = TestKafka.createTopic("tenancy.audit", 1);
    deadTopic = TestKafka.createTopic("tenancy.dead", 1);
    receiver = VERTX.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      received.add(req.path() + " " + body);
      req.response().setStatusCode(200).end();
    })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

    JsonArray groups = new JsonArray().add("events").add("ws").add("subscriptions").add("replay").add("dlq")
        .add("topics");
    JsonObject principals = new JsonObject()
        .put("victim", new JsonObject().put("api_keys", new JsonArray().add(VICTIM))
            .put("publish", new JsonArray().add("game.victim*").add("game.shared*"))
            .put("subscribe", new JsonArray().add("game.victim*").add("game.shared*")).put("endpoints", groups))
        .put("attacker", new JsonObject().put("api_keys", new JsonArray().add(ATTACKER))
            .put("publish", new JsonArray().add("game.attacker*").add("sub.attacker*"))
            .put("subscribe", new JsonArray().add("game.attacker*").add("game.shared*")).put("endpoints", groups))
        .put("operator", new JsonObject().put("api_keys", new JsonArray().add(OPERATOR)).put("admin", true)
            .put("publish", new JsonArray().add("*")).put("subscribe", new JsonArray().add("*"))
            .put("endpoints", new JsonArray().add("*")))
        .put("hoarder", new JsonObject().put("api_keys", new JsonArray().add(HOARDER))
            .put("subscribe", new JsonArray().add("game.*")).put("endpoints", new JsonArray().add("subscriptions")));
    port = TestMesh.freePort();
    mesh = Mesh.start(TestMesh.config(dir, port, new JsonObject()
        .put("security", new JsonObject().put("anonymous", "deny").put("principals", principals)
            .put("audit", new JsonObject().put("topic", auditTopic).put("max_per_second", 10_000))
            .put("quotas", new JsonObject().put("subscriptions_per_principal", QUOTA)))
        .put("delivery", new JsonObject().put("group", TestKafka.unique("tenancy")).put("refresh_ms", 200)
            .put("dead_letter_topic", deadTopic).put("webhook", new JsonObject().put("poll_ms", 50)))
        // replay jobs stay pending: what an attacker could do to a job in progress stays to be seen
        .put("verticles", new JsonObject().put("replay", new JsonObject().put("enabled", false)))));

    TestKafka.admin().createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(victimTopic + ".dlq", 1,
        (short) 1))).all().get(30, TimeUnit.SECONDS);
    victimHook = created(VICTIM, new JsonObject().put("service_name", "victim-hooks").put("method", "webhook")
        .put("topic_pattern", victimTopic).put("endpoint", "http://127.0.0.1:" + receiver.actualPort() + "/hook")
        .put("retry_delay", 1));
    victimSocketSub = created(VICTIM, new JsonObject().put("service_name", "victim-stream").put("method", "websocket")
        .put("topic_pattern", sharedTopic)).getString("subscription_id");
    HttpResponse<String> replay = call(VICTIM, "POST", "/replay", new JsonObject().put("topic", victimTopic)
        .put("start_time", "2020-01-01T00:00:00Z").put("target", new JsonObject().put("topic", victimOutput)));
    assertEquals(202, replay.statusCode(), replay.body());
    victimReplay = new JsonObject(replay.body()).getString("replay_id");
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
    VERTX.close();
  }

  // ---- finding 3: the victim's subscriptions, deliveries and replay jobs ----

  @Test
  void theAttackerCannotReadRedirectRotateRedriveOrDeleteTheVictimsSubscription() throws Exception {
    String id = victimHook.getString("subscription_id");
    String path = "/subscriptions/" + id;
    JsonObject before = new JsonObject(call(VICTIM, "GET", path, null).body());
    String evil = "http://127.0.0.1:" + receiver.actualPort() + "/stolen";

    assertNotFound(id, call(ATTACKER, "GET", path, null));
    assertNotFound(id, call(ATTACKER, "PATCH", path, new JsonObject().put("endpoint", evil)));
    assertNotFound(id, call(ATTACKER, "PATCH", path, new JsonObject().put("rotate_secret", true)));
    assertNotFound(id, call(ATTACKER, "PATCH", path, new JsonObject().put("status", "paused")));
    assertNotFound(id, call(ATTACKER, "POST", path + "/redrive",
        new JsonObject().put("since", "2020-01-01T00:00:00Z")));
    assertNotFound(id, call(ATTACKER, "DELETE", path, null));
    String missing = "sub_" + UUID.randomUUID();
    HttpResponse<String> reallyMissing = call(ATTACKER, "GET", "/subscriptions/" + missing, null);
    assertEquals(new JsonObject(reallyMissing.body()).getJsonObject("error").getString("message").replace(missing, id),
        new JsonObject(call(ATTACKER, "GET", path, null).body()).getJsonObject("error").getString("message"),
        "the same answer as for an id that does not exist: no existence oracle");

    HttpResponse<String> after = call(VICTIM, "GET", path, null);
    assertEquals(200, after.statusCode(), after.body());
    for (String field : List.of("endpoint", "status", "topic_pattern", "updated_at", "owner", "max_retries")) {
      assertEquals(before.getValue(field), new JsonObject(after.body()).getValue(field), field + " is unchanged");
    }
    JsonObject stored = new SubscriptionRegistry(mesh.context().pool(), mesh.context().secrets()).get(id).toCompletionStage()
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(victimHook.getString("secret"), stored.getString("signing_secret"), "its secret was not rotated");
    assertEquals("victim", before.getString("owner"));

    String eventId = publish(VICTIM, victimTopic);
    waitFor(() -> received.stream().anyMatch(b -> b.contains(eventId)), "the victim's webhook still delivers");
    assertTrue(received.stream().noneMatch(b -> b.startsWith("/stolen")), "nothing went to the attacker's URL");
    assertEquals(200, call(OPERATOR, "GET", path, null).statusCode(), "an admin sees every subscription");
  }

  @Test
  void theAttackerSeesNeitherTheVictimsSubscriptionsInListsNorItsDeliveryLog() throws Exception {
    String id = victimHook.getString("subscription_id");
    String eventId = publish(VICTIM, victimTopic);
    waitFor(() -> received.stream().anyMatch(b -> b.contains(eventId)), "a delivery to log");
    waitFor(() -> total(call(VICTIM, "GET", "/deliveries?subscription=" + id, null)) >= 1, "the victim's log");

    HttpResponse<String> log = call(ATTACKER, "GET", "/deliveries?subscription=" + id, null);
    assertEquals(200, log.statusCode(), log.body());
    assertEquals(0, total(log), "another's delivery log is empty, as for an id that does not exist: " + log.body());
    assertEquals(new JsonArray(), new JsonArray(log.body()));
    assertFalse(call(ATTACKER, "GET", "/deliveries", null).body().contains(id));

    created(ATTACKER, new JsonObject().put("service_name", "attacker-own").put("topic_pattern", attackerTopic)
        .put("method", "websocket"));
    HttpResponse<String> list = call(ATTACKER, "GET", "/subscriptions?limit=1000", null);
    assertEquals(200, list.statusCode());
    assertTrue(new JsonArray(list.body()).stream().map(JsonObject.class::cast)
        .allMatch(s -> "attacker".equals(s.getString("owner"))), list.body());
    assertFalse(list.body().contains(id) || list.body().contains(victimSocketSub));
    assertEquals(new JsonArray(list.body()).size(), total(list), "the total counts only its own");
    assertTrue(call(OPERATOR, "GET", "/subscriptions?limit=1000", null).body().contains(id), "admins see all");
  }

  /**
   * The attacker may read the shared topic itself, but joining the victim's subscription would put its socket in the
   * victim's group and take a share of the victim's events away from the victim's sockets.
   */
  @Test
  void aWebSocketCannotJoinTheVictimsSubscriptionById() throws Exception {
    try (WsClient ws = WsClient.connect(port, "access_token=" + ATTACKER)) {
      ws.send(new JsonObject().put("op", "subscribe").put("id", "steal").put("subscription", victimSocketSub));
      JsonObject error = ws.next(30);
      assertEquals("error", error.getString("type"), error.encode());
      assertEquals(404, error.getInteger("status"));
      assertEquals("subscription_not_found", error.getJsonObject("error").getString("code"));
    }
    try (WsClient ws = WsClient.connect(port, "access_token=" + VICTIM)) {
      ws.send(new JsonObject().put("op", "subscribe").put("id", "mine").put("subscription", victimSocketSub));
      assertEquals("subscribed", ws.next(f -> !"event".equals(f.getString("type")), 30).getString("type"),
          "its owner still joins it");
    }
  }

  @Test
  void theAttackerCannotReadOrCancelTheVictimsReplayNorReplayIntoItsSubscription() throws Exception {
    HttpResponse<String> status = call(ATTACKER, "GET", "/replay/" + victimReplay + "/status", null);
    assertEquals(404, status.statusCode(), status.body());
    assertEquals("replay_not_found", code(status));
    HttpResponse<String> cancel = call(ATTACKER, "DELETE", "/replay/" + victimReplay, null);
    assertEquals(404, cancel.statusCode(), cancel.body());
    assertEquals("replay_not_found", code(cancel));
    JsonObject job = new JsonObject(call(VICTIM, "GET", "/replay/" + victimReplay + "/status", null).body());
    assertEquals("pending", job.getString("state"), "the victim's job was not cancelled: " + job);
    assertEquals(200, call(OPERATOR, "GET", "/replay/" + victimReplay + "/status", null).statusCode());

    HttpResponse<String> intoVictim = call(ATTACKER, "POST", "/replay", new JsonObject().put("topic", attackerTopic)
        .put("start_time", "2020-01-01T00:00:00Z")
        .put("target", new JsonObject().put("subscription", victimHook.getString("subscription_id"))));
    assertEquals(404, intoVictim.statusCode(), intoVictim.body());
    assertEquals("subscription_not_found", code(intoVictim));
  }

  // ---- finding 4: topics read or written through side doors ----

  @Test
  void sideDoorsThatWriteTheVictimsTopicAreRefused() throws Exception {
    int before = TestKafka.records(victimTopic).size();
    // a kafka subscription copies into a topic of the victim's: its own feed, which only the victim may write
    String victimFeed = "sub.victim-" + UUID.randomUUID();
    HttpResponse<String> kafka = call(ATTACKER, "POST", "/subscriptions", new JsonObject()
        .put("service_name", "attacker-copier").put("method", "kafka").put("topic_pattern", attackerTopic)
        .put("endpoint", victimFeed));
    assertForbidden(kafka, "subscription endpoint", victimFeed);
    JsonObject own = created(ATTACKER, new JsonObject().put("service_name", "attacker-copier2").put("method", "kafka")
        .put("topic_pattern", attackerTopic).put("endpoint", "sub.attacker-" + UUID.randomUUID()));
    assertForbidden(call(ATTACKER, "PATCH", "/subscriptions/" + own.getString("subscription_id"),
        new JsonObject().put("endpoint", victimFeed)), "subscription endpoint", victimFeed);

    assertForbidden(call(ATTACKER, "POST", "/replay", new JsonObject().put("topic", attackerTopic)
        .put("start_time", "2020-01-01T00:00:00Z").put("target", new JsonObject().put("topic", victimTopic))),
        "replay target", victimTopic);

    // the victim's failed events wait in its topic's .dlq; redriven, they would be written to the victim's topic again
    try (KafkaProducer<String, byte[]> producer = producer()) {
      var failed = new org.apache.kafka.clients.consumer.ConsumerRecord<>(victimTopic, 0, 7L, "k",
          envelope(victimTopic).encode().getBytes(StandardCharsets.UTF_8));
      producer.send(DeadLetters.of(failed, "game.handler", "boom", 3)).get(30, TimeUnit.SECONDS);
    }
    assertForbidden(call(ATTACKER, "POST", "/dlq/" + victimTopic + "/redrive",
        new JsonObject().put("since", "2020-01-01T00:00:00Z")), "dlq read", victimTopic);
    assertEquals(before, TestKafka.records(victimTopic).size(), "nothing was written to the victim's topic");
  }

  @Test
  void sideDoorsThatReadTheVictimsTopicAreRefused() throws Exception {
    for (String method : List.of("webhook", "kafka", "websocket")) {
      JsonObject everything = new JsonObject().put("service_name", "attacker-all").put("method", method)
          .put("topic_pattern", "*");
      if (method.equals("webhook")) {
        everything.put("endpoint", "http://127.0.0.1:" + receiver.actualPort() + "/all");
      }
      assertForbidden(call(ATTACKER, "POST", "/subscriptions", everything), "subscription topic_pattern", "*");
    }
    JsonObject own = created(ATTACKER, new JsonObject().put("service_name", "attacker-widen").put("method", "websocket")
        .put("topic_pattern", attackerTopic));
    assertForbidden(call(ATTACKER, "PATCH", "/subscriptions/" + own.getString("subscription_id"),
        new JsonObject().put("topic_pattern", "game.*")), "subscription topic_pattern", "game.*");

    assertForbidden(call(ATTACKER, "POST", "/replay", new JsonObject().put("topic", victimTopic)
        .put("start_time", "2020-01-01T00:00:00Z").put("target", new JsonObject().put("topic", attackerTopic))),
        "replay source", victimTopic);
    assertForbidden(call(ATTACKER, "GET", "/dlq/" + victimTopic, null), "dlq read", victimTopic);
    assertForbidden(call(ATTACKER, "GET", "/dlq/" + victimTopic + ".dlq", null), "dlq read", victimTopic);
    assertForbidden(call(ATTACKER, "GET", "/topics/" + victimTopic, null), "topic describe", victimTopic);
    assertForbidden(call(ATTACKER, "GET", "/topics/" + TestKafka.unique("game.nothing"), null), "topic describe",
        null);
    assertEquals(200, call(VICTIM, "GET", "/topics/" + victimTopic, null).statusCode());

    String eventId = publish(VICTIM, victimTopic);
    waitFor(() -> call(VICTIM, "GET", "/events/" + eventId + "/status", null).statusCode() == 200,
        "the event store indexes the victim's event");
    HttpResponse<String> status = call(ATTACKER, "GET", "/events/" + eventId + "/status", null);
    assertEquals(404, status.statusCode(), status.body());
    assertEquals("event_not_found", code(status), "answered as an event that does not exist");
    audit(e -> AuditLog.ACCESS_DENIED.equals(e.getString("event_type"))
        && "event status".equals(e.getJsonObject("data").getString("action")));
  }

  @Test
  void theSharedDeadLetterTopicShowsEachPrincipalItsOwnSubscriptionsOnly() throws Exception {
    String attackerHook = created(ATTACKER, new JsonObject().put("service_name", "attacker-hook")
        .put("method", "webhook").put("topic_pattern", attackerTopic)
        .put("endpoint", "http://127.0.0.1:" + receiver.actualPort() + "/attacker")).getString("subscription_id");
    String victimId = victimHook.getString("subscription_id");
    String victimEvent = UUID.randomUUID().toString();
    String attackerEvent = UUID.randomUUID().toString();
    try (KafkaProducer<String, byte[]> producer = producer()) {
      producer.send(DeadLetters.undelivered(deadTopic, victimTopic, victimEvent,
          envelope(victimTopic).put("event_id", victimEvent).encode().getBytes(StandardCharsets.UTF_8),
          "subscription:" + victimId, "webhook failed", 3)).get(30, TimeUnit.SECONDS);
      producer.send(DeadLetters.undelivered(deadTopic, attackerTopic, attackerEvent,
          envelope(attackerTopic).put("event_id", attackerEvent).encode().getBytes(StandardCharsets.UTF_8),
          "subscription:" + attackerHook, "webhook failed", 3)).get(30, TimeUnit.SECONDS);
    }
    HttpResponse<String> mine = call(ATTACKER, "GET", "/dlq/" + deadTopic + "?limit=1000", null);
    assertEquals(200, mine.statusCode(), mine.body());
    JsonArray items = new JsonObject(mine.body()).getJsonArray("items");
    assertTrue(items.stream().map(JsonObject.class::cast)
        .allMatch(i -> ("subscription:" + attackerHook).equals(i.getString("address"))), mine.body());
    assertFalse(mine.body().contains(victimEvent), "the victim's dead letter is not shown to the attacker");
    assertEquals(1, new JsonObject(mine.body()).getInteger("total"));
    assertTrue(call(VICTIM, "GET", "/dlq/" + deadTopic + "?limit=1000", null).body().contains(victimEvent));
    assertTrue(call(OPERATOR, "GET", "/dlq/" + deadTopic + "?limit=1000", null).body().contains(victimEvent));

    HttpResponse<String> redrive = call(ATTACKER, "POST", "/dlq/" + deadTopic + "/redrive",
        new JsonObject().put("since", "2020-01-01T00:00:00Z"));
    assertEquals(200, redrive.statusCode(), redrive.body());
    JsonObject result = new JsonObject(redrive.body());
    assertEquals(1, result.getInteger("redriven"), "only its own dead letter went back: " + result);
    assertEquals(attackerHook, result.getJsonArray("results").getJsonObject(0).getString("subscription"));
  }

  // ---- topics reserved to the mesh ----

  @Test
  void reservedTopicsAreRefusedEvenToPublishStar() throws Exception {
    List<String> reserved = List.of(auditTopic, deadTopic, victimTopic + ".dlq", "simulation.event",
        "world.tick.hourly", "world.tick.daily", "world.tick.leader", "world.state", "market.state", "match-state",
        "robot-pool-state", "match-events", "robot-commands", "__consumer_offsets");
    for (String topic : reserved) {
      HttpResponse<String> r = call(OPERATOR, "POST", "/events/publish", event(topic));
      assertEquals(403, r.statusCode(), topic + ": " + r.body());
      assertEquals("forbidden", code(r));
    }
    try (WsClient ws = WsClient.connect(port, "access_token=" + OPERATOR)) {
      ws.send(new JsonObject().put("op", "publish").put("ref", "forge").put("event", event(auditTopic)));
      JsonObject refused = ws.next(30);
      assertEquals(403, refused.getInteger("status"), refused.encode());
    }
    HttpResponse<String> batch = call(OPERATOR, "POST", "/events/publish/batch", new JsonObject()
        .put("events", new JsonArray().add(event(auditTopic)).add(event(victimTopic))));
    assertEquals(207, batch.statusCode(), batch.body());
    assertEquals(403, new JsonObject(batch.body()).getJsonArray("results").getJsonObject(0).getInteger("status"));
    assertEquals(200, call(OPERATOR, "POST", "/events/publish", event(victimTopic)).statusCode(), "others are fine");

    assertForbidden(call(OPERATOR, "POST", "/topics", new JsonObject().put("name", victimOutput + ".dlq")
        .put("replication_factor", 1)), "topic create", victimOutput + ".dlq");
    assertForbidden(call(OPERATOR, "POST", "/subscriptions", new JsonObject().put("service_name", "op-copy")
        .put("method", "kafka").put("topic_pattern", victimTopic).put("endpoint", auditTopic)),
        "subscription endpoint", auditTopic);
    assertForbidden(call(OPERATOR, "POST", "/replay", new JsonObject().put("topic", victimTopic)
        .put("start_time", "2020-01-01T00:00:00Z").put("target", new JsonObject().put("topic", "match-state"))),
        "replay target", "match-state");
    assertTrue(TestKafka.envelopes(auditTopic).stream()
        .noneMatch(e -> "security-it".equals(e.getString("source"))), "no forged audit event");
  }

  // ---- 5d: the cap on subscriptions per principal ----

  @Test
  void aPrincipalOwnsAtMostItsQuotaOfSubscriptions() throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < QUOTA; i++) {
      ids.add(created(HOARDER, new JsonObject().put("service_name", "hoard").put("method", "websocket")
          .put("topic_pattern", "game.hoard")).getString("subscription_id"));
    }
    HttpResponse<String> over = call(HOARDER, "POST", "/subscriptions", new JsonObject().put("service_name", "hoard")
        .put("method", "websocket").put("topic_pattern", "game.hoard"));
    assertEquals(403, over.statusCode(), over.body());
    assertEquals("quota_exceeded", code(over));
    assertTrue(over.body().contains("security.quotas.subscriptions_per_principal"), over.body());
    assertEquals(QUOTA, total(call(HOARDER, "GET", "/subscriptions", null)));
    assertEquals(204, call(HOARDER, "DELETE", "/subscriptions/" + ids.get(0), null).statusCode());
    created(HOARDER, new JsonObject().put("service_name", "hoard").put("method", "websocket")
        .put("topic_pattern", "game.hoard"));
  }

  // ---- 7: privileged actions that succeed are audited ----

  @Test
  void privilegedActionsThatSucceedAreAudited() throws Exception {
    JsonObject sub = created(VICTIM, new JsonObject().put("service_name", "victim-audited").put("method", "webhook")
        .put("topic_pattern", victimTopic).put("endpoint", "http://127.0.0.1:" + receiver.actualPort() + "/a"));
    String id = sub.getString("subscription_id");
    String path = "/subscriptions/" + id;
    assertEquals(200, call(VICTIM, "PATCH", path, new JsonObject().put("max_retries", 5)).statusCode());
    assertEquals(200, call(VICTIM, "PATCH", path, new JsonObject().put("rotate_secret", true)).statusCode());
    assertEquals(200, call(VICTIM, "POST", path + "/redrive", new JsonObject().put("since", "2020-01-01T00:00:00Z"))
        .statusCode());
    assertEquals(204, call(VICTIM, "DELETE", path, null).statusCode());
    HttpResponse<String> replay = call(VICTIM, "POST", "/replay", new JsonObject().put("topic", victimTopic)
        .put("start_time", "2020-01-01T00:00:00Z").put("target", new JsonObject().put("topic", victimOutput)));
    String replayId = new JsonObject(replay.body()).getString("replay_id");
    assertEquals(200, call(VICTIM, "DELETE", "/replay/" + replayId, null).statusCode());
    assertEquals(200, call(VICTIM, "POST", "/dlq/" + victimTopic + "/redrive",
        new JsonObject().put("offsets", new JsonObject().put("0", new JsonArray().add(999)))).statusCode());
    String created = TestKafka.unique("game.victim.made");
    HttpResponse<String> topic = call(OPERATOR, "POST", "/topics", new JsonObject().put("name", created)
        .put("replication_factor", 1).put("partitions", 1));
    assertEquals(201, topic.statusCode(), topic.body());

    for (String[] expected : new String[][] {{"subscription.create", id, "victim"},
        {"subscription.update", id, "victim"}, {"subscription.rotate_secret", id, "victim"},
        {"subscription.redrive", id, "victim"}, {"subscription.delete", id, "victim"},
        {"replay.create", replayId, "victim"}, {"replay.cancel", replayId, "victim"},
        {"dlq.redrive", victimTopic, "victim"}, {"topic.create", created, "operator"}}) {
      JsonObject data = audit(e -> AuditLog.ACTION_PERFORMED.equals(e.getString("event_type"))
          && expected[0].equals(e.getJsonObject("data").getString("action"))
          && expected[1].equals(e.getJsonObject("data").getString("resource"))).getJsonObject("data");
      assertEquals(expected[2], data.getString("principal"), data.encode());
      assertEquals("api_key", data.getString("authenticated_by"));
      assertEquals("127.0.0.1", data.getString("remote_address"));
    }
    String all = TestKafka.records(auditTopic).stream().map(r -> new String(r.value(), StandardCharsets.UTF_8))
        .reduce("", String::concat);
    assertFalse(all.contains(sub.getString("secret")), "no secret in the audit trail");
    assertFalse(all.contains("/a\""), "no webhook URL in the audit trail");
  }

  // ---- helpers ----

  private static HttpResponse<String> call(String key, String method, String path, JsonObject body) {
    try {
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .header("X-API-Key", key).header("content-type", "application/json")
          .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofString(body.encode()));
      return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonObject created(String key, JsonObject subscription) {
    HttpResponse<String> response = call(key, "POST", "/subscriptions", subscription);
    assertEquals(201, response.statusCode(), response.body());
    return new JsonObject(response.body());
  }

  private static String code(HttpResponse<String> response) {
    return new JsonObject(response.body()).getJsonObject("error").getString("code");
  }

  private static long total(HttpResponse<String> response) {
    return Long.parseLong(response.headers().firstValue("X-Total-Count").orElse("-1"));
  }

  private static void assertNotFound(String id, HttpResponse<String> response) {
    assertEquals(404, response.statusCode(), response.body());
    JsonObject error = new JsonObject(response.body()).getJsonObject("error");
    assertEquals("subscription_not_found", error.getString("code"));
    assertEquals("no subscription " + id, error.getString("message"));
  }

  /** 403 forbidden in the API's error shape, and a {@code system.access.denied} for the action on that resource. */
  private static void assertForbidden(HttpResponse<String> response, String action, String resource)
      throws Exception {
    assertEquals(403, response.statusCode(), response.body());
    assertEquals("forbidden", code(response));
    assertNotEquals(null, new JsonObject(response.body()).getJsonObject("error").getString("message"));
    if (resource != null) {
      audit(e -> AuditLog.ACCESS_DENIED.equals(e.getString("event_type"))
          && action.equals(e.getJsonObject("data").getString("action"))
          && resource.equals(e.getJsonObject("data").getString("resource")));
    }
  }

  private static JsonObject event(String topic) {
    return new JsonObject().put("event_type", "game.tenancy.test").put("topic", topic).put("source", "security-it")
        .put("payload", new JsonObject().put("n", 1));
  }

  private static JsonObject envelope(String topic) {
    return new JsonObject().put("event_id", UUID.randomUUID().toString()).put("event_type", "game.tenancy.test")
        .put("timestamp", Instant.now().toString()).put("version", "1.0.0").put("source", topic)
        .put("data", new JsonObject()).put("metadata", new JsonObject().put("priority", "normal").put("ttl", "7d")
            .put("retry_count", 0));
  }

  /** Publishes one event as {@code key}; its event id. */
  private static String publish(String key, String topic) {
    HttpResponse<String> r = call(key, "POST", "/events/publish", event(topic));
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body()).getString("event_id");
  }

  private static KafkaProducer<String, byte[]> producer() {
    return new KafkaProducer<>(Map.of("bootstrap.servers", TestKafka.bootstrapServers()), new StringSerializer(),
        new ByteArraySerializer());
  }

  private interface Check {
    boolean holds() throws Exception;
  }

  private static void waitFor(Check check, String what) throws Exception {
    for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); System.nanoTime() < end; Thread.sleep(100)) {
      if (check.holds()) {
        return;
      }
    }
    throw new AssertionError("not within 60 s: " + what);
  }

  private static JsonObject audit(Predicate<JsonObject> filter) throws Exception {
    for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); System.nanoTime() < end; Thread.sleep(200)) {
      for (JsonObject e : TestKafka.envelopes(auditTopic)) {
        if (filter.test(e)) {
          assertTrue(mesh.context().validator().validate(e).isEmpty(),
              () -> "valid audit envelope: " + mesh.context().validator().validate(e) + " " + e);
          return e;
        }
      }
    }
    throw new AssertionError("no such audit event in " + auditTopic);
  }
}
