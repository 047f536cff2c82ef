package com.necpgame.mesh.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.testsupport.PublishLoad;
import com.necpgame.mesh.testsupport.TestCluster;
import com.necpgame.mesh.testsupport.TestDatabase;
import com.necpgame.mesh.testsupport.TestMesh;
import com.necpgame.mesh.testsupport.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A mesh on a three-node KRaft cluster (replication factor 3, {@code min.insync.replicas} 2) publishing under load
 * over HTTP, when the node that leads a partition of the busy topic dies: no event a client saw acknowledged is lost
 * or written twice, publishing stops for less than the seed's 30 s, and every loop of the mesh goes on by itself:
 * the store, kafka-copy delivery, a WebSocket tail, the tick emitter, the market and a match with its robots.
 */
class LeaderFailoverIT {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static final String BUSY = "game.failover.busy";
  private static final String PROBE = "game.failover.probe";

  @Test
  void theLeaderOfABusyPartitionDiesUnderLoadAndNothingAcknowledgedIsLostAndEveryLoopGoesOn(@TempDir Path dir)
      throws Exception {
    // the test database starts while the cluster does
    CompletableFuture<String> database =
        CompletableFuture.supplyAsync(() -> TestDatabase.url(TestDatabase.freshDatabase()));
    try (TestCluster cluster = TestCluster.start(dir.resolve("cluster"))) {
      int port = TestMesh.freePort();
      JsonObject settings = new JsonObject()
          .put("database", new JsonObject().put("url", database.get(120, TimeUnit.SECONDS)))
          .put("topics", new JsonObject().put("file", smallTopics(dir).toString()))
          .put("delivery", new JsonObject().put("refresh_ms", 200))
          .put("world", new JsonObject().put("clock", new JsonObject().put("real_epoch", Instant.now().toString())
              .put("time_scale", 3600)))
          .put("match", new JsonObject().put("round_ms", 20_000).put("voting_ms", 20_000))
          .put("verticles", new JsonObject().put("tick", new JsonObject().put("enabled", true))
              .put("market", new JsonObject().put("enabled", true))
              .put("matches", new JsonObject().put("enabled", true))
              .put("robots", new JsonObject().put("enabled", true))
              .put("robot-workers", new JsonObject().put("enabled", true)));
      try (Mesh mesh = Mesh.start(TestMesh.config(dir.resolve("mesh"), port, cluster.bootstrapServers(), settings))) {
        run(cluster, mesh, port);
      }
    }
  }

  /**
   * The mesh's own topics with at most 3 partitions each and no {@code .dlq}, and the test's two: fewer replicas for
   * three brokers in one JVM to create and move.
   */
  private static Path smallTopics(Path dir) throws Exception {
    JsonArray topics = new JsonArray();
    try (var in = LeaderFailoverIT.class.getResourceAsStream("/conf/topics.json")) {
      for (Object t : new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8)).getJsonArray("topics")) {
        JsonObject topic = ((JsonObject) t).copy();
        topics.add(topic.put("partitions", Math.min(3, topic.getInteger("partitions"))).put("dlq", false));
      }
    }
    topics.add(new JsonObject().put("name", BUSY).put("partitions", 6).put("retention_hours", 1).put("dlq", false));
    topics.add(new JsonObject().put("name", PROBE).put("partitions", 3).put("retention_hours", 1).put("dlq", false));
    Path file = dir.resolve("topics.json");
    Files.createDirectories(dir);
    Files.writeString(file, new JsonObject().put("topics", topics).encodePrettily());
    return file;
  }

  private void run(TestCluster cluster, Mesh mesh, int port) throws Exception {
    String busy = BUSY;
    assertEquals(3, cluster.partition(busy, 0).replicas().size(), "replication factor 3");
    assertEquals("2", cluster.admin().describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, busy)))
        .all().get(30, TimeUnit.SECONDS).values().iterator().next().get("min.insync.replicas").value());

    HttpResponse<String> created = post(port, "/subscriptions", new JsonObject().put("service_name", "failover")
        .put("topic_pattern", PROBE).put("event_types", new JsonArray().add("game.probe")));
    assertEquals(201, created.statusCode(), created.body());
    String copies = new JsonObject(created.body()).getString("endpoint");
    try (WsClient tail = WsClient.connect(port)) {
      tail.send(new JsonObject().put("op", "subscribe").put("topics", new JsonArray().add(PROBE)));
      assertEquals("subscribed", tail.next(30).getString("type"));
      // every loop works before the fault
      String before = publishProbe(port);
      await("the probe stored before the kill", 60, () -> stored(port, before));
      String subscription = new JsonObject(created.body()).getString("subscription_id");
      await("the probe copied before the kill", 60, () -> PublishLoad.eventIds(cluster.bootstrapServers(), copies)
          .containsKey(before), () -> deliveryState(cluster, port, subscription, copies));
      assertEquals(before, tail.next(f -> "event".equals(f.getString("type")), 30).getJsonObject("event")
          .getString("event_id"));
      await("ticks before the kill", 60, () -> ticks(cluster) > 2);

      PublishLoad load = PublishLoad.start(port, busy, 4);
      AckGaps gaps = new AckGaps(load);
      Map<String, Long> resumedMs = new LinkedHashMap<>();
      int victim;
      long killed;
      try {
        load.awaitAcks(100, 60);
        victim = cluster.leaderOf(busy, 0);
        long ticksAtKill = ticks(cluster);
        int ackedAtKill = load.ackedCount();
        killed = System.nanoTime();
        gaps.from(killed);
        cluster.kill(victim);

        String probe = publishProbe(port);
        String match = createMatch(port);
        placeOrders(port);
        Map<String, BooleanSupplier> loops = new LinkedHashMap<>();
        loops.put("ticks (3 hourly ticks)", () -> ticks(cluster) > ticksAtKill + 2);
        loops.put("store (the probe's row in PostgreSQL)", () -> stored(port, probe));
        loops.put("delivery (the probe copied by a kafka subscription)",
            () -> PublishLoad.eventIds(cluster.bootstrapServers(), copies).containsKey(probe));
        loops.put("websocket tail (the probe's frame)", () -> tailFrame(tail, probe));
        loops.put("market (a clearing of orders placed after the kill)", () -> clearedWithPrice(port));
        loops.put("matches and robots (a match created after the kill in round 1)", () -> responding(port, match));
        awaitEach(loops, killed, 90, resumedMs);
        assertNotEquals(victim, cluster.leaderOf(busy, 0), "a survivor leads the partition now");
        load.awaitAcks(100, 60);
        System.out.printf("acknowledged before the kill %d, after %d%n", ackedAtKill, load.ackedCount() - ackedAtKill);
      } finally {
        load.close();
        gaps.close();
      }

      Map<String, Integer> found = PublishLoad.eventIds(cluster.bootstrapServers(), busy);
      var acked = load.acked();
      long lost = acked.stream().filter(id -> !found.containsKey(id)).count();
      long twice = found.values().stream().filter(n -> n > 1).count();
      System.out.printf("leader of %s-0 (node %d) killed under load: acknowledged %d, found %d, lost %d, duplicated "
          + "%d; longest gap between acknowledgements %d ms; 503s from the first sent to the last answered %d ms; "
          + "answers %s; resumed after the kill (ms) %s%n", busy, victim, acked.size(), found.size(), lost, twice,
          gaps.longestMs(), load.unavailableMillis(), load.outcomes(), resumedMs);
      assertEquals(List.of(), load.bad(), "every answer a 200 or a 503 with Retry-After, none hanging");
      assertEquals(0, lost, "acknowledged events missing from Kafka");
      assertEquals(0, twice, "events written twice");
      assertTrue(gaps.longestMs() < 30_000, "publishing unavailable " + gaps.longestMs() + " ms, not < 30 s");

      long restarting = System.nanoTime();
      cluster.restart(victim);
      await("the restarted node back in the ISR", 60, () -> inSync(cluster, busy, victim));
      System.out.printf("node %d restarted and back in the ISR of %s-0 in %d ms%n", victim, busy, sinceMs(restarting));
    }
  }

  /** The longest time without a new acknowledgement from a moment on, sampled every 5 ms. */
  private static final class AckGaps implements AutoCloseable {
    private final Thread sampler;
    private final AtomicLong longest = new AtomicLong();
    private volatile long from = Long.MAX_VALUE;
    private volatile boolean running = true;

    AckGaps(PublishLoad load) {
      sampler = new Thread(() -> {
        int last = load.ackedCount();
        long lastAt = System.nanoTime();
        while (running) {
          int now = load.ackedCount();
          long t = System.nanoTime();
          if (now != last) {
            if (lastAt >= from || t >= from) {
              longest.accumulateAndGet((t - lastAt) / 1_000_000, Math::max);
            }
            last = now;
            lastAt = t;
          }
          try {
            Thread.sleep(5);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "ack-gaps");
      sampler.setDaemon(true);
      sampler.start();
    }

    void from(long nanos) {
      from = nanos;
    }

    long longestMs() {
      return longest.get();
    }

    @Override
    public void close() throws InterruptedException {
      running = false;
      sampler.join(5000);
    }
  }

  private static long sinceMs(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }

  private static boolean inSync(TestCluster cluster, String topic, int node) {
    try {
      return cluster.partition(topic, 0).isr().stream().anyMatch(n -> n.id() == node);
    } catch (Exception e) {
      return false;
    }
  }

  /** Hourly ticks on Kafka so far (every partition's end offset). */
  private static long ticks(TestCluster cluster) {
    try {
      String topic = "world.tick.hourly";
      var partitions = cluster.admin().describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS)
          .get(topic).partitions();
      Map<TopicPartition, OffsetSpec> request = new LinkedHashMap<>();
      partitions.forEach(p -> request.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
      return cluster.admin().listOffsets(request).all().get(10, TimeUnit.SECONDS).values().stream()
          .mapToLong(o -> o.offset()).sum();
    } catch (Exception e) {
      return -1;
    }
  }

  /** One event on the probe topic, sent again while the mesh answers 503 (as its Retry-After asks). */
  private static String publishProbe(int port) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      HttpResponse<String> r = post(port, "/events/publish", new JsonObject().put("event_type", "game.probe")
          .put("topic", PROBE).put("source", "failover").put("payload", new JsonObject().put("n", 1)));
      if (r.statusCode() != 503 || System.nanoTime() > deadline) {
        assertEquals(200, r.statusCode(), r.body());
        return new JsonObject(r.body()).getString("event_id");
      }
      Thread.sleep(500);
    }
  }

  private static boolean stored(int port, String eventId) {
    try {
      return get(port, "/events/" + eventId + "/status").statusCode() == 200;
    } catch (Exception e) {
      return false;
    }
  }

  /** A buy and a sell of food that cross: the next clearing of food has a price. */
  private static void placeOrders(int port) throws Exception {
    for (JsonObject order : List.of(
        new JsonObject().put("commodity", "food").put("side", "buy").put("limit_price", 6).put("quantity", 10)
            .put("owner", "failover-buyer"),
        new JsonObject().put("commodity", "food").put("side", "sell").put("limit_price", 3).put("quantity", 10)
            .put("owner", "failover-seller"))) {
      HttpResponse<String> r = post(port, "/market/orders", order);
      assertEquals(202, r.statusCode(), r.body());
    }
  }

  private static boolean clearedWithPrice(int port) {
    try {
      JsonObject book = new JsonObject(get(port, "/market/food").body());
      JsonObject last = book.getJsonObject("last_clearing");
      return last != null && last.getValue("price") != null;
    } catch (Exception e) {
      return false;
    }
  }

  /** A match created for a player, retried while the match loop answers 503. */
  private static String createMatch(int port) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      HttpResponse<String> r = post(port, "/matches", new JsonObject().put("player_id", "failover-player"));
      if (r.statusCode() == 201 || System.nanoTime() > deadline) {
        assertEquals(201, r.statusCode(), r.body());
        return new JsonObject(r.body()).getString("match_id");
      }
      assertEquals(503, r.statusCode(), r.body());
      Thread.sleep(500);
    }
  }

  private static boolean responding(int port, String match) {
    try {
      HttpResponse<String> r = get(port, "/matches/" + match);
      if (r.statusCode() != 200) {
        return false;
      }
      JsonObject view = new JsonObject(r.body());
      return view.getInteger("round") >= 1 && "responding".equals(view.getString("phase"));
    } catch (Exception e) {
      return false;
    }
  }

  /** Checks each condition until it held once; puts the ms from {@code since} at which each first held. */
  private static void awaitEach(Map<String, BooleanSupplier> conditions, long since, int seconds,
      Map<String, Long> heldAtMs) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (heldAtMs.size() < conditions.size()) {
      conditions.forEach((what, condition) -> {
        if (!heldAtMs.containsKey(what) && condition.getAsBoolean()) {
          heldAtMs.put(what, sinceMs(since));
        }
      });
      assertTrue(System.nanoTime() < end, "within " + seconds + " s of the kill only " + heldAtMs.keySet()
          + " of " + conditions.keySet() + " resumed");
      Thread.sleep(100);
    }
  }

  /** Whether the next frames waiting on the socket include the event's. */
  private static boolean tailFrame(WsClient tail, String eventId) {
    try {
      for (JsonObject f = tail.poll(1); f != null; f = tail.poll(1)) {
        if ("event".equals(f.getString("type")) && eventId.equals(f.getJsonObject("event").getString("event_id"))) {
          return true;
        }
      }
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static void await(String what, int seconds, BooleanSupplier condition) throws InterruptedException {
    await(what, seconds, condition, () -> "");
  }

  /** Waits for {@code condition}; on a time-out the failure says what {@code state} shows then. */
  private static void await(String what, int seconds, BooleanSupplier condition, Supplier<String> state)
      throws InterruptedException {
    long started = System.nanoTime();
    for (long end = started + TimeUnit.SECONDS.toNanos(seconds); !condition.getAsBoolean(); Thread.sleep(100)) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out after " + seconds + " s waiting for " + what + "; " + state.get());
      }
    }
    System.out.printf("%s after %d ms%n", what, sinceMs(started));
  }

  /** Where the delivery group stands on the probe topic, and what the subscription and its topic show. */
  private static String deliveryState(TestCluster cluster, int port, String subscription, String copies) {
    StringBuilder out = new StringBuilder();
    try {
      out.append("subscription ").append(get(port, "/subscriptions/" + subscription).body());
      var group = cluster.admin().describeConsumerGroups(List.of("event-mesh.delivery")).all()
          .get(10, TimeUnit.SECONDS).values().iterator().next();
      out.append("; delivery group ").append(group.groupState()).append(" members ").append(group.members().stream()
          .map(m -> m.consumerId() + m.assignment().topicPartitions().stream()
              .filter(p -> p.topic().equals(PROBE)).toList()).toList());
      out.append("; committed ").append(cluster.admin().listConsumerGroupOffsets("event-mesh.delivery")
          .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS).entrySet().stream()
          .filter(e -> e.getKey().topic().equals(PROBE)).map(e -> e.getKey() + "@" + e.getValue().offset()).toList());
      for (String topic : List.of(PROBE, copies)) {
        Map<TopicPartition, OffsetSpec> ends = new LinkedHashMap<>();
        cluster.admin().describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic)
            .partitions().forEach(p -> ends.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
        out.append("; ends ").append(cluster.admin().listOffsets(ends).all().get(10, TimeUnit.SECONDS).entrySet()
            .stream().map(e -> e.getKey() + "@" + e.getValue().offset()).toList());
      }
    } catch (Exception e) {
      out.append("; ").append(e);
    }
    return out.toString();
  }

  private static HttpResponse<String> post(int port, String path, JsonObject body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("content-type", "application/json").timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }
}
