package com.necpgame.mesh.fanout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HistoryTest {

  private static final ChannelFields FIELDS = new ChannelFields(Map.of("player_id", "player_id"));

  static Frame frame(long offset, String player, long now) {
    byte[] value = new JsonObject().put("event_type", "game.kill").put("player_id", player).put("data",
        new JsonObject().put("n", offset)).encode().getBytes(StandardCharsets.UTF_8);
    return FIELDS.frame("t", 0, offset, 1000 + offset, value, null, now);
  }

  @Test
  void keepsAtMostMaxEventsAndIsCompleteFromItsFloor() {
    History h = new History(5, 1 << 20, 60_000);
    h.reset(100);
    assertTrue(h.covers(100));
    assertFalse(h.covers(99));
    for (long o = 100; o < 112; o++) {
      h.append(frame(o, "p", 0), 0);
    }
    assertEquals(5, h.size());
    assertEquals(107, h.floor(), "the 7 oldest went");
    assertEquals(107, h.get(0).offset);
    assertEquals(111, h.get(4).offset);
    assertFalse(h.covers(106));
    assertTrue(h.covers(107));
    assertEquals(2, h.indexOf(109));
    assertEquals(5, h.indexOf(112), "nothing at or after the tail's next");
  }

  @Test
  void dropsByBytesAndByAge() {
    Frame one = frame(0, "p", 0);
    History bytes = new History(1000, one.size() * 3L, 60_000);
    bytes.reset(0);
    for (long o = 0; o < 10; o++) {
      bytes.append(frame(o, "p", 0), 0);
    }
    assertEquals(3, bytes.size());
    assertTrue(bytes.bytes() <= one.size() * 3L + 3);
    History age = new History(1000, 1 << 20, 1000);
    age.reset(0);
    age.append(frame(0, "p", 0), 0);
    age.append(frame(1, "p", 600), 600);
    age.trim(1200);
    assertEquals(1, age.size(), "the one read 1,200 ms ago is over the age");
    assertEquals(1, age.floor());
    age.trim(5000);
    assertEquals(0, age.size());
    assertEquals(2, age.floor(), "empty, and complete from the tail's next");
  }

  @Test
  void offsetsWithHolesAreFoundByBinarySearch() {
    History h = new History(100, 1 << 20, 60_000);
    h.reset(0);
    for (long o = 0; o < 60; o += 3) {
      h.append(frame(o, "p", 0), 0);
    }
    assertEquals(3, h.get(h.indexOf(2)).offset, "the first frame at or after the offset");
    assertEquals(57, h.get(h.indexOf(57)).offset);
  }

  @Test
  void aFrameIsEncodedOnceWithTheEnvelopeAsIsAndItsChannelValues() {
    Frame f = frame(7, "p-9", 0);
    JsonObject parsed = new JsonObject(f.json());
    assertEquals("event", parsed.getString("type"));
    assertEquals(7L, parsed.getLong("offset"));
    assertEquals("p-9", parsed.getJsonObject("event").getString("player_id"));
    assertEquals("p-9", f.addressed[FIELDS.indexOf("player_id")]);
    assertEquals("game.kill", f.eventType);
    Frame junk = FIELDS.frame("t", 0, 8, 0, "not json".getBytes(StandardCharsets.UTF_8), null, 0);
    assertTrue(junk.skipped);
    assertEquals("skipped", new JsonObject(junk.json()).getString("type"));
  }
}
