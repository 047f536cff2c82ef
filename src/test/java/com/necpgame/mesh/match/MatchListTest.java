package com.necpgame.mesh.match;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The list of matches {@code GET /matches} shows: active or completed, by id, bounded, players for admins only. */
class MatchListTest {

  private static final Match.Rules RULES = new Match.Rules(1, 1, 1000, 500, 200, true);

  private static Match match(String id, boolean completed) {
    Match m = Match.create(id, "player-of-" + id, "secret-hash", RULES, List.of("Why?"), 0, new ArrayList<>());
    String robotLetter = m.humanIdentity().equals("A") ? "B" : "A";
    m.robotsAssigned(1, m.correlationId(), new JsonArray().add(new JsonObject().put("id", "robot-1")
        .put("identity", robotLetter)), 0, new ArrayList<>());
    if (completed) {
      m.tick(10_000, new ArrayList<>());
      m.tick(20_000, new ArrayList<>());
    }
    m.saving();
    return Match.fromJson(m.toJson());
  }

  @Test
  void listsActiveMatchesByIdWithRoundAndPhaseAndNoSecrets() {
    MatchViews views = new MatchViews();
    for (String id : List.of("m3", "m1", "m2")) {
      views.offer(match(id, false));
    }
    views.offer(match("m0", true));
    JsonObject active = views.list(MatchViews.Listing.ACTIVE, 2, false);
    assertEquals(3, active.getInteger("total"));
    assertEquals(3L, active.getLong("active"));
    assertEquals(1L, active.getLong("completed"));
    JsonArray page = active.getJsonArray("matches");
    assertEquals(List.of("m1", "m2"), page.stream().map(m -> ((JsonObject) m).getString("match_id")).toList());
    JsonObject first = page.getJsonObject(0);
    assertEquals("responding", first.getString("phase"));
    assertEquals(1, first.getInteger("round"));
    assertEquals(1, first.getInteger("rounds"));
    assertEquals(2, first.getInteger("participants"));
    assertFalse(first.containsKey("player_id"));
    assertFalse(active.encode().contains("secret-hash") || active.encode().contains("Why?"), active.encode());

    JsonObject done = views.list(MatchViews.Listing.COMPLETED, 10, true);
    assertEquals(1, done.getInteger("total"));
    assertEquals("completed", done.getJsonArray("matches").getJsonObject(0).getString("phase"));
    assertEquals("player-of-m0", done.getJsonArray("matches").getJsonObject(0).getString("player_id"));
    assertEquals(4, views.list(MatchViews.Listing.ALL, 10, false).getJsonArray("matches").size());
    assertTrue(new MatchViews().list(MatchViews.Listing.ALL, 10, false).getJsonArray("matches").isEmpty());
  }
}
