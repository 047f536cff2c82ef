package com.necpgame.mesh.testsupport;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

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
