package com.necpgame.mesh.security;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class AclTest {

  private final Acl acl = new Acl(List.of("game.combat.*", "economy.orders"), List.of("game.*", "world.tick.daily"),
      List.of("events", "ws"));

  @Test
  void publishMatchesTopicGlobs() {
    assertTrue(acl.mayPublish("game.combat.events"));
    assertTrue(acl.mayPublish("economy.orders"));
    assertFalse(acl.mayPublish("game.economy.events"));
    assertFalse(acl.mayPublish("economy.orders.dlq"));
    assertFalse(new Acl(List.of("*"), List.of(), List.of()).mayPublish("__consumer_offsets"), "never Kafka's own");
  }

  @Test
  void subscribeGlobMustBeCoveredWhole() {
    assertTrue(acl.maySubscribe("game.combat.events"));
    assertTrue(acl.maySubscribe("game.*"));
    assertTrue(acl.maySubscribe("game.combat.*"));
    assertTrue(acl.maySubscribe("world.tick.daily"));
    assertFalse(acl.maySubscribe("*"), "* would match more than game.*");
    assertFalse(acl.maySubscribe("*.events"));
    assertFalse(acl.maySubscribe("gam?.combat.events"), "the literal start gam is not under game.");
    assertFalse(acl.maySubscribe("world.tick.*"), "only world.tick.daily is allowed");
    assertFalse(acl.maySubscribe("simulation.event"));
  }

  @Test
  void endpointsAreListedOrStar() {
    assertTrue(acl.mayCall("events"));
    assertFalse(acl.mayCall("topics"));
    assertTrue(Acl.ALL.mayCall("replay"));
    assertFalse(new Acl(List.of(), List.of(), List.of()).mayCall("events"), "nothing listed is nothing allowed");
  }

  @Test
  void emptyListsAllowNothing() {
    Acl none = new Acl(List.of(), List.of(), List.of());
    assertFalse(none.mayPublish("game.combat.events"));
    assertFalse(none.maySubscribe("game.combat.events"));
  }
}
