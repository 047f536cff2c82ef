package com.necpgame.mesh.crowd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The crowd's summary for {@code GET /crowd}: what its last step did, kept in its state and read back alone. */
class CrowdSummaryTest {

  private static final List<String> GOODS = List.of("food", "ammo");
  private static final long[] COSTS = {400, 2500};
  private static final List<String> FACTIONS = List.of("arasaka", "militech", "nomads");

  @Test
  void summarisesTheLastStepPerFactionAndCommodity() {
    CrowdStep step = CrowdStep.fresh(GOODS, COSTS, FACTIONS, 600, 7, 1.0);
    assertNull(step.summary(), "nothing before the first step");
    step.input(new JsonObject().put("event_type", "world.diplomacy.changed").put("data", new JsonObject()
        .put("pair", "arasaka|nomads").put("from", "COLD_WAR").put("to", "WAR")));
    List<CrowdStep.Output> out = null;
    for (long h = 0; h < 3; h++) {
      out = step.step(h);
    }
    JsonObject s = step.summary();
    assertEquals(2L, s.getLong("game_hour"));
    assertEquals(0L, s.getLong("game_day"));
    assertEquals(600, s.getInteger("population"));
    JsonArray factions = s.getJsonArray("factions");
    assertEquals(600, factions.stream().mapToInt(f -> ((JsonObject) f).getInteger("members")).sum());
    assertEquals(List.of(true, false, true), factions.stream().map(f -> ((JsonObject) f).getBoolean("at_war")).toList());
    JsonArray rows = s.getJsonArray("commodities");
    assertEquals(List.of("food", "ammo"), rows.stream().map(r -> ((JsonObject) r).getString("commodity")).toList());
    for (Object o : rows) {
      JsonObject row = (JsonObject) o;
      String c = row.getString("commodity");
      List<CrowdStep.Output> orders = out.stream().filter(x -> x.order() != null
          && c.equals(x.data().getString("commodity"))).toList();
      assertEquals(orders.size(), row.getLong("orders"), row.encode());
      assertEquals(orders.stream().filter(x -> "buy".equals(x.data().getString("side")))
          .mapToLong(x -> x.data().getLong("quantity")).sum(), row.getLong("buy_quantity"), row.encode());
      assertTrue(row.getLong("demand") > 0 && row.getLong("supply") > 0 && row.getLong("stock") > 0, row.encode());
      CrowdStep.Output signal = out.stream().filter(x -> x.eventType().equals("world.crowd.signal")
          && c.equals(x.data().getString("commodity"))).findFirst().orElseThrow();
      assertEquals(signal.data().getValue("reference_price").toString(), row.getValue("reference_price").toString());
    }
  }

  @Test
  void theSummaryIsReadFromTheStateAloneAndSurvivesARestore() {
    CrowdStep step = CrowdStep.fresh(GOODS, COSTS, FACTIONS, 300, 7, 1.0);
    byte[] none = step.snapshot().encode().getBytes(StandardCharsets.UTF_8);
    assertNull(CrowdStep.summaryIn(none), "a crowd that never stepped has none");
    step.step(0);
    step.step(1);
    byte[] state = step.snapshot().encode().getBytes(StandardCharsets.UTF_8);
    assertEquals(step.summary(), CrowdStep.summaryIn(state));
    CrowdStep restored = CrowdStep.restore(new JsonObject(new String(state, StandardCharsets.UTF_8)), FACTIONS);
    assertEquals(step.summary(), restored.summary());
    assertEquals(step.step(2).size(), restored.step(2).size());
    assertEquals(step.summary(), restored.summary(), "the next step summarises the same");
    JsonObject older = new JsonObject(new String(state, StandardCharsets.UTF_8));
    older.remove("summary");
    assertNull(CrowdStep.summaryIn(older.encode().getBytes(StandardCharsets.UTF_8)), "a record written before it");
  }
}
