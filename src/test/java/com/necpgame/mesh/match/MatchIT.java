package com.necpgame.mesh.match;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.envelope.EnvelopeValidator;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A whole match on the real broker: one scripted human over REST, three local-provider robots per round. */
class MatchIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final List<String> ORDER = List.of("round.starting", "round.robots_needed", "round.started",
      "round.voting_started", "round.completed");

  @Test
  void playsThreeRoundsToCompletionWithEveryEventValidOnceInOrder(@TempDir Path dir) throws Exception {
    String events = TestKafka.createTopic("match-events", 3);
    String responses = TestKafka.createTopic("robot-responses", 3);
    String orchestration = TestKafka.createTopic("robot-orchestration-events", 3);
    String commands = TestKafka.createTopic("robot-commands", 3);
    String state = TestKafka.createTopic("match-state", 3);
    String pool = TestKafka.createTopic("robot-pool-state", 1);
    int port = TestMesh.freePort();
    JsonObject extra = new JsonObject()
        .put("kafka", new JsonObject().put("consumer", new JsonObject().put("group_prefix", TestKafka.unique("match"))))
        .put("match", new JsonObject().put("round_ms", 20_000).put("voting_ms", 20_000).put("check_ms", 20)
            .put("topics", new JsonObject().put("events", events).put("responses", responses)
                .put("orchestration", orchestration).put("state", state)))
        .put("robots", new JsonObject().put("check_ms", 50)
            .put("topics", new JsonObject().put("commands", commands).put("pool_state", pool)))
        .put("verticles", new JsonObject().put("matches", new JsonObject().put("enabled", true))
            .put("robots", new JsonObject().put("enabled", true))
            .put("robot-workers", new JsonObject().put("enabled", true)));
    try (Mesh mesh = Mesh.start(TestMesh.config(dir, port, extra))) {
      String base = "http://127.0.0.1:" + port;
      JsonObject created = send(base + "/matches", null, new JsonObject().put("player_id", "p-1"), 201);
      String id = created.getString("match_id");
      String token = created.getString("token");
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
        send(base + "/matches/" + id + "/responses", token, new JsonObject().put("round", round)
            .put("text", "honestly no idea, round " + round), 202);
        view = await(base, id, round, "voting");
        String mine = view.getString("your_identity");
        String other = view.getJsonArray("participants").stream().map(String::valueOf)
            .filter(l -> !l.equals(mine)).findFirst().orElseThrow();
        send(base + "/matches/" + id + "/votes", token, new JsonObject().put("round", round).put("identity", other),
            202);
      }
      JsonObject done = await(base, id, 3, "completed");
      assertTrue(done.getJsonObject("scores").containsKey("human"));
      assertEquals(3, done.getJsonArray("results").size());

      EnvelopeValidator validator = EnvelopeValidator.load(Optional.empty());
      List<JsonObject> out = TestKafka.envelopes(events);
      Set<String> ids = new HashSet<>();
      for (JsonObject e : out) {
        assertTrue(validator.validate(e).isEmpty(), e.encode() + " " + validator.validate(e));
        assertTrue(ids.add(e.getString("event_id")), "duplicate " + e.encode());
      }
      List<String> types = out.stream().filter(e -> id.equals(e.getJsonObject("data").getString("match_id")))
          .map(e -> e.getString("event_type")).toList();
      List<String> expected = new java.util.ArrayList<>(List.of("match.created"));
      for (int i = 0; i < 3; i++) {
        expected.addAll(ORDER);
      }
      expected.add("match.completed");
      assertEquals(expected, types);
      for (String topic : List.of(responses, orchestration, commands)) {
        for (JsonObject e : TestKafka.envelopes(topic)) {
          assertTrue(validator.validate(e).isEmpty(), e.encode() + " " + validator.validate(e));
        }
      }
      List<JsonObject> assigned = TestKafka.envelopes(orchestration);
      assertEquals(3, assigned.size());
      Set<String> robots = new HashSet<>();
      assigned.forEach(a -> a.getJsonObject("data").getJsonArray("robots")
          .forEach(r -> assertTrue(robots.add(((JsonObject) r).getString("id")), "robot reused despite exclusion")));
      assertEquals(9, robots.size());
    }
  }

  private static JsonObject await(String base, String id, int round, String phase) throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    JsonObject view = null;
    while (System.currentTimeMillis() < deadline) {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/matches/" + id)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 200) {
        view = new JsonObject(r.body());
        if (view.getInteger("round") == round && phase.equals(view.getString("phase"))) {
          return view;
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("match " + id + " never reached round " + round + " " + phase + "; last " + view);
  }

  private static int status(String url, String token, JsonObject body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()));
    if (token != null) {
      b.header("authorization", "Bearer " + token);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  private static JsonObject send(String url, String token, JsonObject body, int expected) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()));
    if (token != null) {
      b.header("authorization", "Bearer " + token);
    }
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(expected, r.statusCode(), r.body());
    return new JsonObject(r.body());
  }
}
