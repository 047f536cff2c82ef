package com.necpgame.mesh.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.necpgame.mesh.config.ConfigLoader;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StandingRightsTest {

  private static StandingRights rights(JsonObject principals) {
    return StandingRights.of(ConfigLoader.load(new JsonObject().put("security", new JsonObject()
        .put("principals", principals)), Map.of()));
  }

  private static JsonObject principal(String publish, String subscribe) {
    return new JsonObject().put("api_keys", new JsonArray().add("key-" + subscribe + "-0123456789abcdef"))
        .put("publish", new JsonArray().add(publish)).put("subscribe", new JsonArray().add(subscribe))
        .put("endpoints", new JsonArray().add("subscriptions"));
  }

  private final StandingRights rights = rights(new JsonObject()
      .put("player", principal("sub.player*", "game.b*"))
      .put("operator", principal("ops.*", "ops.*").put("admin", true)));

  @Test
  void keepsASubscriptionItsOwnerMayStillRead() {
    assertNull(rights.revoked("player", "game.b-1", "webhook", "http://127.0.0.1/hook"));
    assertNull(rights.revoked("player", "game.b*", "webhook", "http://127.0.0.1/hook"));
  }

  @Test
  void revokesAPatternNoLongerCoveredByTheOwnersSubscribeGlobs() {
    assertEquals("owner player may no longer subscribe to game.a-1 (security.principals.player.subscribe)",
        rights.revoked("player", "game.a-1", "webhook", "http://127.0.0.1/hook"));
    assertEquals("owner player may no longer subscribe to game.* (security.principals.player.subscribe)",
        rights.revoked("player", "game.*", "websocket", null));
  }

  @Test
  void revokesAKafkaEndpointTheOwnerMayNoLongerWriteOrThatIsReserved() {
    assertNull(rights.revoked("player", "game.b-1", "kafka", "sub.player-1"));
    assertEquals("owner player may no longer publish to sub.other (security.principals.player.publish)",
        rights.revoked("player", "game.b-1", "kafka", "sub.player-1".replace("player-1", "other")));
    assertEquals("kafka endpoint sub.player.dlq is reserved to the mesh (security.reserved_topics)",
        rights.revoked("player", "game.b-1", "kafka", "sub.player.dlq"));
  }

  @Test
  void revokesEverythingOfAPrincipalNoLongerConfigured() {
    assertEquals("owner gone is no longer a configured principal",
        rights.revoked("gone", "game.b-1", "webhook", "http://127.0.0.1/hook"));
  }

  @Test
  void leavesAdminsAndOwnerlessSubscriptionsAlone() {
    assertNull(rights.revoked("operator", "*", "kafka", "anything"));
    assertNull(rights.revoked(null, "*", "kafka", "anything"));
  }

  @Test
  void anonymousKeepsEverythingUnlessItsRulesAreConfigured() {
    assertNull(rights.revoked("anonymous", "*", "kafka", "anything"));
    StandingRights limited = rights(new JsonObject().put("anonymous", principal("none", "public.*")));
    assertNull(limited.revoked("anonymous", "public.news", "webhook", "http://127.0.0.1/hook"));
    assertEquals("owner anonymous may no longer subscribe to game.a (security.principals.anonymous.subscribe)",
        limited.revoked("anonymous", "game.a", "webhook", "http://127.0.0.1/hook"));
  }
}
