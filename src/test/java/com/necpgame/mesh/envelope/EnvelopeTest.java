package com.necpgame.mesh.envelope;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class EnvelopeTest {

  @Test
  void jsonRoundTripKeepsEveryField() {
    Envelope e = new Envelope(EventIds.newId(), "economy.trade.executed", Instant.parse("2024-01-10T10:30:00.123Z"),
        "1.2.0", "market", "corr-1", "session-1", "player-1", new JsonObject().put("price", 10.5),
        new Envelope.Metadata(Envelope.Priority.HIGH, "24h", 3));
    JsonObject json = e.toJson();
    assertEquals("2024-01-10T10:30:00.123Z", json.getString("timestamp"));
    assertEquals("high", json.getJsonObject("metadata").getString("priority"));
    assertEquals(3, json.getJsonObject("metadata").getInteger("retry_count"));
    assertEquals(e, Envelope.fromJson(json));
    assertEquals(e, Envelope.fromBuffer(e.toBuffer()));
  }

  @Test
  void absentOptionalIdsAreLeftOutOfTheJson() {
    JsonObject json = Envelope.create("world.tick.daily", "tick", new JsonObject()).toJson();
    assertFalse(json.containsKey("player_id"));
    assertFalse(json.containsKey("correlation_id"));
    assertEquals("normal", json.getJsonObject("metadata").getString("priority"));
  }

  @Test
  void offsetTimestampsAreReadAsTheSameInstant() {
    JsonObject json = Envelope.create("world.tick.daily", "tick", new JsonObject()).toJson()
        .put("timestamp", "2024-01-10T12:30:00+02:00");
    assertEquals(Instant.parse("2024-01-10T10:30:00Z"), Envelope.fromJson(json).timestamp());
  }

  @Test
  void readingSomethingInvalidNamesTheProblem() {
    JsonObject json = Envelope.create("world.tick.daily", "tick", new JsonObject()).toJson();
    json.remove("source");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Envelope.fromJson(json)).getMessage()
        .contains("source"));
  }

  @Test
  void idsAreVersion7TimeOrderedAndUnique() {
    Set<UUID> seen = new HashSet<>();
    UUID previous = null;
    long before = System.currentTimeMillis();
    for (int i = 0; i < 100_000; i++) {
      UUID id = EventIds.newId();
      assertEquals(7, id.version());
      assertEquals(2, id.variant());
      if (previous != null) {
        assertTrue(previous.toString().compareTo(id.toString()) < 0, previous + " then " + id);
      }
      assertTrue(seen.add(id));
      previous = id;
    }
    long millis = EventIds.newId().getMostSignificantBits() >>> 16;
    assertTrue(millis >= before && millis <= System.currentTimeMillis() + 100, "carries the creation time");
  }
}
