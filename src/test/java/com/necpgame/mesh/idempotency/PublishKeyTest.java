package com.necpgame.mesh.idempotency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class PublishKeyTest {

  private static final String ID = "0b8f6a52-7a35-4a5e-9a4e-2b1c0d9e8f70";

  private static JsonObject event() {
    return new JsonObject().put("event_type", "game.trade.done").put("topic", "game.economy.events")
        .put("source", "shop").put("payload", new JsonObject().put("gold", 10).put("items", new JsonArray().add("a")));
  }

  @Test
  void anUnkeyedPublishHasNoKey() {
    JsonArray problems = new JsonArray();
    assertNull(PublishKey.of("alice", event(), null, problems));
    assertTrue(problems.isEmpty());
  }

  @Test
  void theHeaderKeyWinsOverTheEventIdAndIsScopedToThePrincipal() {
    PublishKey key = PublishKey.of("alice", event().put("event_id", ID), "order-42", new JsonArray());
    assertEquals("alice", key.principal());
    assertEquals("k:order-42", key.key());
    assertEquals(ID, key.eventId());
    assertTrue(key.explicit());
    assertEquals("order-42", key.shown());
  }

  @Test
  void anEventIdAloneIsTheKeyInAnotherNamespaceThanKeys() {
    PublishKey byId = PublishKey.of("alice", event().put("event_id", ID), null, new JsonArray());
    PublishKey byKey = PublishKey.of("alice", event(), ID, new JsonArray());
    assertEquals("e:" + ID, byId.key());
    assertFalse(byId.explicit());
    assertNotEquals(byId.key(), byKey.key());
  }

  @Test
  void anUpperCaseUuidIsTheSameEventIdInLowerCase() {
    PublishKey key = PublishKey.of("alice", event().put("event_id", ID.toUpperCase()), null, new JsonArray());
    assertEquals(ID, key.eventId());
  }

  @Test
  void theFieldKeyOfABatchEventIsNotPartOfTheBody() {
    PublishKey field = PublishKey.of("alice", event().put("idempotency_key", "k1"), null, new JsonArray());
    PublishKey header = PublishKey.of("alice", event(), "k1", new JsonArray());
    assertEquals(header.key(), field.key());
    assertEquals(header.bodyHash(), field.bodyHash());
  }

  @Test
  void rejectsMalformedKeysAndEventIds() {
    for (Object bad : new Object[] {"", "x".repeat(256), "has space", "tab\t", "é", 42}) {
      JsonArray problems = new JsonArray();
      assertNull(PublishKey.of("alice", event().put("idempotency_key", bad), null, problems), String.valueOf(bad));
      assertEquals("/idempotency_key", problems.getJsonObject(0).getString("pointer"), problems.encode());
    }
    JsonArray headerProblems = new JsonArray();
    assertNull(PublishKey.of("alice", event(), "", headerProblems));
    assertEquals(1, headerProblems.size());
    for (Object bad : new Object[] {"not-a-uuid", "0b8f6a527a354a5e9a4e2b1c0d9e8f70", "", 7,
        "{0b8f6a52-7a35-4a5e-9a4e-2b1c0d9e8f7}"}) {
      JsonArray problems = new JsonArray();
      assertNull(PublishKey.of("alice", event().put("event_id", bad), null, problems), String.valueOf(bad));
      assertEquals("/event_id", problems.getJsonObject(0).getString("pointer"), problems.encode());
    }
    JsonArray both = new JsonArray();
    assertNull(PublishKey.of("alice", event().put("idempotency_key", "a"), "a", both));
    assertEquals(1, both.size());
    assertEquals(255, PublishKey.of("alice", event(), "x".repeat(255), new JsonArray()).shown().length());
  }

  @Test
  void theBodyHashIgnoresFieldOrderAndNumberFormButNotContent() {
    JsonObject a = event();
    JsonObject b = new JsonObject().put("payload", new JsonObject().put("items", new JsonArray().add("a"))
        .put("gold", 10.0)).put("source", "shop").put("topic", "game.economy.events")
        .put("event_type", "game.trade.done");
    assertEquals(PublishKey.hash(a), PublishKey.hash(b));
    assertEquals(PublishKey.hash(a), PublishKey.hash(event().put("payload", a.getJsonObject("payload").encode())),
        "a payload given as a string holding the same JSON");
    assertNotEquals(PublishKey.hash(a), PublishKey.hash(event().put("topic", "game.combat.events")));
    assertNotEquals(PublishKey.hash(a), PublishKey.hash(event().put("event_type", "game.trade.undone")));
    assertNotEquals(PublishKey.hash(a), PublishKey.hash(event().put("payload", new JsonObject().put("gold", 11)
        .put("items", new JsonArray().add("a")))));
    assertNotEquals(PublishKey.hash(a), PublishKey.hash(event().put("payload", new JsonObject().put("gold", 10)
        .put("items", new JsonArray().add("a").add("b")))));
    assertNotEquals(PublishKey.hash(new JsonObject().put("x", "1")), PublishKey.hash(new JsonObject().put("x", 1)),
        "a string is not a number");
    assertEquals(64, PublishKey.hash(a).length());
  }
}
