package com.necpgame.mesh.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.config.TopicSpec;
import com.necpgame.mesh.store.EmbeddedDatabase;
import com.necpgame.mesh.testsupport.OwnBroker;
import com.necpgame.mesh.testsupport.PublishLoad;
import com.necpgame.mesh.testsupport.TestDatabase;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import com.necpgame.mesh.testsupport.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole broker side, then PostgreSQL, away for 30 s and back while a mesh runs every loop and clients publish:
 * every loop resumes by itself (no restart of the mesh), nothing acknowledged is lost, and the store, the webhook
 * deliveries, the WebSocket tail and the bridge's inbound handler catch up. Each loop is observed as a user would see
 * it (a row, a webhook call, a frame, a tick on its topic, a clearing, a robot's answer), and the time from the
 * dependency's return to each loop's first work is logged.
 */
class LoopsSurviveOutageIT {

  private static final Logger LOG = LoggerFactory.getLogger(LoopsSurviveOutageIT.class);
  private static final long OUTAGE_MS = 30_000;
  /** How long every loop has, once the broker or database is back, to show it works again. */
  private static final long RESUME_BOUND_MS = 60_000;
  private static final String INBOUND = "test.outage.inbound";
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void everyLoopResumesByItselfAndNothingAcknowledgedIsLostWhenTheBrokerIsAwayFor30Seconds(@TempDir Path dir)
      throws Exception {
    Vertx vertx = Vertx.vertx();
    OwnBroker broker = null;
    Mesh mesh = null;
    try {
      Hook hook = Hook.start(vertx);
      broker = OwnBroker.start(dir.resolve("kafka"));
      String bootstrap = broker.bootstrapServers();
      String topic = TestKafka.unique("game.outage");
      String replayed = TestKafka.unique("replayed.outage");
      PgConnectOptions db = TestDatabase.freshDatabase();
      int port = TestMesh.freePort();
      JsonObject on = new JsonObject().put("enabled", true);
      MeshConfig config = TestMesh.config(dir, port, bootstrap, new JsonObject()
          .put("database", new JsonObject().put("url", TestDatabase.url(db)))
          // a publish refused within seconds while the broker is away, not after the default 30 s
          .put("kafka", new JsonObject().put("producer", new JsonObject().put("max_block_ms", 3000)
              .put("delivery_timeout_ms", 12_000)))
          .put("bridge", new JsonObject().put("inbound", new JsonArray().add(new JsonObject().put("topic", topic)
              .put("address", INBOUND).put("mode", "shared"))))
          .put("delivery", new JsonObject().put("refresh_ms", 200).put("webhook", new JsonObject().put("poll_ms", 50)))
          // two game hours a real second: a tick every 0.5 s, a game day every 12 s
          .put("world", new JsonObject().put("clock", new JsonObject().put("real_epoch", Instant.now().toString())
              .put("time_scale", 7200)))
          // a round waits for its robots (by default it starts without them after 5 s), so the time they take to be
          // assigned is the robot loop's time to resume
          .put("match", new JsonObject().put("round_ms", 120_000).put("voting_ms", 120_000).put("check_ms", 20)
              .put("assign_timeout_ms", 60_000))
          .put("robots", new JsonObject().put("check_ms", 50))
          .put("verticles", new JsonObject().put("tick", on).put("market", on).put("diplomacy", on).put("crowd", on)
              .put("matches", on).put("robots", on).put("robot-workers", on)));
      // The declared topics made here, where a slow machine may take its time, rather than within the mesh's start
      List<TopicSpec> topics = new ArrayList<>(TopicProvisioner.withDeadLetters(TopicSpec.load(config.topics().file())));
      topics.add(new TopicSpec(topic, 3, Optional.empty(), Map.of(), false));
      topics.add(new TopicSpec(replayed, 3, Optional.empty(), Map.of(), false));
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
        new TopicProvisioner(admin, 1, Duration.ofSeconds(60)).ensure(topics);
      }
      mesh = Mesh.start(config);
      Map<String, Integer> inbound = new ConcurrentHashMap<>();
      Map<String, Long> inboundAt = new ConcurrentHashMap<>();
      mesh.vertx().eventBus().<JsonObject>consumer(INBOUND, m -> {
        inbound.merge(m.body().getString("event_id"), 1, Integer::sum);
        inboundAt.putIfAbsent(m.body().getString("event_id"), System.currentTimeMillis());
        m.reply(null);
      }).completion().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      String base = "http://127.0.0.1:" + port;
      hook.subscribe(base, topic);

      try (Tail tail = Tail.start(bootstrap, List.of("world.tick.hourly", "simulation.event", "world.state"));
          WsTail ws = WsTail.open(port, topic)) {
        PublishLoad load = PublishLoad.start(port, topic, 2, 20);
        Map<String, Long> after;
        long back;
        long backWall;
        long away;
        try {
          load.awaitAcks(100, 60);
          Map<String, Long> before = everyLoopWorks(base, tail, "before");
          LOG.info("before the outage every loop works; ms from the check's start to each loop's work: {}", before);
          assertEquals(List.of(), missing(before), "loops not working before the outage: " + before);

          long down = System.nanoTime();
          broker.stop();
          Thread.sleep(Math.max(0, OUTAGE_MS - (System.nanoTime() - down) / 1_000_000));
          broker.start();
          back = System.nanoTime();
          backWall = System.currentTimeMillis();
          away = (back - down) / 1_000_000;
          after = everyLoopWorks(base, tail, "after");
          load.awaitAcks(100, 60);
          after.put("publish (first acknowledgement)", load.firstAckMillisAfter(back));
        } finally {
          load.close();
        }
        Set<String> acked = load.acked();
        Map<String, Integer> found = PublishLoad.eventIds(bootstrap, topic);
        long lost = acked.stream().filter(id -> !found.containsKey(id)).count();
        long twice = acked.stream().filter(id -> found.getOrDefault(id, 0) > 1).count();

        long resumed = back;
        Map<String, Supplier<Long>> caughtUp = new LinkedHashMap<>();
        caughtUp.put("store (caught up)", () -> stored(db, topic).keySet().containsAll(acked) ? since(resumed) : null);
        caughtUp.put("webhook (caught up)", () -> hook.delivered.keySet().containsAll(acked) ? since(resumed) : null);
        caughtUp.put("websocket tail (caught up)", () -> ws.ids.keySet().containsAll(acked) ? since(resumed) : null);
        caughtUp.put("bridge inbound (caught up)", () -> inbound.keySet().containsAll(acked) ? since(resumed)
            : null);
        after.putAll(awaitAll(caughtUp));
        after.put("store (first row)", firstAfter(stored(db, topic).values(), backWall));
        after.put("webhook (first call)", firstAfter(hook.delivered.values(), backWall));
        after.put("websocket tail (first frame)", firstAfter(ws.ids.values(), backWall));
        after.put("bridge inbound (first record)", firstAfter(inboundAt.values(), backWall));
        int records = found.values().stream().mapToInt(Integer::intValue).sum();
        after.put("replay (job completed)", replay(base, topic, replayed, records, back));

        long storedTwice = storedCounts(db, topic).values().stream().filter(n -> n > 1).count();
        long hookTwice = acked.stream().filter(id -> hook.calls(id) > 1).count();
        long inboundTwice = acked.stream().filter(id -> inbound.getOrDefault(id, 0) > 1).count();
        Map<String, Long> absent = new LinkedHashMap<>();
        Set<String> inStore = stored(db, topic).keySet();
        absent.put("store", acked.stream().filter(id -> !inStore.contains(id)).count());
        absent.put("webhook", acked.stream().filter(id -> !hook.delivered.containsKey(id)).count());
        absent.put("websocket", acked.stream().filter(id -> !ws.ids.containsKey(id)).count());
        absent.put("inbound", acked.stream().filter(id -> !inbound.containsKey(id)).count());
        if (absent.get("webhook") > 0) {
          LOG.warn("webhook deliveries missing: {}", webhookState(db, acked.stream()
              .filter(id -> !hook.delivered.containsKey(id)).toList()));
        }
        LOG.info("broker away {} ms (publishing answered 503 for {} ms; outcomes {}): acknowledged {}, in Kafka {} "
            + "(lost {}, twice {}), records on the topic {}, stored twice {}, webhook calls twice {}, inbound twice {}, "
            + "acknowledged but absent {}, socket closed: {}; ms from the broker's return to each loop's work (-1: "
            + "none within {} ms): {}", away, load.unavailableMillis(), load.outcomes(), acked.size(),
            acked.size() - lost, lost, twice, records, storedTwice, hookTwice, inboundTwice, absent, ws.closed(),
            RESUME_BOUND_MS, after);
        assertEquals(List.of(), load.bad(), "every publish answered 200 or 503 with Retry-After, none hanging");
        assertTrue(load.outcomes().getOrDefault("503", 0) > 0, "the outage was seen: " + load.outcomes());
        assertEquals(0, lost, "acknowledged events missing from Kafka");
        assertEquals(0, twice, "acknowledged events written twice to Kafka");
        assertEquals(0, storedTwice, "events stored twice");
        assertEquals(null, ws.closed(), "the socket subscribed before the outage stays open");
        assertEquals(List.of(), missing(after), "loops that did not work again within " + RESUME_BOUND_MS
            + " ms of the broker's return: " + after);
      }
    } finally {
      try {
        if (mesh != null) {
          mesh.close(); // while the broker runs: its consumers commit and its producer flushes without waiting
        }
      } finally {
        if (broker != null) {
          broker.close();
        }
        vertx.close();
      }
    }
  }

  @Test
  void storeDeliveryAndReplayResumeByThemselvesWhenPostgresIsAwayFor30Seconds(@TempDir Path dir) throws Exception {
    int pgPort = TestMesh.freePort();
    EmbeddedDatabase db = EmbeddedDatabase.start(dir.resolve("pg"), pgPort);
    PgConnectOptions options = db.connectOptions();
    Vertx vertx = Vertx.vertx();
    Hook hook = Hook.start(vertx);
    Mesh mesh = null;
    try {
      String topic = TestKafka.createTopic("game.pgaway", 3);
      String replayed = TestKafka.createTopic("replayed.pgaway", 3);
      String only = Pattern.quote(topic);
      int port = TestMesh.freePort();
      mesh = Mesh.start(TestMesh.config(dir, port, new JsonObject()
          .put("database", new JsonObject().put("url", TestDatabase.url(options)).put("pool_size", 4))
          .put("store", new JsonObject().put("topics", only).put("group", TestKafka.unique("store"))
              .put("retry_pause_ms", 200))
          .put("delivery", new JsonObject().put("topics", only).put("group", TestKafka.unique("hooks"))
              .put("refresh_ms", 200).put("retry_pause_ms", 200).put("webhook", new JsonObject().put("poll_ms", 50)))
          .put("replay", new JsonObject().put("poll_ms", 200))));
      String base = "http://127.0.0.1:" + port;
      hook.subscribe(base, topic);

      PublishLoad load = PublishLoad.start(port, topic, 2, 20);
      Map<String, Long> after = new LinkedHashMap<>();
      List<String> refusals = new ArrayList<>();
      long back;
      long backWall;
      int ackedBefore;
      int ackedDuring;
      try {
        load.awaitAcks(100, 60);
        await("the first events delivered", () -> hook.delivered.keySet().containsAll(load.acked()));
        String replayId = createReplay(base, topic, replayed, Instant.now().minusSeconds(600));
        ackedBefore = load.acked().size();

        db.close();
        db = null;
        long down = System.nanoTime();
        load.awaitAcks(100, 30); // publishing goes on: Kafka takes the events, PostgreSQL is not needed for that
        for (String[] route : List.of(new String[] {"GET", "/subscriptions"},
            new String[] {"POST", "/subscriptions"}, new String[] {"GET", "/replay/" + replayId + "/status"},
            new String[] {"POST", "/replay"}, new String[] {"GET", "/events/" + load.acked().iterator().next()
                + "/status"})) {
          JsonObject body = route[0].equals("GET") ? null : route[1].equals("/replay")
              ? replayRequest(topic, replayed, Instant.now().minusSeconds(600)) : subscription(hook, topic);
          HttpResponse<String> r = call(route[0], base + route[1], body);
          refusals.add(route[0] + " " + route[1] + " " + r.statusCode());
          assertUnavailable(r, route[0] + " " + route[1]);
        }
        Thread.sleep(Math.max(0, OUTAGE_MS - (System.nanoTime() - down) / 1_000_000));
        ackedDuring = load.acked().size() - ackedBefore;

        db = EmbeddedDatabase.start(dir.resolve("pg"), pgPort);
        back = System.nanoTime();
        backWall = System.currentTimeMillis();
        after.put("subscriptions route (first 200)", millisUntil(back, "GET /subscriptions answered 200",
            () -> call("GET", base + "/subscriptions", null).statusCode() == 200));
        after.put("replay route (first 202)", millisUntil(back, "POST /replay answered 202",
            () -> call("POST", base + "/replay", replayRequest(topic, replayed, Instant.now().minusSeconds(600)))
                .statusCode() == 202));
        load.awaitAcks(100, 60);
      } finally {
        load.close();
      }
      Set<String> acked = load.acked();
      Map<String, Integer> found = PublishLoad.eventIds(TestKafka.bootstrapServers(), topic);
      long lost = acked.stream().filter(id -> !found.containsKey(id)).count();
      long resumed = back;
      Map<String, Supplier<Long>> caughtUp = new LinkedHashMap<>();
      caughtUp.put("store (caught up)", () -> stored(options, topic).keySet().containsAll(acked) ? since(resumed)
          : null);
      caughtUp.put("webhook (caught up)", () -> hook.delivered.keySet().containsAll(acked) ? since(resumed) : null);
      after.putAll(awaitAll(caughtUp));
      after.put("store (first row)", firstAfter(stored(options, topic).values(), backWall));
      after.put("webhook (first call)", firstAfter(hook.delivered.values(), backWall));
      after.put("replay (job completed)", replay(base, topic, replayed, found.values().stream()
          .mapToInt(Integer::intValue).sum(), back));
      long hookTwice = acked.stream().filter(id -> hook.calls(id) > 1).count();
      LOG.info("PostgreSQL away {} ms: acknowledged {} ({} during the outage), in Kafka {} (lost {}), in the store "
          + "{}, webhook deliveries twice {}; answers during the outage {}; ms from PostgreSQL's return to each "
          + "loop's work: {}", OUTAGE_MS, acked.size(), ackedDuring, acked.size() - lost, lost, acked.size(), hookTwice,
          refusals, after);
      assertTrue(ackedDuring >= 100, "publishing went on while PostgreSQL was away: " + ackedDuring);
      assertEquals(0, lost, "acknowledged events missing from Kafka");
      assertEquals(List.of(), load.bad(), "every publish answered");
      assertEquals(List.of(), missing(after), "loops that did not work again within " + RESUME_BOUND_MS
          + " ms of PostgreSQL's return: " + after);
    } finally {
      try {
        if (mesh != null) {
          mesh.close();
        }
      } finally {
        vertx.close();
        if (db != null) {
          db.close();
        }
      }
    }
  }

  /**
   * Shows every world loop at work from now on and returns, per loop, the ms from now to its first work (-1: none
   * within {@link #RESUME_BOUND_MS}): a tick, the market clearing orders placed now, a daily step of diplomacy and of
   * the crowd, and a match created now that gets its robots, whose workers answer.
   */
  private static Map<String, Long> everyLoopWorks(String base, Tail tail, String when) throws Exception {
    long start = System.nanoTime();
    long since = System.currentTimeMillis();
    CompletableFuture<Map<String, Long>> match = CompletableFuture.supplyAsync(() -> matchWorks(base, start));
    String owner = "outage-" + when;
    boolean[] ordered = new boolean[2];
    Map<String, Supplier<Long>> checks = new LinkedHashMap<>();
    checks.put("tick (hourly tick)", () -> tail.first(since, r -> r.topic().equals("world.tick.hourly")
        && "world.tick.hourly".equals(type(r))));
    checks.put("market (clearing)", () -> {
      for (int i = 0; i < 2; i++) { // a crossed pair, each sent until accepted
        ordered[i] = ordered[i] || call("POST", base + "/market/orders", order("fuel", i == 0 ? "buy" : "sell",
            owner)).statusCode() == 202;
      }
      return ordered[0] && ordered[1] ? tail.first(since, r -> "economy.market.cleared".equals(type(r))
          && clearedAtPrice(r, "fuel")) : null;
    });
    checks.put("diplomacy (daily step)", () -> tail.first(since, r -> r.topic().equals("world.state")
        && "diplomacy".equals(r.key())));
    checks.put("crowd (daily step)", () -> tail.first(since, r -> r.topic().equals("world.state")
        && "crowd".equals(r.key())));
    Map<String, Long> out = awaitAll(checks);
    out.putAll(match.get(RESUME_BOUND_MS + 30_000, TimeUnit.MILLISECONDS));
    return out;
  }

  /**
   * A match created (retried while refused), its robots assigned, and their answers in: ms from {@code start} to
   * each, -1 for those not reached within {@link #RESUME_BOUND_MS}.
   */
  private static Map<String, Long> matchWorks(String base, long start) {
    Map<String, Long> out = new LinkedHashMap<>();
    out.put("matches (match created)", -1L);
    out.put("robots (robots assigned)", -1L);
    out.put("robot workers (answers in)", -1L);
    try {
      JsonObject[] created = new JsonObject[1];
      retry("a match created", () -> {
        HttpResponse<String> r = call("POST", base + "/matches", new JsonObject().put("player_id", "p-outage"));
        if (r.statusCode() == 201) {
          created[0] = new JsonObject(r.body());
        }
        return created[0] != null;
      });
      String id = created[0].getString("match_id");
      out.put("matches (match created)", since(start));
      awaitView(base, id, v -> v.getInteger("round") == 1 && "responding".equals(v.getString("phase"))
          && v.getJsonArray("participants").size() == 4, "round 1 with its robots");
      out.put("robots (robots assigned)", since(start));
      awaitView(base, id, v -> v.getJsonArray("responded").size() >= 3, "the robots' answers");
      out.put("robot workers (answers in)", since(start));
    } catch (AssertionError | Exception e) {
      LOG.warn("the match loop did not get that far: {}", e.getMessage());
    }
    return out;
  }

  private static void awaitView(String base, String id, Predicate<JsonObject> reached, String what) throws Exception {
    JsonObject[] last = new JsonObject[1];
    try {
      retry(what + " in match " + id, () -> {
        HttpResponse<String> r = call("GET", base + "/matches/" + id, null);
        last[0] = r.statusCode() == 200 ? new JsonObject(r.body()) : last[0];
        return last[0] != null && reached.test(last[0]);
      });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; the match was last seen as " + last[0], e);
    }
  }

  private static JsonObject order(String commodity, String side, String owner) {
    return new JsonObject().put("commodity", commodity).put("side", side).put("limit_price", 12)
        .put("quantity", 5).put("owner", owner);
  }

  private static boolean clearedAtPrice(ConsumerRecord<String, byte[]> r, String commodity) {
    JsonObject data = new JsonObject(new String(r.value(), StandardCharsets.UTF_8)).getJsonObject("data");
    return commodity.equals(data.getString("commodity")) && data.getValue("price") != null;
  }

  private static String type(ConsumerRecord<String, byte[]> r) {
    return EnvelopeRecords.header(r.headers(), EnvelopeRecords.HEADER_EVENT_TYPE);
  }

  private static JsonObject replayRequest(String topic, String target, Instant from) {
    return new JsonObject().put("topic", topic).put("start_time", from.toString())
        .put("target", new JsonObject().put("topic", target));
  }

  private static String createReplay(String base, String topic, String target, Instant from) {
    HttpResponse<String> r = call("POST", base + "/replay", replayRequest(topic, target, from));
    assertEquals(202, r.statusCode(), r.body());
    return new JsonObject(r.body()).getString("replay_id");
  }

  /**
   * A replay of the whole topic created now (retried while refused) completes having copied all {@code records} of
   * it; the ms from {@code back} to its completion.
   */
  private static long replay(String base, String topic, String target, int records, long back) throws Exception {
    String[] id = new String[1];
    retry("a replay created", () -> {
      HttpResponse<String> r = call("POST", base + "/replay", replayRequest(topic, target,
          Instant.now().minusSeconds(3600)));
      id[0] = r.statusCode() == 202 ? new JsonObject(r.body()).getString("replay_id") : null;
      return id[0] != null;
    });
    JsonObject[] status = new JsonObject[1];
    retry("replay " + id[0] + " completed", () -> {
      status[0] = new JsonObject(call("GET", base + "/replay/" + id[0] + "/status", null).body());
      return "completed".equals(status[0].getString("state")) || "failed".equals(status[0].getString("state"));
    });
    long ms = (System.nanoTime() - back) / 1_000_000;
    assertEquals("completed", status[0].getString("state"), status[0].encode());
    assertEquals(records, status[0].getLong("events_delivered"), "the replay copied every record: "
        + status[0].encode());
    return ms;
  }

  private static JsonObject subscription(Hook hook, String topic) {
    return new JsonObject().put("service_name", "outage").put("method", "webhook")
        .put("endpoint", "http://127.0.0.1:" + hook.port() + "/hook").put("topic_pattern", topic).put("retry_delay", 1)
        .put("rate_limit_per_min", 600_000); // the default 1,000 a minute is slower than the test publishes
  }

  private static void assertUnavailable(HttpResponse<String> r, String what) {
    assertEquals(503, r.statusCode(), what + ": " + r.body());
    assertTrue(r.headers().firstValue("retry-after").orElse("").matches("[1-9][0-9]*"), what + " Retry-After");
    assertEquals("database_unavailable", new JsonObject(r.body()).getJsonObject("error").getString("code"),
        what + ": " + r.body());
  }

  /** Event id to the epoch ms it was stored, of the events of {@code topic} in the store. */
  private static Map<String, Long> stored(PgConnectOptions db, String topic) {
    Map<String, Long> out = new HashMap<>();
    query(db, "SELECT event_id, created_at FROM events WHERE topic = ?", topic,
        rs -> out.put(rs.getString(1), rs.getTimestamp(2).getTime()));
    return out;
  }

  /** Event id to how many rows it has (the column is unique: always 1, unless that changed). */
  private static Map<String, Integer> storedCounts(PgConnectOptions db, String topic) {
    Map<String, Integer> out = new HashMap<>();
    query(db, "SELECT event_id, count(*) FROM events WHERE topic = ? GROUP BY event_id", topic,
        rs -> out.put(rs.getString(1), rs.getInt(2)));
    return out;
  }

  /** Where the webhook deliveries of {@code missing} events are: queued, attempted, routed how far. */
  private static String webhookState(PgConnectOptions db, List<String> missing) {
    List<String> out = new ArrayList<>();
    String ids = String.join(",", missing.stream().limit(500).map(id -> "'" + id + "'").toList());
    query(db, "SELECT count(*), min(attempts), max(attempts), min(next_attempt_at)::text, max(lease_until)::text "
        + "FROM webhook_queue WHERE event_id IN (" + ids + ") AND topic <> ?", "", rs -> out.add("queued "
        + rs.getLong(1) + " attempts " + rs.getObject(2) + "-" + rs.getObject(3) + " next " + rs.getString(4)
        + " lease " + rs.getString(5)));
    query(db, "SELECT status, count(*) FROM event_deliveries WHERE event_id IN (" + ids + ") AND subscription_id <> ? "
        + "GROUP BY status", "", rs -> out.add("attempts " + rs.getString(1) + " " + rs.getLong(2)));
    query(db, "SELECT topic, partition, next_offset FROM webhook_routed WHERE subscription_id <> ?", "",
        rs -> out.add("routed " + rs.getString(1) + "-" + rs.getInt(2) + " to " + rs.getLong(3)));
    query(db, "SELECT partition, min(\"offset\"), max(\"offset\"), count(*) FROM events WHERE event_id IN (" + ids
        + ") AND topic <> ? GROUP BY partition", "", rs -> out.add("missing on partition " + rs.getInt(1)
        + " offsets " + rs.getLong(2) + "-" + rs.getLong(3) + " (" + rs.getLong(4) + ")"));
    return out.toString();
  }

  @FunctionalInterface
  private interface Row {
    void read(ResultSet rs) throws Exception;
  }

  private static void query(PgConnectOptions db, String sql, String topic, Row row) {
    String jdbc = "jdbc:postgresql://" + db.getHost() + ":" + db.getPort() + "/" + db.getDatabase();
    try (Connection c = DriverManager.getConnection(jdbc, db.getUser(), db.getPassword());
        PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, topic);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          row.read(rs);
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException("cannot read the store: " + e, e);
    }
  }

  /** Ms from {@code sinceWall} (epoch ms) to the first of {@code times} at or after it, or -1 when none is. */
  private static long firstAfter(java.util.Collection<Long> times, long sinceWall) {
    return times.stream().filter(t -> t >= sinceWall).mapToLong(t -> t - sinceWall).min().orElse(-1);
  }

  /** Ms since {@code nanoTime}. */
  private static long since(long nanoTime) {
    return (System.nanoTime() - nanoTime) / 1_000_000;
  }

  /**
   * Evaluates every check (null: not yet; a check that throws counts as not yet) every 100 ms until each returned a
   * figure or {@link #RESUME_BOUND_MS} passed: name to figure, -1 for those never met.
   */
  private static Map<String, Long> awaitAll(Map<String, Supplier<Long>> checks) throws InterruptedException {
    Map<String, Long> out = new LinkedHashMap<>();
    checks.keySet().forEach(name -> out.put(name, -1L));
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RESUME_BOUND_MS);
    while (out.containsValue(-1L) && System.nanoTime() < end) {
      for (Map.Entry<String, Supplier<Long>> check : checks.entrySet()) {
        if (out.get(check.getKey()) == -1L) {
          try {
            Long figure = check.getValue().get();
            if (figure != null) {
              out.put(check.getKey(), figure);
            }
          } catch (RuntimeException e) {
            // not yet
          }
        }
      }
      Thread.sleep(100);
    }
    return out;
  }

  /** The names whose figure is -1: what did not happen in time. */
  private static List<String> missing(Map<String, Long> figures) {
    return figures.entrySet().stream().filter(e -> e.getValue() < 0).map(Map.Entry::getKey).toList();
  }

  /** Waits (at most {@link #RESUME_BOUND_MS}) until {@code condition} holds; the ms from {@code since} (nanoTime). */
  private static long millisUntil(long since, String what, Supplier<Boolean> condition) throws InterruptedException {
    await(what, condition);
    return (System.nanoTime() - since) / 1_000_000;
  }

  private static void await(String what, Supplier<Boolean> condition) throws InterruptedException {
    for (long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RESUME_BOUND_MS); !condition.get();
        Thread.sleep(100)) {
      assertTrue(System.nanoTime() < end, "not within " + RESUME_BOUND_MS + " ms: " + what);
    }
  }

  /** {@link #await} where an attempt that throws (a refused or failed request) counts as not yet. */
  private static void retry(String what, Supplier<Boolean> attempt) throws InterruptedException {
    await(what, () -> {
      try {
        return attempt.get();
      } catch (RuntimeException e) {
        return false;
      }
    });
  }

  private static HttpResponse<String> call(String method, String url, JsonObject body) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("content-type", "application/json")
          .timeout(Duration.ofSeconds(30)).method(method, body == null ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new IllegalStateException(method + " " + url + " failed: " + e, e);
    }
  }

  /** A webhook receiver: every event id it was called with, when first, and how many times. */
  private static final class Hook {
    final Map<String, Long> delivered = new ConcurrentHashMap<>();
    final Map<String, Integer> calls = new ConcurrentHashMap<>();
    HttpServer server;

    static Hook start(Vertx vertx) throws Exception {
      Hook hook = new Hook();
      hook.server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
        String id = new JsonObject(body.toString()).getString("event_id");
        hook.delivered.putIfAbsent(id, System.currentTimeMillis());
        hook.calls.merge(id, 1, Integer::sum);
        req.response().end();
      })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      return hook;
    }

    int port() {
      return server.actualPort();
    }

    int calls(String id) {
      return calls.getOrDefault(id, 0);
    }

    /** A webhook subscription to {@code topic}, once the router has read it (it re-reads every 200 ms here). */
    void subscribe(String base, String topic) throws InterruptedException {
      HttpResponse<String> r = call("POST", base + "/subscriptions", subscription(this, topic));
      assertEquals(201, r.statusCode(), r.body());
      Thread.sleep(600);
    }
  }

  /** A /ws client subscribed to a topic from its end, reading on a thread: event id to when it first came. */
  private static final class WsTail implements AutoCloseable {
    final Map<String, Long> ids = new ConcurrentHashMap<>();
    private final WsClient client;
    private final Thread reader;
    private volatile String closed;
    private volatile boolean running = true;

    private WsTail(WsClient client) {
      this.client = client;
      this.reader = new Thread(this::read, "ws-tail");
      this.reader.setDaemon(true);
    }

    static WsTail open(int port, String topic) throws Exception {
      WsClient client = WsClient.connect(port);
      client.send(new JsonObject().put("op", "subscribe").put("topics", new JsonArray().add(topic)));
      JsonObject answer = client.next(30);
      assertEquals("subscribed", answer.getString("type"), answer.encode());
      WsTail tail = new WsTail(client);
      tail.reader.start();
      return tail;
    }

    private void read() {
      while (running) {
        try {
          JsonObject frame = client.poll(200);
          if (frame != null && "event".equals(frame.getString("type"))) {
            ids.putIfAbsent(frame.getJsonObject("event").getString("event_id"), System.currentTimeMillis());
          }
          if (frame == null && closed == null) {
            closed = client.closedNow();
          }
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    /** How the server closed the socket, or null while it is open. */
    String closed() {
      return closed;
    }

    @Override
    public void close() throws InterruptedException {
      running = false;
      reader.join(5000);
      client.close();
    }
  }

  /**
   * Every record of some topics from their end at start, read (read_committed) on a thread of the test's own through
   * the outage, with the record's timestamp: when a loop's output was made.
   */
  private static final class Tail implements AutoCloseable {
    private final List<ConsumerRecord<String, byte[]>> records = new CopyOnWriteArrayList<>();
    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private volatile boolean running = true;

    private Tail(KafkaConsumer<String, byte[]> consumer) {
      this.consumer = consumer;
      this.thread = new Thread(this::run, "outage-tail");
      this.thread.setDaemon(true);
    }

    static Tail start(String bootstrap, List<String> topics) {
      KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.<String, Object>of("bootstrap.servers", bootstrap,
          "isolation.level", "read_committed"), new StringDeserializer(), new ByteArrayDeserializer());
      List<TopicPartition> parts = new ArrayList<>();
      for (String topic : topics) {
        c.partitionsFor(topic).forEach(p -> parts.add(new TopicPartition(topic, p.partition())));
      }
      c.assign(parts);
      c.seekToEnd(parts);
      parts.forEach(c::position);
      Tail tail = new Tail(c);
      tail.thread.start();
      return tail;
    }

    private void run() {
      try {
        while (running) {
          consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        }
      } catch (org.apache.kafka.common.errors.WakeupException e) {
        // closing
      } finally {
        consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(2)));
      }
    }

    /**
     * Ms from {@code since} (epoch ms) to the timestamp of the first record made at or after it that passes
     * {@code wanted}, or null when none has come yet.
     */
    Long first(long since, Predicate<ConsumerRecord<String, byte[]>> wanted) {
      long at = records.stream().filter(r -> r.timestamp() >= since && wanted.test(r))
          .mapToLong(ConsumerRecord::timestamp).min().orElse(-1);
      return at < 0 ? null : at - since;
    }

    @Override
    public void close() throws InterruptedException {
      running = false;
      consumer.wakeup();
      thread.join(5000);
    }
  }
}
