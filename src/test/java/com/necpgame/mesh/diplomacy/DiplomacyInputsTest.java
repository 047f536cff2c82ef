package com.necpgame.mesh.diplomacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.config.ConfigLoader;
import com.necpgame.mesh.config.WorldConfig;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Diplomacy reads game servers' topics and the simulation's own output, where the crowd's faction activity is. */
class DiplomacyInputsTest {

  @Test
  void readsTheGameServersTopicsAndTheSimulationsOutput() {
    WorldConfig world = ConfigLoader.load(Optional.empty(), Map.of()).world();
    Pattern inputs = DiplomacyVerticle.inputs(world);
    for (String topic : List.of("game.combat.events", "game.economy.events", "game.social.events", "simulation.event")) {
      assertTrue(inputs.matcher(topic).matches(), topic);
    }
    for (String topic : List.of("economy.orders", "simulation.events", "simulationXevent", "game.system.events")) {
      assertFalse(inputs.matcher(topic).matches(), topic);
    }
  }

  @Test
  void takesTheCrowdsActivityAsItTakesAGameServers() {
    Relations fromCrowd = new Relations(List.of("a", "b", "c"), Relations.DEFAULTS);
    Relations direct = new Relations(List.of("a", "b", "c"), Relations.DEFAULTS);
    fromCrowd.input("world.faction.trade", new JsonObject().put("faction_a", "a").put("faction_b", "b").put("value", 1.2));
    fromCrowd.input("world.faction.combat", new JsonObject().put("faction_a", "c").put("faction_b", "a")
        .put("intensity", 3));
    fromCrowd.input("world.faction.power", new JsonObject().put("faction", "b").put("power", 2.0));
    fromCrowd.input("world.faction.combat", new JsonObject().put("faction_a", "c").put("faction_b", "nobody")
        .put("intensity", 3));
    fromCrowd.input("economy.market.cleared", new JsonObject().put("commodity", "food"));
    direct.trade("a", "b", 1.2);
    direct.combat("c", "a", 3);
    direct.power("b", 2.0);
    assertEquals(direct.step(1), fromCrowd.step(1));
    assertEquals(direct.snapshot(), fromCrowd.snapshot());
  }
}
