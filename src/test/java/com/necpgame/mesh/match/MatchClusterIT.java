package com.necpgame.mesh.match;

import static com.necpgame.mesh.match.MatchClient.await;
import static com.necpgame.mesh.match.MatchClient.get;
import static com.necpgame.mesh.match.MatchClient.other;
import static com.necpgame.mesh.match.MatchClient.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.envelope.EnvelopeValidator;
import com.necpgame.mesh.match.MatchClient.Topics;
import com.necpgame.mesh.testsupport.TestDatabase;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Matches on two mesh processes that share a broker, a database and the match group: each process runs the matches of
 * the partitions it is assigned, and either answers for any match, so the player creates a match on one process and
 * plays it on the other. When one process stops, the other takes its partitions over and finishes its matches.
 * The robots run on the first process only (their orchestration is not what is tested here).
 */
class MatchClusterIT {

  private static final int ROUNDS = 3;

  /**
   * A match of the test: created through {@code creator}, played by its player through {@code player}, which passes
   * the answers and votes on to the process that runs the match ({@code forwarded}) or applies them itself (null:
   * either, as while partitions move).
   */
  private record Game(String creator, String player, String id, String token, Boolean forwarded) {

    /** Created through {@code creator}; a 503 (this process runs no partition yet) is retried as it says. */
    static Game create(String creator, String player, String playerId) throws Exception {
      long deadline = System.currentTimeMillis() + 30_000;
      while (true) {
        HttpResponse<String> r = post(creator + "/matches", null, new JsonObject().put("player_id", playerId));
        if (r.statusCode() == 201 || System.currentTimeMillis() > deadline) {
          assertEquals(201, r.statusCode(), r.body());
          JsonObject created = new JsonObject(r.body());
          return new Game(creator, player, created.getString("match_id"), created.getString("token"), true);
        }
        assertEquals(503, r.statusCode(), r.body());
        Thread.sleep(1000L * Integer.parseInt(r.headers().firstValue("retry-after").orElse("1")));
      }
    }

    /** Played on through {@code base}, which runs it once it has taken its partition over. */
    Game playedThrough(String base) {
      return new Game(creator, base, id, token, null);
    }

    private void assertPassedOn(JsonObject answer) {
      if (forwarded != null) {
        assertEquals(forwarded, answer.getBoolean("accepted", false), answer.encode());
      }
    }

    /** Rounds {@code from} to {@code to} played through {@code player}: answered and voted, each counted once. */
    JsonObject play(int from, int to) throws Exception {
      for (int round = from; round <= to; round++) {
        await(player, id, round, "responding");
        String text = "round " + round + " of " + id + ", honestly";
        JsonObject answered = accepted(post(player + "/matches/" + id + "/responses", token,
            new JsonObject().put("round", round).put("text", text)));
        assertPassedOn(answered);
        JsonObject view = await(player, id, round, "voting");
        String mine = view.getString("your_identity");
        assertTrue(view.getJsonArray("responses").stream().map(JsonObject.class::cast)
            .anyMatch(r -> mine.equals(r.getString("identity")) && text.equals(r.getString("text"))),
            "the answer counted: " + view + " after " + answered);
        JsonObject voted = accepted(post(player + "/matches/" + id + "/votes", token, new JsonObject()
            .put("round", round).put("identity", other(view))));
        assertPassedOn(voted);
        int finished = round;
        JsonObject result = await(player, id, v -> v.getJsonArray("results").size() >= finished,
            "the end of round " + round).getJsonArray("results").getJsonObject(round - 1);
        assertTrue(result.getJsonArray("votes").stream().map(JsonObject.class::cast)
            .anyMatch(v -> mine.equals(v.getString("voter"))), "the vote counted: " + result);
      }
      return await(player, id, v -> v.getJsonArray("results").size() >= to, "the end of round " + to);
    }
  }

  /** 202: the view (this process runs the match) or {@code {accepted, match}} (it was passed on). */
  private static JsonObject accepted(HttpResponse<String> r) {
    assertEquals(202, r.statusCode(), r.body());
    return new JsonObject(r.body());
  }

  /** The two processes of a test: its topics, one database, their ports; the robots run on the first only. */
  private record Cluster(Path dir, Topics topics, String database, int portOne, int portTwo) {
    static Cluster create(Path dir) throws Exception {
      return new Cluster(dir, Topics.create(6), TestDatabase.url(TestDatabase.freshDatabase()), TestMesh.freePort(),
          TestMesh.freePort());
    }

    String one() {
      return "http://127.0.0.1:" + portOne;
    }

    String two() {
      return "http://127.0.0.1:" + portTwo;
    }

    Mesh startOne() throws Exception {
      return Mesh.start(TestMesh.config(dir.resolve("one"), portOne, settings(true)));
    }

    Mesh startTwo() throws Exception {
      return Mesh.start(TestMesh.config(dir.resolve("two"), portTwo, settings(false)));
    }

    private JsonObject settings(boolean robots) {
      return topics.config(20_000).mergeIn(new JsonObject()
          .put("database", new JsonObject().put("url", database))
          .put("robots", new JsonObject().put("max_total", 100))
          .put("verticles", new JsonObject().put("robots", new JsonObject().put("enabled", robots))
              .put("robot-workers", new JsonObject().put("enabled", robots))), true);
    }
  }

  /** Each game played concurrently from round {@code from} to {@code to}; their last views. */
  private static List<JsonObject> playAll(List<Game> games, int from, int to) throws Exception {
    ExecutorService players = Executors.newFixedThreadPool(games.size());
    try {
      List<Future<JsonObject>> played = new ArrayList<>();
      for (Game g : games) {
        played.add(players.submit(() -> g.play(from, to)));
      }
      List<JsonObject> views = new ArrayList<>();
      for (Future<JsonObject> f : played) {
        views.add(f.get(5, TimeUnit.MINUTES));
      }
      return views;
    } finally {
      players.shutdownNow();
    }
  }

  /** Every match event valid and once, each match's in order; each player's answer and vote once per round. */
  private static void assertEachEventOnce(Topics t, List<Game> games) {
    EnvelopeValidator validator = EnvelopeValidator.load(Optional.empty());
    Set<String> ids = new HashSet<>();
    Map<String, List<String>> types = new HashMap<>();
    for (JsonObject e : TestKafka.envelopes(t.events())) {
      assertTrue(validator.validate(e).isEmpty(), e.encode() + " " + validator.validate(e));
      assertTrue(ids.add(e.getString("event_id")), "duplicate " + e.encode());
      types.computeIfAbsent(e.getJsonObject("data").getString("match_id"), k -> new ArrayList<>())
          .add(e.getString("event_type"));
    }
    Map<String, Integer> human = new HashMap<>();
    for (JsonObject e : TestKafka.envelopes(t.responses())) {
      assertTrue(validator.validate(e).isEmpty(), e.encode() + " " + validator.validate(e));
      JsonObject d = e.getJsonObject("data");
      if ("human".equals(d.getString("kind"))) {
        human.merge(d.getString("match_id") + "/" + d.getInteger("round") + "/" + e.getString("event_type"), 1,
            Integer::sum);
      }
    }
    for (Game g : games) {
      assertEquals(MatchClient.events(ROUNDS), types.get(g.id()), "the events of " + g.id());
      for (int round = 1; round <= ROUNDS; round++) {
        for (String type : List.of("response.submitted", "vote.submitted")) {
          assertEquals(1, human.get(g.id() + "/" + round + "/" + type), type + " of " + g.id() + " round " + round);
        }
      }
    }
    assertEquals(games.size() * ROUNDS * 2, human.size(), "no other player input: " + human.keySet());
  }

  @Test
  void playsMatchesCreatedOnEitherProcessThroughTheOtherWithEveryEventOnce(@TempDir Path dir) throws Exception {
    Cluster c = Cluster.create(dir);
    String one = c.one();
    String two = c.two();
    try (Mesh a = c.startOne(); Mesh b = c.startTwo()) {
      List<Game> games = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        games.add(i % 2 == 0 ? Game.create(one, two, "p-" + i) : Game.create(two, one, "p-" + i));
      }
      Game g = games.get(0);
      await(two, g.id(), 1, "responding");
      assertError(post(two + "/matches/" + g.id() + "/responses", "not-the-token",
          new JsonObject().put("round", 1).put("text", "hi")), 403, "forbidden");
      assertError(post(two + "/matches/match-nope/responses", g.token(),
          new JsonObject().put("round", 1).put("text", "hi")), 404, "match_not_found");
      assertError(post(two + "/matches/" + g.id() + "/votes", g.token(),
          new JsonObject().put("round", 1).put("identity", "A")), 409, "out_of_order");
      assertError(post(two + "/matches/" + g.id() + "/responses", g.token(),
          new JsonObject().put("round", 2).put("text", "hi")), 409, "out_of_order");
      MatchClient.Follower follower = MatchClient.Follower.open(c.portTwo(), g.id());

      for (JsonObject done : playAll(games, 1, ROUNDS)) {
        assertEquals("completed", done.getString("phase"), done.encode());
      }
      for (Game game : games) {
        for (String base : List.of(one, two)) {
          HttpResponse<String> r = get(base + "/matches/" + game.id());
          assertEquals(200, r.statusCode(), base + " " + r.body());
          assertEquals("completed", new JsonObject(r.body()).getString("phase"), base + " " + r.body());
        }
      }
      follower.awaitPhase("completed");
      assertTrue(follower.saw("voting") && follower.saw("completed"), "followed on the other process");
      follower.socket().abort();
      assertError(post(two + "/matches/" + g.id() + "/votes", g.token(),
          new JsonObject().put("round", ROUNDS).put("identity", "A")), 409, "out_of_order");
      assertEachEventOnce(c.topics(), games);
    }
  }

  @Test
  void theOtherProcessFinishesTheMatchesOfAProcessThatStops(@TempDir Path dir) throws Exception {
    Cluster c = Cluster.create(dir);
    String one = c.one();
    String two = c.two();
    try (Mesh a = c.startOne()) {
      List<Game> games = new ArrayList<>();
      try (Mesh b = c.startTwo()) {
        for (int i = 0; i < 4; i++) {
          games.add(i % 2 == 0 ? Game.create(one, two, "p-" + i) : Game.create(two, one, "p-" + i));
        }
        playAll(games, 1, 1);
        for (Game g : games) {
          await(one, g.id(), 2, "responding");
        }
      } // the second process stops with matches in round 2
      List<Game> survivors = games.stream().map(g -> g.playedThrough(one)).toList();
      for (JsonObject done : playAll(survivors, 2, ROUNDS)) {
        assertEquals("completed", done.getString("phase"), done.encode());
      }
      assertEachEventOnce(c.topics(), games);
    }
  }

  @Test
  void refusesToStartWhenTheMatchInputsAndStateAreNotCoPartitioned(@TempDir Path dir) throws Exception {
    Topics t = Topics.create(6);
    String state = TestKafka.createTopic("match-state", 3);
    JsonObject settings = t.config(20_000).mergeIn(new JsonObject().put("match", new JsonObject()
        .put("topics", new JsonObject().put("state", state))), true);
    Throwable failure = assertThrows(Exception.class,
        () -> Mesh.start(TestMesh.config(dir, TestMesh.freePort(), settings)).close());
    StringBuilder messages = new StringBuilder();
    for (Throwable e = failure; e != null; e = e.getCause()) {
      messages.append(e.getMessage()).append('\n');
    }
    assertTrue(messages.indexOf("must have the same number of partitions") >= 0, messages.toString());
    assertTrue(messages.indexOf(state + "=3") >= 0, messages.toString());
  }

  private static void assertError(HttpResponse<String> r, int status, String code) {
    assertEquals(status, r.statusCode(), r.body());
    JsonObject error = new JsonObject(r.body()).getJsonObject("error");
    assertEquals(code, error.getString("code"), r.body());
    assertTrue(!error.getString("message").isBlank(), r.body());
  }
}
