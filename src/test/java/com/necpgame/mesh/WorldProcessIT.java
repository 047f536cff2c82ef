package com.necpgame.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.envelope.EnvelopeValidator;
import com.necpgame.mesh.testsupport.MeshProcess;
import com.necpgame.mesh.testsupport.TestDatabase;
import com.necpgame.mesh.testsupport.TestKafka;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three mesh processes against one broker run the world for 48 game hours (a game hour per real second) while the
 * tick leader is paused (SIGSTOP) past the failover time and resumed, and later killed with -9: every hourly tick is
 * emitted once and in order, ticks go on within 20 s each time, and the paused leader emits nothing once it wakes; the
 * market clears each commodity once an hour all along, and again after the kill (its shards' new owners take them).
 */
class WorldProcessIT {

  private static final EnvelopeValidator VALIDATOR = EnvelopeValidator.load(Optional.empty());
  private static final List<String> COMMODITIES = List.of("ore", "water");

  @Test
  void threeProcessesTickOnceThroughAPausedAndAKilledLeader(@TempDir Path dir) throws Exception {
    String suffix = TestKafka.unique("w");
    String hourly = "tick.hourly." + suffix;
    Path topicsFile = dir.resolve("topics.json");
    Files.writeString(topicsFile, new JsonObject().put("topics", new JsonArray()
        .add(topic(hourly, 6)).add(topic("tick.daily." + suffix, 3)).add(topic("tick.leader." + suffix, 1))
        .add(topic("orders." + suffix, 12).put("configs", new JsonObject().put("message.timestamp.type",
            "LogAppendTime")))
        .add(topic("market.state." + suffix, 12).put("cleanup_policy", "compact").put("configs",
            new JsonObject().put("max.message.bytes", "33554432")))
        .add(topic("sim." + suffix, 12))).encodePrettily());
    JsonObject config = new JsonObject()
        .put("kafka", new JsonObject().put("bootstrap_servers", TestKafka.bootstrapServers())
            .put("consumer", new JsonObject().put("group_prefix", suffix)
                .put("properties", new JsonObject().put("session.timeout.ms", "10000"))))
        .put("database", new JsonObject().put("url", TestDatabase.url(TestDatabase.freshDatabase())))
        .put("security", new JsonObject().put("secrets", com.necpgame.mesh.testsupport.TestMesh.secrets()))
        .put("topics", new JsonObject().put("file", topicsFile.toString()).put("default_replication_factor", 1))
        .put("world", new JsonObject()
            .put("commodities", new JsonObject().put(COMMODITIES.get(0), 10).put(COMMODITIES.get(1), 2))
            .put("output_topic", "sim." + suffix)
            .put("clock", new JsonObject().put("real_epoch", Instant.now().toString()).put("time_scale", 3600))
            .put("tick", new JsonObject().put("failover_ms", 6000).put("max_catch_up", 48)
                .put("topics", new JsonObject().put("hourly", hourly).put("daily", "tick.daily." + suffix)
                    .put("leader", "tick.leader." + suffix)))
            .put("market", new JsonObject().put("topics", new JsonObject().put("orders", "orders." + suffix)
                .put("state", "market.state." + suffix))))
        .put("verticles", new JsonObject()
            .put("bridge", off()).put("store", off()).put("delivery", off()).put("replay", off())
            .put("diplomacy", off()).put("crowd", off()).put("matches", off()).put("robots", off())
            .put("robot-workers", off()).put("gateway", new JsonObject().put("instances", 1)));
    List<MeshProcess> meshes = new ArrayList<>();
    List<Long> failovers = new ArrayList<>();
    long resumed;
    try {
      meshes.addAll(MeshProcess.startAll(new MeshProcess.Spec("mesh0", dir.resolve("mesh0"), config),
          new MeshProcess.Spec("mesh1", dir.resolve("mesh1"), config),
          new MeshProcess.Spec("mesh2", dir.resolve("mesh2"), config)));
      Thread.sleep(2000);
      Thread orders = placeOrders(meshes);
      Thread.sleep(6000);
      MeshProcess paused = leader(meshes);
      paused.signal("STOP");
      failovers.add(awaitNewLeader(meshes, paused));
      paused.signal("CONT");
      Thread.sleep(8000);
      MeshProcess killed = leader(meshes);
      long hourAtKill = lastHour(hourly);
      long killedAt = System.currentTimeMillis();
      killed.signal("KILL");
      failovers.add(awaitNewLeader(meshes, killed));
      resumed = awaitClearingAfter(suffix, hourAtKill, killedAt, meshes);
      Thread.sleep(3000);
      orders.interrupt();
      orders.join();
    } finally {
      MeshProcess.closeAll(meshes);
    }
    System.out.printf("tick leader failovers (pause, kill -9): %s ms; the market cleared again %d ms after the kill%n",
        failovers, resumed);
    for (long ms : failovers) {
      assertTrue(ms < 20_000, "a new leader within 20 s: " + failovers);
    }
    List<JsonObject> events = TestKafka.envelopes(hourly);
    events.forEach(e -> assertEquals(List.of(), VALIDATOR.validate(e), e.encode()));
    List<Long> hours = events.stream().filter(e -> "world.tick.hourly".equals(e.getString("event_type")))
        .map(e -> e.getJsonObject("data").getLong("game_hour")).toList();
    assertTrue(hours.size() >= 30, "ticks all along: " + hours);
    for (int i = 1; i < hours.size(); i++) {
      assertEquals(hours.get(i - 1) + 1, hours.get(i), "each game hour once, in order: " + hours);
    }
    Set<String> ids = new HashSet<>();
    events.forEach(e -> assertTrue(ids.add(e.getString("event_id")), "no event twice: " + e.encode()));

    Set<String> cleared = new HashSet<>();
    List<JsonObject> clearings = TestKafka.envelopes("sim." + suffix).stream()
        .filter(e -> "economy.market.cleared".equals(e.getString("event_type"))).toList();
    for (JsonObject c : clearings) {
      assertEquals(List.of(), VALIDATOR.validate(c), c.encode());
      String key = c.getJsonObject("data").getString("commodity") + "@" + c.getJsonObject("data").getLong("game_hour");
      assertTrue(cleared.add(key), "each commodity cleared once per hour: " + key + " twice");
    }
    System.out.printf("%d clearings over %d hourly ticks%n", clearings.size(), hours.size());
    assertTrue(clearings.stream().filter(c -> c.getJsonObject("data").getValue("price") != null).count() >= 10,
        "the market cleared all along: " + clearings.size() + "; where its shards were stepped:\n" + stepping(meshes));
  }

  /** The latest game hour ticked. */
  private static long lastHour(String hourly) {
    return TestKafka.envelopes(hourly).stream().filter(e -> "world.tick.hourly".equals(e.getString("event_type")))
        .mapToLong(e -> e.getJsonObject("data").getLong("game_hour")).max().orElse(-1);
  }

  /**
   * Milliseconds from the kill until both commodities have a priced clearing of an hour after {@code hour}: the
   * killed process's shards have a new owner, and its open transaction no longer holds back readers (within 90 s, or
   * the test fails).
   */
  private static long awaitClearingAfter(String suffix, long hour, long killedAt, List<MeshProcess> meshes)
      throws Exception {
    Set<String> cleared = new HashSet<>();
    while (System.currentTimeMillis() - killedAt < 90_000) {
      TestKafka.envelopes("sim." + suffix).stream()
          .filter(e -> "economy.market.cleared".equals(e.getString("event_type")))
          .map(e -> e.getJsonObject("data"))
          .filter(d -> d.getLong("game_hour") > hour && d.getValue("price") != null)
          .forEach(d -> cleared.add(d.getString("commodity")));
      if (cleared.containsAll(COMMODITIES)) {
        return System.currentTimeMillis() - killedAt;
      }
      Thread.sleep(500);
    }
    throw new AssertionError("within 90 s of the kill only " + cleared + " cleared after game hour " + hour
        + "; where the shards were stepped:\n" + stepping(meshes));
  }

  /**
   * A buy and a sell that cross, for ore and water, every 500 ms, until interrupted; to the first process in turn
   * that answers (a paused or killed one does not).
   */
  private static Thread placeOrders(List<MeshProcess> meshes) {
    Thread t = new Thread(() -> {
      try {
        for (int i = 0; !Thread.currentThread().isInterrupted(); i++) {
          for (String commodity : COMMODITIES) {
            for (String side : List.of("buy", "sell")) {
              JsonObject order = new JsonObject().put("commodity", commodity).put("side", side)
                  .put("limit_price", side.equals("buy") ? 11 : 9).put("quantity", 1 + i % 7).put("owner", "it");
              for (int k = 0; k < meshes.size(); k++) {
                MeshProcess mesh = meshes.get((i + k) % meshes.size());
                try {
                  if (mesh.alive() && mesh.post("/market/orders", order).statusCode() < 300) {
                    break;
                  }
                } catch (java.io.IOException e) {
                  // paused or gone: the next process takes the order
                }
              }
            }
          }
          Thread.sleep(500);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, "orders");
    t.start();
    return t;
  }

  private static JsonObject topic(String name, int partitions) {
    return new JsonObject().put("name", name).put("partitions", partitions).put("retention_hours", 24)
        .put("dlq", false);
  }

  private static JsonObject off() {
    return new JsonObject().put("enabled", false);
  }

  /** The market's and the tick leader's lines of each process's log: who took which shard, and when. */
  private static String stepping(List<MeshProcess> meshes) throws java.io.IOException {
    StringBuilder out = new StringBuilder();
    for (MeshProcess m : meshes) {
      m.log().lines().filter(l -> l.contains("StepLoop") || l.contains("Leadership") || l.contains("ERROR"))
          .forEach(l -> out.append(m.name()).append(": ").append(l).append('\n'));
    }
    return out.toString();
  }

  private static MeshProcess leader(List<MeshProcess> meshes) throws InterruptedException {
    for (int attempt = 0; attempt < 100; attempt++) {
      List<MeshProcess> leading = meshes.stream().filter(m -> m.alive() && m.metric("event_bus_tick_leader") == 1.0)
          .toList();
      if (leading.size() == 1) {
        return leading.get(0);
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no single tick leader among the processes");
  }

  /** Milliseconds until another process than {@code gone} leads. */
  private static long awaitNewLeader(List<MeshProcess> meshes, MeshProcess gone) throws InterruptedException {
    long start = System.currentTimeMillis();
    while (System.currentTimeMillis() - start < 60_000) {
      if (meshes.stream().anyMatch(m -> m != gone && m.alive() && m.metric("event_bus_tick_leader") == 1.0)) {
        return System.currentTimeMillis() - start;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no new leader within 60 s of " + gone.name() + " going");
  }
}
