package com.necpgame.mesh.market;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.envelope.EventIds;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class OrderIdsTest {

  @Test
  void anIdIsItsOwnersOnly() {
    String id = OrderIds.newId("ore", "alice");
    assertTrue(id.matches("ord\\.ore\\.[0-9a-f-]{36}"), id);
    String uuid = id.substring("ord.ore.".length());
    assertEquals(8, UUID.fromString(uuid).version());
    assertEquals(2, UUID.fromString(uuid).variant());
    assertTrue(OrderIds.madeFor(uuid, "alice"));
    assertFalse(OrderIds.madeFor(uuid, "mallory"));
    assertFalse(OrderIds.madeFor(uuid, "alice "), "the whole name counts");
    assertFalse(OrderIds.madeFor(EventIds.newId().toString(), "alice"), "an id made before owners were bound");
    assertFalse(OrderIds.madeFor("not-a-uuid", "alice"));
    assertNotEquals(id, OrderIds.newId("ore", "alice"));
  }
}
