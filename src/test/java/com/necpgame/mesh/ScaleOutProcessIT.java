package com.necpgame.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.store.Database;
import com.necpgame.mesh.testsupport.MeshProcess;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three mesh processes (the jar, three JVMs) share one broker and one database, with HTTP publishers and WebSocket
 * subscribers on each: every published event is stored once, every socket receives every event its subscription
 * matches and nothing else, and after one process is killed with -9 the others take over its event-store partitions
 * and nothing is lost. (Ticks emitted once and each commodity cleared once per tick across processes, through a
 * paused and a killed leader, are {@link WorldProcessIT}'s.)
 */
class ScaleOutProcessIT {

  private static final String MATCHING = "game.scale.hit";
  private static final String OTHER = "game.scale.miss";
  private static final int PARTITIONS = 12;

  @Test
  void threeProcessesStoreEveryEventOnceFanOutToEverySocketAndSurviveAKill(@TempDir Path dir) throws Exception {
    String topic = TestKafka.createTopic("game.scale", PARTITIONS);
    String prefix = TestKafka.unique("scale");
    JsonObject config = MeshProcess.sharedConfig(prefix);
    config.getJsonObject("verticles").put("delivery", new JsonObject().put("enabled", false))
        .put("replay", new JsonObject().put("enabled", false));
    String databaseUrl = config.getJsonObject("database").getString("url");
    List<MeshProcess> meshes = new ArrayList<>();
    Map<MeshProcess, List<WsClient>> sockets = new HashMap<>();
    Set<String> published = new HashSet<>();
    Set<String> matching = new HashSet<>();
    try {
      meshes.addAll(MeshProcess.startAll(new MeshProcess.Spec("mesh0", dir.resolve("mesh0"), config),
          new MeshProcess.Spec("mesh1", dir.resolve("mesh1"), config),
          new MeshProcess.Spec("mesh2", dir.resolve("mesh2"), config)));
      for (MeshProcess mesh : meshes) {
        List<WsClient> clients = new ArrayList<>();
        for (int c = 0; c < 2; c++) {
          WsClient ws = WsClient.connect(mesh.port());
          ws.send(new JsonObject().put("op", "subscribe").put("id", "s" + c).put("topics", new JsonArray().add(topic))
              .put("event_types", new JsonArray().add(MATCHING)).put("start", "earliest"));
          assertEquals("subscribed", ws.next(30).getString("type"));
          clients.add(ws);
        }
        sockets.put(mesh, clients);
      }
      awaitGroupMembers(prefix + ".store", topic, 3);

      for (MeshProcess mesh : meshes) { // phase 1: every process publishes
        publish(mesh, topic, 60, published, matching);
      }
      for (MeshProcess mesh : meshes) {
        for (WsClient ws : sockets.get(mesh)) {
          assertEquals(matching, receive(ws, matching.size()), mesh.name() + " socket sees every matching event once");
        }
      }

      MeshProcess killed = meshes.get(0);
      long killedAt = System.nanoTime();
      killed.signal("KILL");
      killed.awaitExit(java.time.Duration.ofSeconds(30));
      sockets.remove(killed).forEach(WsClient::close);
      Set<String> before = new HashSet<>(matching);
      for (MeshProcess mesh : meshes.subList(1, 3)) { // phase 2: the survivors publish
        publish(mesh, topic, 60, published, matching);
      }
      Set<String> phase2 = matching.stream().filter(id -> !before.contains(id)).collect(Collectors.toSet());
      for (List<WsClient> clients : sockets.values()) {
        for (WsClient ws : clients) {
          assertEquals(phase2, receive(ws, phase2.size()), "a surviving socket sees every later matching event once");
        }
      }
      Set<Integer> owned = awaitGroupMembers(prefix + ".store", topic, 2);
      System.out.printf("scale-out: store partitions of the killed process taken over within %d ms of kill -9%n",
          (System.nanoTime() - killedAt) / 1_000_000);
      assertEquals(PARTITIONS, owned.size(), "the two survivors own every partition of the store group: " + owned);

      Set<String> stored = awaitStored(databaseUrl, topic, published);
      assertEquals(published, stored, "every published event stored, none lost to the kill");
      List<String> inKafka = TestKafka.envelopes(topic).stream().map(e -> e.getString("event_id")).toList();
      assertEquals(published, new HashSet<>(inKafka), "Kafka holds every acknowledged event");
      assertEquals(inKafka.size(), new HashSet<>(inKafka).size(), "and each once");
      System.out.printf("scale-out: %d events published over 3 processes (%d matching), all stored once%n",
          published.size(), matching.size());
    } finally {
      sockets.values().forEach(list -> list.forEach(WsClient::close));
      MeshProcess.closeAll(meshes);
    }
  }

  /** {@code count} events in batches of 20, half of them of the matching type; records the acknowledged ids. */
  private static void publish(MeshProcess mesh, String topic, int count, Set<String> published, Set<String> matching)
      throws Exception {
    for (int start = 0; start < count; start += 20) {
      JsonArray events = new JsonArray();
      for (int i = start; i < start + 20; i++) {
        events.add(new JsonObject().put("event_type", i % 2 == 0 ? MATCHING : OTHER).put("topic", topic)
            .put("source", mesh.name()).put("session_id", mesh.name() + "-" + i % 7)
            .put("payload", new JsonObject().put("n", i)));
      }
      HttpResponse<String> r = mesh.post("/events/publish/batch", new JsonObject().put("events", events));
      assertEquals(200, r.statusCode(), r.body());
      JsonObject summary = new JsonObject(r.body());
      assertEquals(0, summary.getInteger("failed"), r.body());
      JsonArray results = summary.getJsonArray("results");
      for (int i = 0; i < results.size(); i++) {
        String id = results.getJsonObject(i).getString("event_id");
        published.add(id);
        if (events.getJsonObject(i).getString("event_type").equals(MATCHING)) {
          matching.add(id);
        }
      }
    }
  }

  /** The ids of the next {@code count} event frames; fails on a duplicate or an event of another type. */
  private static Set<String> receive(WsClient ws, int count) throws InterruptedException {
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < count; i++) {
      JsonObject event = ws.next(f -> "event".equals(f.getString("type")), 60).getJsonObject("event");
      assertEquals(MATCHING, event.getString("event_type"), "only matching events reach the socket");
      assertTrue(ids.add(event.getString("event_id")), "no event twice: " + event.encode());
    }
    return ids;
  }

  /**
   * Waits until the group has {@code members} members owning every partition of {@code topic} (the store group
   * also reads the other tests' game topics); returns the partitions of {@code topic} they own.
   */
  private static Set<Integer> awaitGroupMembers(String group, String topic, int members) throws Exception {
    long deadline = System.currentTimeMillis() + 90_000;
    String seen = "";
    while (System.currentTimeMillis() < deadline) {
      ConsumerGroupDescription d = TestKafka.admin().describeConsumerGroups(List.of(group)).all()
          .get(10, TimeUnit.SECONDS).get(group);
      Set<Integer> owned = d.members().stream().map(MemberDescription::assignment)
          .flatMap(a -> a.topicPartitions().stream()).filter(tp -> tp.topic().equals(topic)).map(tp -> tp.partition())
          .collect(Collectors.toSet());
      seen = d.state() + " " + d.members().size() + " members " + owned;
      if (d.members().size() == members && owned.size() == PARTITIONS) {
        return owned;
      }
      Thread.sleep(250);
    }
    throw new AssertionError("group " + group + " never had " + members + " members owning every partition: " + seen);
  }

  private static Set<String> awaitStored(String url, String topic, Set<String> expected) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Pool pool = Database.pool(vertx, PgConnectOptions.fromUri(url), 1);
      long deadline = System.currentTimeMillis() + 90_000;
      Set<String> stored = Set.of();
      while (System.currentTimeMillis() < deadline) {
        var rows = pool.preparedQuery("SELECT event_id FROM events WHERE topic = $1").execute(Tuple.of(topic))
            .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        List<String> ids = StreamSupport.stream(rows.spliterator(), false).map((Row r) -> r.getString(0)).toList();
        stored = new HashSet<>(ids);
        assertEquals(ids.size(), stored.size(), "no event stored twice");
        if (stored.containsAll(expected)) {
          return stored;
        }
        Thread.sleep(250);
      }
      return stored;
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
