package com.necpgame.mesh.robot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The robot pool is one for the cluster: with two meshes, one runs it, and every request for robots, from matches on
 * any partition, is answered once from that one pool (no robot busy in two matches); when that mesh stops, the other
 * takes the pool over from {@code robot-pool-state} and goes on answering, still without giving a busy robot.
 */
class RobotFailoverIT {

  @Test
  void oneMeshRunsThePoolAndAnotherTakesItOverWhenItStops(@TempDir Path dir) throws Exception {
    String events = TestKafka.createTopic("match-events", 6);
    String orchestration = TestKafka.createTopic("robot-orchestration-events", 6);
    JsonObject settings = new JsonObject()
        .put("kafka", new JsonObject().put("consumer", new JsonObject().put("group_prefix", TestKafka.unique("rf"))))
        .put("match", new JsonObject().put("topics", new JsonObject().put("events", events)
            .put("responses", TestKafka.createTopic("robot-responses", 6)).put("orchestration", orchestration)
            .put("state", TestKafka.createTopic("match-state", 6))))
        .put("robots", new JsonObject().put("check_ms", 50).put("failover_ms", 6000).put("max_total", 200)
            .put("topics", new JsonObject().put("commands", TestKafka.createTopic("robot-commands", 6))
                .put("pool_state", TestKafka.createTopic("robot-pool-state", 3))))
        .put("verticles", new JsonObject().put("robots", new JsonObject().put("enabled", true))
            .put("gateway", new JsonObject().put("enabled", false))
            .put("store", new JsonObject().put("enabled", false))
            .put("delivery", new JsonObject().put("enabled", false))
            .put("replay", new JsonObject().put("enabled", false)));
    List<Mesh> meshes = new ArrayList<>();
    try (KafkaProducer<String, byte[]> producer = producer()) {
      for (int i = 0; i < 2; i++) {
        meshes.add(Mesh.start(TestMesh.config(dir.resolve("m" + i), TestMesh.freePort(), settings)));
      }
      awaitOneLeader(meshes);
      List<String> before = need(producer, events, 12);
      Map<String, JsonObject> answered = awaitAnswers(orchestration, before);
      Mesh leader = meshes.stream().filter(RobotFailoverIT::leads).findFirst().orElseThrow();
      leader.close();
      meshes.remove(leader);
      awaitOneLeader(meshes);
      List<String> after = need(producer, events, 12);
      answered.putAll(awaitAnswers(orchestration, after));

      Set<String> robots = new HashSet<>();
      answered.values().forEach(a -> a.getJsonObject("data").getJsonArray("robots").forEach(r ->
          assertTrue(robots.add(((JsonObject) r).getString("id")), "a robot busy in two matches: " + r)));
      assertEquals(24 * 3, robots.size(), "three robots for each of the 24 matches");
    } finally {
      meshes.forEach(Mesh::close);
    }
  }

  /** Publishes {@code round.robots_needed} for {@code n} new matches; returns their correlation ids. */
  private static List<String> need(KafkaProducer<String, byte[]> producer, String topic, int n) throws Exception {
    List<String> correlations = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String match = "match-" + UUID.randomUUID();
      String correlation = "robots:" + match + ":1";
      JsonObject envelope = new JsonObject().put("event_id", UUID.randomUUID().toString())
          .put("event_type", "round.robots_needed").put("data", new JsonObject().put("match_id", match)
              .put("round", 1).put("count", 3).put("identities", new JsonArray(List.of("B", "C", "D")))
              .put("exclude_robots", new JsonArray()).put("correlation_id", correlation));
      producer.send(new ProducerRecord<>(topic, match, envelope.encode().getBytes(StandardCharsets.UTF_8))).get();
      correlations.add(correlation);
    }
    return correlations;
  }

  /** The one {@code round.robots_assigned} of each correlation id (fails on a second one, or on none in 60 s). */
  private static Map<String, JsonObject> awaitAnswers(String topic, List<String> correlations) throws Exception {
    long until = System.currentTimeMillis() + 60_000;
    while (true) {
      Map<String, JsonObject> answers = new HashMap<>();
      for (JsonObject e : TestKafka.envelopes(topic)) {
        String c = e.getJsonObject("data").getString("correlation_id");
        if ("round.robots_assigned".equals(e.getString("event_type")) && correlations.contains(c)) {
          assertEquals(null, answers.put(c, e), "answered twice: " + c);
        }
      }
      if (answers.size() == correlations.size()) {
        answers.values().forEach(a -> assertEquals(3, a.getJsonObject("data").getJsonArray("robots").size()));
        return answers;
      }
      assertTrue(System.currentTimeMillis() < until, "answered " + answers.size() + " of " + correlations.size());
      Thread.sleep(200);
    }
  }

  private static void awaitOneLeader(List<Mesh> meshes) throws InterruptedException {
    long until = System.currentTimeMillis() + 30_000;
    while (meshes.stream().filter(RobotFailoverIT::leads).count() != 1) {
      assertTrue(System.currentTimeMillis() < until, "no single process runs the pool");
      Thread.sleep(100);
    }
  }

  private static boolean leads(Mesh mesh) {
    return mesh.context().metrics().registry().find("event_bus_robot_pool_leader").gauge().value() == 1.0;
  }

  private static KafkaProducer<String, byte[]> producer() {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers()),
        new StringSerializer(), new ByteArraySerializer());
  }
}
