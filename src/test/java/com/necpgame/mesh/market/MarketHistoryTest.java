package com.necpgame.mesh.market;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The clearings a market shard keeps for {@code GET /market/history}: bounded, in its state, restored with it. */
class MarketHistoryTest {

  private static final Map<String, Long> REFERENCES = Map.of("ore", 1000L, "gas", 350L);

  private static void order(MarketShard shard, String commodity, String side, String price, long hour) {
    shard.input(new JsonObject().put("event_type", "economy.order.placed").put("data", new JsonObject()
        .put("order_id", "ord." + commodity + "." + side + hour).put("commodity", commodity).put("side", side)
        .put("limit_price", new BigDecimal(price)).put("quantity", 5).put("owner", "t").put("time_in_force", "auction")));
  }

  /** Ore trades every hour at 10 + hour/100; gas has a lone bid every other hour (orders, no trade). */
  private static MarketShard run(MarketShard shard, long from, long to) {
    for (long h = from; h < to; h++) {
      String price = BigDecimal.valueOf(1000 + h, 2).toPlainString();
      order(shard, "ore", "buy", price, h);
      order(shard, "ore", "sell", price, h);
      if (h % 2 == 0) {
        order(shard, "gas", "buy", "3.00", h);
      }
      shard.clear(h, Instant.EPOCH.plusSeconds(3600 * h), Instant.EPOCH);
    }
    return shard;
  }

  @Test
  void keepsTheLastTwoGameDaysOfClearingsOldestFirst() {
    MarketShard shard = run(MarketShard.fresh("s", REFERENCES, "out"), 0, 100);
    JsonObject history = MarketShard.view(shard.snapshot()).getJsonObject("history");
    JsonArray ore = history.getJsonArray("ore");
    assertEquals(MarketVerticle.HISTORY_HOURS, ore.size(), "one clearing an hour, the last 48 hours");
    assertEquals(new JsonArray().add(52).add(1052).add(5), normalised(ore.getJsonArray(0)));
    assertEquals(new JsonArray().add(99).add(1099).add(5), normalised(ore.getJsonArray(ore.size() - 1)));
    JsonArray gas = history.getJsonArray("gas");
    assertTrue(gas.size() >= 24, "gas had orders every other hour, the lone bids: " + gas.size());
    assertNull(gas.getJsonArray(0).getValue(1), "an hour with orders but no trade: no price");
    assertEquals(0L, gas.getJsonArray(0).getLong(2));
  }

  @Test
  void theHistorySurvivesARestoreAndAnOlderRecordRestoresWithNone() {
    MarketShard shard = run(MarketShard.fresh("s", REFERENCES, "out"), 0, 30);
    MarketShard copy = MarketShard.restore(shard.snapshot(), "out");
    run(shard, 30, 40);
    run(copy, 30, 40);
    assertEquals(new String(shard.snapshot(), StandardCharsets.UTF_8), new String(copy.snapshot(),
        StandardCharsets.UTF_8), "byte for byte");
    assertEquals(40, MarketShard.view(copy.snapshot()).getJsonObject("history").getJsonArray("ore").size());

    JsonObject old = new JsonObject(new String(shard.snapshot(), StandardCharsets.UTF_8));
    old.remove("history");
    byte[] before = old.encode().getBytes(StandardCharsets.UTF_8);
    assertEquals(new JsonObject(), MarketShard.view(before).getJsonObject("history"));
    MarketShard restored = run(MarketShard.restore(before, "out"), 40, 42);
    assertEquals(2, MarketShard.view(restored.snapshot()).getJsonObject("history").getJsonArray("ore").size());
  }

  private static JsonArray normalised(JsonArray point) {
    return new JsonArray().add(point.getLong(0).intValue()).add(point.getLong(1).intValue())
        .add(point.getLong(2).intValue());
  }
}
