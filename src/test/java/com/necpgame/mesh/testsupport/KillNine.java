package com.necpgame.mesh.testsupport;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One kill -9 cycle: the packaged jar on the test broker, HTTP clients publishing to a topic of its own, {@code kill
 * -9} once {@code acksBeforeKill} events were acknowledged, then every event id read back from Kafka.
 */
public final class KillNine {

  /** What the clients saw acknowledged and what Kafka holds of it. */
  public record Cycle(int acked, int lost, int duplicated, int foundUnacked, Map<String, Integer> outcomes) {
    @Override
    public String toString() {
      return "acknowledged " + acked + ", lost " + lost + ", duplicated " + duplicated + ", in Kafka but not "
          + "acknowledged (in flight at the kill) " + foundUnacked + "; answers " + outcomes;
    }
  }

  private KillNine() {}

  /** The mesh's config: the test broker and a fresh database; only the gateway and the bridge run. */
  public static JsonObject config(Path dir, String topic) throws Exception {
    Path topics = dir.resolve("topics.json");
    Files.createDirectories(dir);
    Files.writeString(topics, new JsonObject().put("topics", new JsonArray().add(new JsonObject().put("name", topic)
        .put("partitions", 6).put("retention_hours", 24).put("dlq", false))).encodePrettily());
    JsonObject off = new JsonObject().put("enabled", false);
    return new JsonObject()
        .put("kafka", new JsonObject().put("bootstrap_servers", TestKafka.bootstrapServers()))
        .put("database", new JsonObject().put("url", TestDatabase.url(TestDatabase.freshDatabase())))
        .put("security", new JsonObject().put("secrets", TestMesh.secrets()))
        .put("topics", new JsonObject().put("file", topics.toString()).put("default_replication_factor", 1))
        .put("bridge", new JsonObject().put("outbound", new JsonArray()))
        .put("verticles", new JsonObject().put("store", off).put("delivery", off).put("replay", off)
            .put("tick", off).put("market", off).put("diplomacy", off).put("crowd", off).put("matches", off)
            .put("robots", off).put("robot-workers", off).put("gateway", new JsonObject().put("instances", 2)));
  }

  public static Cycle run(String name, Path dir, int clients, int acksBeforeKill) throws Exception {
    String topic = TestKafka.unique("game.kill9");
    return run(name, dir, config(dir, topic), topic, TestKafka.bootstrapServers(), clients, acksBeforeKill, false);
  }

  /**
   * The default deployment: the jar's own embedded broker and PostgreSQL die with it. The mesh is started again on
   * the same data directory (the broker recovers its log, the orphaned postmaster is stopped) and the events are read
   * from the restarted broker.
   */
  public static Cycle runEmbedded(String name, Path dir, int clients, int acksBeforeKill) throws Exception {
    String topic = TestKafka.unique("game.kill9");
    int kafkaPort = TestMesh.freePort();
    JsonObject config = config(dir, topic);
    config.put("kafka", new JsonObject().put("embedded", new JsonObject().put("port", kafkaPort)));
    config.remove("database");
    return run(name, dir, config, topic, "127.0.0.1:" + kafkaPort, clients, acksBeforeKill, true);
  }

  /**
   * Keyed publishes killed between Kafka's acknowledgement and the client's receipt, then retried on another process:
   * {@code events} requests with an Idempotency-Key each go to a process that holds every acknowledgement before
   * recording or answering it ({@code idempotency.hold_after_ack_ms}, a test-only setting: the window made wide and
   * deterministic); once Kafka holds all of them it is killed with -9, and each is retried on a second process until
   * answered. Acknowledged: the retries answered 200 (each must be a replay of the event in Kafka); outcomes: how the
   * retries were answered (409 {@code in_progress} while the dead process's claims were fresh).
   */
  public static Cycle keyedRetry(String name, Path dir, int events) throws Exception {
    String topic = TestKafka.unique("game.kill9keyed");
    JsonObject config = config(dir, topic);
    // A shorter send bound (max_block_ms + delivery_timeout_ms, the latter at least linger + request_timeout_ms: 12 s),
    // so a dead process's claim may be taken over after 13 s rather than a minute.
    config.getJsonObject("kafka").put("producer", new JsonObject().put("delivery_timeout_ms", 10_005)
        .put("max_block_ms", 2000));
    config.put("idempotency", new JsonObject().put("pending_timeout_ms", 13_000).put("in_flight_wait_ms", 200));
    JsonObject holding = config.copy();
    holding.getJsonObject("idempotency").put("hold_after_ack_ms", 600_000);
    List<JsonObject> bodies = new ArrayList<>();
    for (int i = 0; i < events; i++) {
      bodies.add(new JsonObject().put("event_type", "game.trade.done").put("topic", topic).put("source", "kill9")
          .put("payload", new JsonObject().put("n", i)));
    }
    Map<String, Integer> outcomes = new TreeMap<>();
    Map<String, Integer> found;
    Set<String> acked = new HashSet<>();
    List<MeshProcess> both = MeshProcess.startAll(
        new MeshProcess.Spec(name + "-retrier", dir.resolve("retrier"), config),
        new MeshProcess.Spec(name + "-held", dir.resolve("held"), holding));
    try (MeshProcess retrier = both.get(0)) {
      try (MeshProcess held = both.get(1)) {
        List<CompletableFuture<Integer>> first = new ArrayList<>();
        // a thread per request: each waits for an answer that never comes (the common pool has one thread on 2 cores)
        java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(events);
        for (int i = 0; i < events; i++) {
          int n = i;
          first.add(CompletableFuture.supplyAsync(() -> {
            try {
              return held.post("/events/publish", bodies.get(n), "Idempotency-Key", "kill9-" + n).statusCode();
            } catch (Exception e) {
              return -1; // cut off by the kill: the client never received its acknowledgement
            }
          }, clients));
        }
        clients.shutdown();
        for (long end = System.nanoTime() + 60_000_000_000L;
            PublishLoad.eventIds(TestKafka.bootstrapServers(), topic).size() < events; Thread.sleep(100)) {
          if (System.nanoTime() > end) {
            throw new AssertionError("the held process did not get " + events + " events into Kafka in 60 s");
          }
        }
        held.signal("KILL");
        held.awaitExit(java.time.Duration.ofSeconds(30));
        for (CompletableFuture<Integer> f : first) {
          outcomes.merge("first " + f.get(30, TimeUnit.SECONDS), 1, Integer::sum);
        }
      }
      long deadline = System.nanoTime() + 120_000_000_000L;
      for (int i = 0; i < events; i++) {
        while (true) {
          var r = retrier.post("/events/publish", bodies.get(i), "Idempotency-Key", "kill9-" + i);
          JsonObject body = new JsonObject(r.body());
          String code = r.statusCode() == 200 ? "200 replayed=" + body.getValue("replayed")
              : r.statusCode() + " " + body.getJsonObject("error").getString("code");
          outcomes.merge("retry " + code, 1, Integer::sum);
          if (r.statusCode() == 200) {
            acked.add(body.getString("event_id"));
            break;
          }
          if ((r.statusCode() != 409 && r.statusCode() != 503) || System.nanoTime() > deadline) {
            throw new AssertionError("retry of event " + i + " answered " + r.statusCode() + " " + r.body());
          }
          Thread.sleep(1000L * Long.parseLong(r.headers().firstValue("retry-after").orElse("1")));
        }
      }
      found = PublishLoad.eventIds(TestKafka.bootstrapServers(), topic);
    }
    int lost = (int) acked.stream().filter(id -> !found.containsKey(id)).count();
    int duplicated = (int) found.values().stream().filter(n -> n > 1).count();
    int unacked = (int) found.keySet().stream().filter(id -> !acked.contains(id)).count();
    return new Cycle(acked.size(), lost, duplicated, unacked, outcomes);
  }

  private static Cycle run(String name, Path dir, JsonObject config, String topic, String bootstrap, int clients,
      int acksBeforeKill, boolean restart) throws Exception {
    PublishLoad load;
    try (MeshProcess mesh = MeshProcess.start(name, dir, config)) {
      load = PublishLoad.start(mesh.port(), topic, clients);
      try {
        load.awaitAcks(acksBeforeKill, 60);
        mesh.signal("KILL");
        for (long end = System.nanoTime() + 30_000_000_000L; mesh.alive() && System.nanoTime() < end; ) {
          Thread.sleep(20);
        }
      } finally {
        load.close();
      }
    }
    Map<String, Integer> found;
    if (restart) {
      try (MeshProcess again = MeshProcess.start(name + "-restarted", dir, config)) {
        found = PublishLoad.eventIds(bootstrap, topic);
      }
    } else {
      found = PublishLoad.eventIds(bootstrap, topic);
    }
    Set<String> acked = load.acked();
    int lost = (int) acked.stream().filter(id -> !found.containsKey(id)).count();
    int duplicated = (int) found.values().stream().filter(n -> n > 1).count();
    int unacked = (int) found.keySet().stream().filter(id -> !acked.contains(id)).count();
    return new Cycle(acked.size(), lost, duplicated, unacked, load.outcomes());
  }
}
