package com.necpgame.mesh.match;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What any process knows of a match and how it judges the player's answers and votes for one it does not run. */
class MatchViewsTest {

  private static final Match.Rules RULES = new Match.Rules(1, 1, 1000, 500, 200, true);

  private static Match copy(Match m) {
    m.saving();
    return Match.fromJson(m.toJson());
  }

  private static Match responding() {
    Match m = Match.create("m1", "p1", "secret-hash", RULES, List.of("Why?"), 0, new ArrayList<>());
    String robotLetter = m.humanIdentity().equals("A") ? "B" : "A";
    m.robotsAssigned(1, m.correlationId(), new JsonArray().add(new JsonObject().put("id", "robot-1")
        .put("identity", robotLetter)), 0, new ArrayList<>());
    return m;
  }

  @Test
  void keepsOnlyNewerCopies() {
    MatchViews views = new MatchViews();
    Match m = responding();
    Match first = copy(m);
    m.response(1, Match.HUMAN, "hi", 1, new ArrayList<>());
    Match second = copy(m);
    assertTrue(views.offer(second));
    assertFalse(views.offer(first), "an older copy arriving late changes nothing");
    assertFalse(views.offer(Match.fromJson(second.toJson())), "nor does the same one again");
    assertEquals(second, views.get("m1"));
    assertEquals(new JsonArray().add(m.humanIdentity()), views.view("m1").getJsonArray("responded"));
    assertFalse(views.view("m1").encode().contains("secret-hash"), "the view never shows the token's hash");
    assertNull(views.view("m2"));
  }

  @Test
  void refusesUnknownMatchesOtherTokensAndInputsOutOfTurn() {
    Match m = copy(responding());
    assertEquals(404, MatchViews.refusal("m2", null, "secret-hash", true, 1, "hi").code());
    assertEquals(403, MatchViews.refusal("m1", m, "other", true, 1, "hi").code());
    assertEquals(409, MatchViews.refusal("m1", m, "secret-hash", true, 2, "hi").code());
    assertEquals(409, MatchViews.refusal("m1", m, "secret-hash", false, 1, "A").code(), "not voting yet");
    assertNull(MatchViews.refusal("m1", m, "secret-hash", true, 1, "hi"));
  }

  @Test
  void refusesEverythingOnceTheMatchIsOver() {
    Match m = responding();
    m.tick(10_000, new ArrayList<>());
    m.tick(20_000, new ArrayList<>());
    assertEquals(Match.Phase.COMPLETED, m.phase());
    MatchViews.Refusal no = MatchViews.refusal("m1", copy(m), "secret-hash", false, 1, "A");
    assertEquals(409, no.code());
    assertTrue(no.message().contains("over"), no.message());
  }
}
