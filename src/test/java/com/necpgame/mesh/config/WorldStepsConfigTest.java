package com.necpgame.mesh.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The market, diplomacy and the crowd each have their own step settings; none is derived from another's. */
class WorldStepsConfigTest {

  @Test
  void eachStepHasItsOwnGroupGraceAndCatchUpWithTheDefaultsOfBefore() {
    WorldConfig w = ConfigLoader.load(Optional.empty(), Map.of()).world();
    assertEquals("event-mesh.market", w.market().group());
    assertEquals(new WorldConfig.DailyStep("event-mesh.diplomacy", 200, 24), w.diplomacyStep());
    assertEquals(new WorldConfig.DailyStep("event-mesh.crowd", 200, 24), w.crowdStep());
  }

  @Test
  void aStepsSettingsChangeOnlyThatStep() {
    WorldConfig w = ConfigLoader.load(new JsonObject().put("world", new JsonObject()
        .put("market", new JsonObject().put("grace_ms", 0))
        .put("diplomacy", new JsonObject().put("group", "blue.diplomacy").put("grace_ms", 50)
            .put("max_catch_up_days", 3))), Map.of()).world();
    assertEquals(new WorldConfig.DailyStep("blue.diplomacy", 50, 3), w.diplomacyStep());
    assertEquals(new WorldConfig.DailyStep("event-mesh.crowd", 200, 24), w.crowdStep(),
        "the crowd no longer follows the market's grace period");
    assertEquals("event-mesh.market", w.market().group());
  }

  @Test
  void aCatchUpOfNoDaysIsRefused() {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(new JsonObject().put("world",
        new JsonObject().put("crowd", new JsonObject().put("max_catch_up_days", 0))), Map.of()));
    assertTrue(String.join("\n", e.problems()).contains("world.crowd.max_catch_up_days"), e.problems().toString());
  }
}
