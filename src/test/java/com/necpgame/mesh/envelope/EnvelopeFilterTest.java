package com.necpgame.mesh.envelope;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class EnvelopeFilterTest {

  private static final JsonObject ENVELOPE = new JsonObject("{\"event_type\":\"game.kill\",\"source\":\"srv-1\","
      + "\"player_id\":\"p1\",\"data\":{\"weapon\":\"plasma\",\"distance\":150,\"headshot\":true,\"pos\":{\"x\":1.5}}}");

  private static EnvelopeFilter filter(Object json) {
    JsonArray problems = new JsonArray();
    EnvelopeFilter filter = EnvelopeFilter.parse(json, "/filter", problems);
    assertTrue(problems.isEmpty(), problems.encode());
    return filter;
  }

  private static List<String> problems(Object json) {
    JsonArray problems = new JsonArray();
    assertNull(EnvelopeFilter.parse(json, "/filter", problems));
    return problems.stream().map(p -> ((JsonObject) p).getString("pointer")).toList();
  }

  @Test
  void conditionsOnFieldsAndPathsAllMustHold() {
    assertTrue(filter(new JsonObject().put("event_type", "game.kill")).matches(ENVELOPE));
    assertTrue(filter("{\"event_type\":\"game.kill\",\"data.weapon\":\"plasma\"}").matches(ENVELOPE), "the seed's string form");
    assertFalse(filter(new JsonObject().put("event_type", "game.kill").put("data.weapon", "rifle")).matches(ENVELOPE));
    assertTrue(filter(new JsonObject().put("source", new JsonArray().add("srv-2").add("srv-1"))).matches(ENVELOPE));
    assertTrue(filter(new JsonObject().put("data.distance", 150.0).put("data.headshot", true)).matches(ENVELOPE));
    assertTrue(filter(new JsonObject().put("data.pos.x", 1.5)).matches(ENVELOPE));
    assertFalse(filter(new JsonObject().put("data.distance", "150")).matches(ENVELOPE), "types are not coerced");
    assertTrue(filter(new JsonObject().putNull("session_id")).matches(ENVELOPE), "missing matches null");
    assertFalse(filter(new JsonObject().put("data.weapon.name", "plasma")).matches(ENVELOPE));
  }

  @Test
  void emptyOrAbsentMatchesEverything() {
    assertSame(EnvelopeFilter.ALL, filter(null));
    assertSame(EnvelopeFilter.ALL, filter(" "));
    assertTrue(filter(new JsonObject()).isAll());
    assertTrue(filter(new JsonObject()).matches(ENVELOPE));
  }

  @Test
  void badFiltersAreReportedWithPointers() {
    assertEquals(List.of("/filter"), problems("{not json"));
    assertEquals(List.of("/filter"), problems(42));
    assertEquals(List.of("/filter/data.~1x", "/filter/data"), problems(new JsonObject().put("data./x", 1)
        .put("data", new JsonObject().put("a", 1))));
  }
}
