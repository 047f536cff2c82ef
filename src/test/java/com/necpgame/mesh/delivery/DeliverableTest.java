package com.necpgame.mesh.delivery;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.config.ConfigLoader;
import com.necpgame.mesh.config.InternalTopics;
import com.necpgame.mesh.config.MeshConfig;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Nothing silently dropped (issue 18): what the store and delivery read by default, and patterns never delivered. */
class DeliverableTest {

  private static final MeshConfig DEFAULTS = ConfigLoader.load(new JsonObject(), Map.of());
  private static final MeshConfig NARROWED = ConfigLoader.load(new JsonObject().put("delivery",
      new JsonObject().put("topics", "game\\..+")), Map.of());

  @Test
  void theDefaultsStoreAndDeliverEveryTopicButTheInternalOnes() {
    for (String topic : List.of("analytics.sessions", "game.combat.events", "economy.orders", "world.tick.hourly",
        "match-events", "robot-commands", "telemetry", "replay.nightly")) {
      assertTrue(DEFAULTS.store().topics().matcher(topic).matches(), "stored: " + topic);
      assertTrue(DEFAULTS.delivery().topics().matcher(topic).matches(), "delivered: " + topic);
    }
    for (String topic : List.of("__consumer_offsets", "_schemas", "game.combat.events.dlq", "dead-letter-events",
        "world.state", "market.state", "match-state", "robot-pool-state", "world.tick.leader", "sub.analytics")) {
      assertFalse(DEFAULTS.store().topics().matcher(topic).matches(), "not stored: " + topic);
      assertFalse(DEFAULTS.delivery().topics().matcher(topic).matches(), "not delivered: " + topic);
    }
    String replay = "replay.0b7c2a52-8d7e-4f00-9a55-0b1d4a2f6c11";
    assertFalse(DEFAULTS.store().topics().matcher(replay).matches(), "a replay's own topic is not stored again");
    assertTrue(DEFAULTS.delivery().topics().matcher(replay).matches(), "but a subscription to it is delivered");
  }

  @Test
  void renamedInternalTopicsFollowTheirSettings() {
    MeshConfig c = ConfigLoader.load(new JsonObject().put("match", new JsonObject().put("topics",
        new JsonObject().put("state", "arena-state"))), Map.of());
    assertFalse(c.delivery().topics().matcher("arena-state").matches());
    assertTrue(c.delivery().topics().matcher("match-state").matches(), "no longer the state topic: an ordinary one");
    InternalTopics.named(c).keySet().forEach(t -> assertFalse(c.store().topics().matcher(t).matches(), t));
  }

  @Test
  void anAnalyticsPatternIsDeliveredWithTheDefaults() {
    assertNull(Deliverable.problem("analytics.*", DEFAULTS.delivery().topics(), InternalTopics.named(DEFAULTS),
        List.of()));
    assertNull(Deliverable.problem("*", DEFAULTS.delivery().topics(), InternalTopics.named(DEFAULTS), List.of()));
  }

  @Test
  void aPatternOnlyInternalTopicsMatchIsRefusedNamingWhy() {
    String problem = Deliverable.problem("match-state", DEFAULTS.delivery().topics(), InternalTopics.named(DEFAULTS),
        List.of());
    assertTrue(problem.contains("match.topics.state"), problem);
    problem = Deliverable.problem("*.dlq", DEFAULTS.delivery().topics(), InternalTopics.named(DEFAULTS), List.of());
    assertTrue(problem.contains("dead-letter"), problem);
  }

  @Test
  void aPatternANarrowedSettingExcludesIsRefusedNamingTheSetting() {
    String problem = Deliverable.problem("analytics.*", NARROWED.delivery().topics(), InternalTopics.named(NARROWED),
        List.of("analytics.sessions", "game.combat.events"));
    assertTrue(problem.contains("delivery.topics"), problem);
    assertNull(Deliverable.problem("game.*", NARROWED.delivery().topics(), InternalTopics.named(NARROWED), List.of()));
    assertNull(Deliverable.problem("*.events", NARROWED.delivery().topics(), InternalTopics.named(NARROWED),
        List.of("game.combat.events")), "an existing topic both cover");
  }
}
