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
    Topics t = Topics.create();
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
      List<JsonObject> frames = new java.util.concurrent.CopyOnWriteArrayList<>();
      java.net.http.WebSocket ws = HTTP.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + port
          + "/matches/" + id + "/ws"), new java.net.http.WebSocket.Listener() {
            @Override
            public java.util.concurrent.CompletionStage<?> onText(java.net.http.WebSocket socket, CharSequence data,
                boolean last) {
              frames.add(new JsonObject(data.toString()));
              socket.request(1);
              return null;
            }
          }).get(10, java.util.concurrent.TimeUnit.SECONDS);
      ws.sendText("{bad", true).get(10, java.util.concurrent.TimeUnit.SECONDS);
      awaitFrame(frames, "malformed_json");
      ws.sendText(new JsonObject().put("action", "dance").encode(), true).get(10, java.util.concurrent.TimeUnit.SECONDS);
      awaitFrame(frames, "invalid_request");
      ws.sendText(new JsonObject().put("action", "vote").put("round", 1).put("identity", "A").encode(), true)
          .get(10, java.util.concurrent.TimeUnit.SECONDS);
      awaitFrame(frames, "unauthorized");
      ws.sendText(new JsonObject().put("action", "respond").put("token", "wrong").put("round", 1).put("text", "x")
          .encode(), true).get(10, java.util.concurrent.TimeUnit.SECONDS);
      awaitFrame(frames, "forbidden");
      assertEquals(400, rawStatus(base + "/matches", "application/json", "{not json"));
      assertEquals(415, rawStatus(base + "/matches", "text/plain", "{}"));
      assertEquals(413, rawStatus(base + "/matches", "application/json",
          "{\"player_id\":\"" + "x".repeat(2_000_000) + "\"}"));
      assertEquals(400, status(base + "/matches", null, new JsonObject().put("player_id", "")));
      assertEquals(404, getStatus(base + "/matches/match-unknown"));
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
          ws.sendText(new JsonObject().put("action", "respond").put("token", token).put("round", round)
              .put("text", "no idea, last round").encode(), true).get(10, java.util.concurrent.TimeUnit.SECONDS);
        }
        view = await(base, id, round, "voting");
        String mine = view.getString("your_identity");
        String other = view.getJsonArray("participants").stream().map(String::valueOf)
            .filter(l -> !l.equals(mine)).findFirst().orElseThrow();
        if (round < 3) {
          send(base + "/matches/" + id + "/votes", token, new JsonObject().put("round", round).put("identity", other),
              202);
        } else {
          ws.sendText(new JsonObject().put("action", "vote").put("token", token).put("round", round)
              .put("identity", other).encode(), true).get(10, java.util.concurrent.TimeUnit.SECONDS);
        }
      }
      JsonObject done = await(base, id, 3, "completed");
      assertTrue(done.getInteger("your_score") >= 0);
      assertEquals(9, done.getJsonArray("robot_scores").size());
      assertEquals(3, done.getJsonArray("results").size());
      assertEquals(409, status(base + "/matches/" + id + "/votes", token, new JsonObject().put("round", 3)
          .put("identity", "A")), "the match is over");
      long wsDeadline = System.currentTimeMillis() + 30_000;
      while (frames.stream().noneMatch(f -> "completed".equals(f.getString("phase")))
          && System.currentTimeMillis() < wsDeadline) {
        Thread.sleep(50);
      }
      assertTrue(frames.stream().anyMatch(f -> "completed".equals(f.getString("phase"))), "the socket saw the end");
      assertTrue(frames.stream().anyMatch(f -> "voting".equals(f.getString("phase"))), "and the voting");
      assertTrue(frames.stream().anyMatch(f -> "vote".equals(f.getString("ack"))), "the vote was acknowledged");
      frames.forEach(f -> assertTrue(f.encode().indexOf("robot-") < 0, "no robot id shown to the player: " + f));
      ws.abort();

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
    Topics t = Topics.create();
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

  private static void awaitFrame(List<JsonObject> frames, String errorCode) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 30_000;
    while (System.currentTimeMillis() < deadline) {
      if (frames.stream().anyMatch(f -> f.getJsonObject("error") != null
          && errorCode.equals(f.getJsonObject("error").getString("code")))) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no error frame " + errorCode + " in " + frames);
  }

  private static String other(JsonObject view) {
    String mine = view.getString("your_identity");
    return view.getJsonArray("participants").stream().map(String::valueOf).filter(l -> !l.equals(mine)).findFirst()
        .orElseThrow();
  }

  /** The six topics of one test, and the config that points the match verticles at them. */
  private record Topics(String events, String responses, String orchestration, String commands, String state,
      String pool, String groupPrefix) {
    static Topics create() throws Exception {
      return new Topics(TestKafka.createTopic("match-events", 3), TestKafka.createTopic("robot-responses", 3),
          TestKafka.createTopic("robot-orchestration-events", 3), TestKafka.createTopic("robot-commands", 3),
          TestKafka.createTopic("match-state", 3), TestKafka.createTopic("robot-pool-state", 1),
          TestKafka.unique("match"));
    }

    JsonObject config(long phaseMs) {
      return new JsonObject()
          .put("kafka", new JsonObject().put("consumer", new JsonObject().put("group_prefix", groupPrefix)))
          .put("match", new JsonObject().put("round_ms", phaseMs).put("voting_ms", phaseMs).put("check_ms", 20)
              .put("topics", new JsonObject().put("events", events).put("responses", responses)
                  .put("orchestration", orchestration).put("state", state)))
          .put("robots", new JsonObject().put("check_ms", 50)
              .put("topics", new JsonObject().put("commands", commands).put("pool_state", pool)))
          .put("verticles", new JsonObject().put("matches", new JsonObject().put("enabled", true))
              .put("robots", new JsonObject().put("enabled", true))
              .put("robot-workers", new JsonObject().put("enabled", true)));
    }
  }

  private static int rawStatus(String url, String type, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("content-type", type)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  private static int getStatus(String url) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString())
        .statusCode();
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
      b.header("x-match-token", token);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  private static JsonObject send(String url, String token, JsonObject body, int expected) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()));
    if (token != null) {
      b.header("x-match-token", token);
    }
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(expected, r.statusCode(), r.body());
    return new JsonObject(r.body());
  }
}
