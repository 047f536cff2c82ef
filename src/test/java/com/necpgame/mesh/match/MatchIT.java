package com.necpgame.mesh.match;

import static com.necpgame.mesh.match.MatchClient.await;
import static com.necpgame.mesh.match.MatchClient.get;
import static com.necpgame.mesh.match.MatchClient.other;
import static com.necpgame.mesh.match.MatchClient.rawStatus;
import static com.necpgame.mesh.match.MatchClient.send;
import static com.necpgame.mesh.match.MatchClient.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.envelope.EnvelopeValidator;
import com.necpgame.mesh.match.MatchClient.Topics;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A whole match on the real broker: one scripted human over REST, three local-provider robots per round. */
class MatchIT {

  @Test
  void playsThreeRoundsToCompletionWithEveryEventValidOnceInOrder(@TempDir Path dir) throws Exception {
    Topics t = Topics.create(3);
    int port = TestMesh.freePort();
    String events = t.events();
    String responses = t.responses();
    String orchestration = t.orchestration();
    String commands = t.commands();
    JsonObject extra = t.config(20_000);
    try (Mesh mesh = Mesh.start(TestMesh.config(dir, port, extra))) {
      String base = "http://127.0.0.1:" + port;
      JsonObject created = send(base + "/matches", null, new JsonObject().put("player_id", "p-1"), 201);
      String id = created.getString("match_id");
      String token = created.getString("token");
      MatchClient.Follower ws = MatchClient.Follower.open(port, id);
      ws.socket().sendText("{bad", true).get(10, java.util.concurrent.TimeUnit.SECONDS);
      ws.awaitError("malformed_json");
      ws.send(new JsonObject().put("action", "dance"));
      ws.awaitError("invalid_request");
      ws.send(new JsonObject().put("action", "vote").put("round", 1).put("identity", "A"));
      ws.awaitError("unauthorized");
      ws.send(new JsonObject().put("action", "respond").put("token", "wrong").put("round", 1).put("text", "x"));
      ws.awaitError("forbidden");
      assertEquals(400, rawStatus(base + "/matches", "application/json", "{not json"));
      assertEquals(415, rawStatus(base + "/matches", "text/plain", "{}"));
      assertEquals(413, rawStatus(base + "/matches", "application/json",
          "{\"player_id\":\"" + "x".repeat(2_000_000) + "\"}"));
      assertEquals(400, status(base + "/matches", null, new JsonObject().put("player_id", "")));
      assertEquals(404, get(base + "/matches/match-unknown").statusCode());
      assertEquals(400, status(base + "/matches/" + id + "/responses", token, new JsonObject().put("round", 1)
          .put("text", "x".repeat(2001))));
      assertEquals(400, status(base + "/matches/" + id + "/votes", token, new JsonObject().put("round", 1)
          .put("identity", "me")));
      assertEquals(401, status(base + "/matches/" + id + "/responses", null, new JsonObject().put("round", 1)
          .put("text", "hi")));
      assertEquals(403, status(base + "/matches/" + id + "/responses", "wrong", new JsonObject().put("round", 1)
          .put("text", "hi")));
      assertEquals(400, status(base + "/matches/" + id + "/responses", token, new JsonObject().put("round", "x")));
      assertEquals(404, status(base + "/matches/match-nope/votes", token, new JsonObject().put("round", 1)
          .put("identity", "A")));
      for (int round = 1; round <= 3; round++) {
        JsonObject view = await(base, id, round, "responding");
        assertEquals(4, view.getJsonArray("participants").size());
        assertEquals(409, status(base + "/matches/" + id + "/votes", token, new JsonObject().put("round", round)
            .put("identity", "A")));
        if (round < 3) {
          send(base + "/matches/" + id + "/responses", token, new JsonObject().put("round", round)
              .put("text", "honestly no idea, round " + round), 202);
        } else { // the last round is played on the WebSocket
          ws.send(new JsonObject().put("action", "respond").put("token", token).put("round", round)
              .put("text", "no idea, last round"));
        }
        view = await(base, id, round, "voting");
        if (round < 3) {
          send(base + "/matches/" + id + "/votes", token, new JsonObject().put("round", round)
              .put("identity", other(view)), 202);
        } else {
          ws.send(new JsonObject().put("action", "vote").put("token", token).put("round", round)
              .put("identity", other(view)));
        }
      }
      JsonObject done = await(base, id, 3, "completed");
      assertTrue(done.getInteger("your_score") >= 0);
      assertEquals(9, done.getJsonArray("robot_scores").size());
      assertEquals(3, done.getJsonArray("results").size());
      assertEquals(409, status(base + "/matches/" + id + "/votes", token, new JsonObject().put("round", 3)
          .put("identity", "A")), "the match is over");
      ws.awaitPhase("completed");
      assertTrue(ws.saw("completed"), "the socket saw the end");
      assertTrue(ws.saw("voting"), "and the voting");
      assertTrue(ws.frames().stream().anyMatch(f -> "vote".equals(f.getString("ack"))), "the vote was acknowledged");
      ws.frames().forEach(f -> assertTrue(f.encode().indexOf("robot-") < 0, "no robot id shown to the player: " + f));
      ws.socket().abort();

      EnvelopeValidator validator = EnvelopeValidator.load(Optional.empty());
      List<JsonObject> out = TestKafka.envelopes(events);
      Set<String> ids = new HashSet<>();
      for (JsonObject e : out) {
        assertTrue(validator.validate(e).isEmpty(), e.encode() + " " + validator.validate(e));
        assertTrue(ids.add(e.getString("event_id")), "duplicate " + e.encode());
      }
      List<String> types = out.stream().filter(e -> id.equals(e.getJsonObject("data").getString("match_id")))
          .map(e -> e.getString("event_type")).toList();
      assertEquals(MatchClient.events(3), types);
      for (String topic : List.of(responses, orchestration, commands)) {
        for (JsonObject e : TestKafka.envelopes(topic)) {
          assertTrue(validator.validate(e).isEmpty(), e.encode() + " " + validator.validate(e));
        }
      }
      List<JsonObject> pool = TestKafka.envelopes(orchestration);
      List<JsonObject> assigned = ofType(pool, "round.robots_assigned");
      assertEquals(3, assigned.size());
      assertTrue(ofType(pool, "robot.instantiated").size() >= 9, "every robot's creation is told");
      Set<String> robots = new HashSet<>();
      assigned.forEach(a -> a.getJsonObject("data").getJsonArray("robots")
          .forEach(r -> assertTrue(robots.add(((JsonObject) r).getString("id")), "robot reused despite exclusion")));
      assertEquals(9, robots.size());
      long until = System.currentTimeMillis() + 30_000;
      while (ofType(pool, "robot.released").size() < 9 && System.currentTimeMillis() < until) {
        Thread.sleep(200);
        pool = TestKafka.envelopes(orchestration);
      }
      assertEquals(robots, ofType(pool, "robot.released").stream()
          .map(e -> e.getJsonObject("data").getString("robot_id")).collect(java.util.stream.Collectors.toSet()),
          "the match's nine robots are released when it completes");
    }
  }

  @Test
  void resumesAMatchFromMatchStateAfterARestart(@TempDir Path dir) throws Exception {
    Topics t = Topics.create(3);
    JsonObject extra = t.config(20_000);
    String id;
    String token;
    int port = TestMesh.freePort();
    try (Mesh mesh = Mesh.start(TestMesh.config(dir.resolve("a"), port, extra))) {
      String base = "http://127.0.0.1:" + port;
      JsonObject created = send(base + "/matches", null, new JsonObject().put("player_id", "p-2"), 201);
      id = created.getString("match_id");
      token = created.getString("token");
      await(base, id, 1, "responding");
      send(base + "/matches/" + id + "/responses", token, new JsonObject().put("round", 1).put("text", "meh"), 202);
      JsonObject view = await(base, id, 1, "voting");
      send(base + "/matches/" + id + "/votes", token, new JsonObject().put("round", 1)
          .put("identity", other(view)), 202);
      await(base, id, 2, "responding");
    }
    port = TestMesh.freePort();
    try (Mesh mesh = Mesh.start(TestMesh.config(dir.resolve("b"), port, extra))) {
      String base = "http://127.0.0.1:" + port;
      for (int round = 2; round <= 3; round++) {
        await(base, id, round, "responding");
        send(base + "/matches/" + id + "/responses", token, new JsonObject().put("round", round).put("text", "eh"),
            202);
        JsonObject view = await(base, id, round, "voting");
        send(base + "/matches/" + id + "/votes", token, new JsonObject().put("round", round)
            .put("identity", other(view)), 202);
      }
      JsonObject done = await(base, id, 3, "completed");
      assertEquals(3, done.getJsonArray("results").size());
    }
    List<String> types = new java.util.ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (JsonObject e : TestKafka.envelopes(t.events())) {
      assertTrue(ids.add(e.getString("event_id")), "duplicate " + e.encode());
      types.add(e.getString("event_type"));
    }
    assertEquals(1, types.stream().filter("match.completed"::equals).count());
    assertEquals(3, types.stream().filter("round.completed"::equals).count());
  }

  private static List<JsonObject> ofType(List<JsonObject> events, String type) {
    return events.stream().filter(e -> type.equals(e.getString("event_type"))).toList();
  }
}
