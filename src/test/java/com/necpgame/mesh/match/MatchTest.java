package com.necpgame.mesh.match;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MatchTest {

  private static final Match.Rules RULES = new Match.Rules(2, 2, 1000, 500, 200, true);
  private static final List<String> PROMPTS = List.of("What did you eat?", "Where did you grow up?");

  private static List<String> types(List<Match.Out> out) {
    return out.stream().map(Match.Out::type).toList();
  }

  private static JsonArray robots(Match m, String... ids) {
    JsonObject needed = null;
    JsonArray out = new JsonArray();
    List<String> letters = new ArrayList<>();
    for (char c = 'A'; c <= 'Z'; c++) {
      String l = String.valueOf(c);
      if (!l.equals(m.humanIdentity()) && letters.size() < ids.length) {
        letters.add(l);
      }
    }
    for (int i = 0; i < ids.length; i++) {
      out.add(new JsonObject().put("id", ids[i]).put("type", "t").put("identity", letters.get(i)));
    }
    return out;
  }

  private static String identityOf(Match m, String who) {
    return m.participants().entrySet().stream().filter(e -> e.getValue().equals(who)).map(Map.Entry::getKey)
        .findFirst().orElseThrow();
  }

  @Test
  void runsRoundsToCompletionWithScores() {
    List<Match.Out> out = new ArrayList<>();
    Match m = Match.create("m1", "p1", "h", RULES, PROMPTS, 0, out);
    assertEquals(List.of("match.created", "round.starting", "round.robots_needed"), types(out));
    JsonObject needed = out.get(2).data();
    assertEquals(2, needed.getJsonArray("identities").size());
    assertFalse(needed.getJsonArray("identities").contains(m.humanIdentity()));
    for (int round = 1; round <= 2; round++) {
      out.clear();
      String r1 = "r" + round + "a";
      String r2 = "r" + round + "b";
      m.robotsAssigned(round, m.correlationId(), robots(m, r1, r2), 10, out);
      assertEquals(List.of("round.started"), types(out));
      out.clear();
      assertTrue(m.response(round, Match.HUMAN, "hi", 20, out));
      assertFalse(m.response(round, Match.HUMAN, "again", 20, out), "one answer per round");
      assertTrue(m.response(round, r1, "a", 20, out));
      assertTrue(m.response(round, r2, "b", 20, out));
      assertEquals(List.of("round.voting_started"), types(out));
      out.clear();
      String human = m.humanIdentity();
      assertTrue(m.vote(round, r1, human, 30, out));
      assertTrue(m.vote(round, r2, identityOf(m, r1), 30, out));
      assertFalse(m.vote(round, Match.HUMAN, human, 30, out), "no vote for oneself");
      assertTrue(m.vote(round, Match.HUMAN, identityOf(m, r2), 30, out));
      assertEquals("round.completed", out.get(0).type());
      JsonObject points = out.get(0).data().getJsonObject("points");
      assertEquals(1, points.getInteger("human"), "r2 missed the human");
      assertEquals(2, points.getInteger(r1), "r1 spotted the human and drew r2's vote");
      assertEquals(1, points.getInteger(r2), "r2 drew the human's vote");
    }
    assertEquals("match.completed", out.get(out.size() - 1).type());
    assertEquals(Match.Phase.COMPLETED, m.phase());
    assertEquals(2, m.scores().get(Match.HUMAN));
  }

  @Test
  void deadlinesCloseEveryPhaseWhenNobodyAnswers() {
    List<Match.Out> out = new ArrayList<>();
    Match m = Match.create("m2", "p1", "h", new Match.Rules(1, 3, 1000, 500, 200, true), PROMPTS, 0, out);
    out.clear();
    m.tick(199, out);
    assertTrue(out.isEmpty());
    m.tick(200, out);
    assertEquals(List.of("round.started"), types(out));
    assertEquals(1, out.get(0).data().getJsonArray("participants").size(), "no robots came: the human alone");
    out.clear();
    m.tick(1200, out);
    assertEquals(List.of("round.voting_started"), types(out));
    out.clear();
    m.tick(1700, out);
    assertEquals(List.of("round.completed", "match.completed"), types(out));
  }

  @Test
  void ignoresInputsOfAnotherRoundOrRequest() {
    List<Match.Out> out = new ArrayList<>();
    Match m = Match.create("m3", "p1", "h", RULES, PROMPTS, 0, out);
    out.clear();
    m.robotsAssigned(1, "robots:other:1", robots(m, "x"), 1, out);
    m.robotsAssigned(2, m.correlationId(), robots(m, "x"), 1, out);
    assertTrue(out.isEmpty());
    assertEquals(Match.Phase.ASSIGNING, m.phase());
    assertFalse(m.response(1, Match.HUMAN, "too early", 1, out));
  }

  @Test
  void excludesEarlierRobotsAndSurvivesAJsonRoundTrip() {
    List<Match.Out> out = new ArrayList<>();
    Match m = Match.create("m4", "p1", "h", RULES, PROMPTS, 0, out);
    m.robotsAssigned(1, m.correlationId(), robots(m, "r1", "r2"), 1, out);
    Match copy = Match.fromJson(new JsonObject(m.toJson().encode()));
    assertEquals(m.toJson(), copy.toJson());
    out.clear();
    copy.tick(10_000, out);
    copy.tick(20_000, out);
    JsonObject needed = out.stream().filter(o -> o.type().equals("round.robots_needed")).findFirst().orElseThrow()
        .data();
    assertEquals(new JsonArray().add("r1").add("r2"), needed.getJsonArray("exclude_robots"));
  }
}
