package com.necpgame.mesh.security;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PlayerAclTest {

  private final Acl acl = new Acl(List.of(), List.of("game.*"), List.of("ws"), false,
      List.of("game.world.*", "game.news"));

  @Test
  void aPlayerStreamsWholeOnlyWhatIsSharedAndSubscribable() {
    assertTrue(acl.maySubscribeWhole("game.world.weather"));
    assertTrue(acl.maySubscribeWhole("game.world.*"));
    assertTrue(acl.maySubscribeWhole("game.news"));
    assertFalse(acl.maySubscribeWhole("game.loot"), "subscribable, but only its own channel");
    assertFalse(acl.maySubscribeWhole("game.*"), "wider than what is shared");
    assertFalse(new Acl(List.of(), List.of("game.*"), List.of(), false, List.of("other.*")).maySubscribeWhole(
        "other.x"), "shared but not in subscribe");
    assertFalse(new Acl(List.of(), List.of("game.*"), List.of()).maySubscribeWhole("game.news"), "nothing shared");
  }
}
