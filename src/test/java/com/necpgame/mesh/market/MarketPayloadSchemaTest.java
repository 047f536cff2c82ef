package com.necpgame.mesh.market;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.necpgame.mesh.envelope.EnvelopeValidator;
import com.necpgame.mesh.envelope.Violation;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The payloads the model makes, in envelopes, against {@code schemas/economy/*.json}. */
class MarketPayloadSchemaTest {

  private static final EnvelopeValidator VALIDATOR = EnvelopeValidator.load(Optional.empty());

  private static JsonObject envelope(String type, JsonObject data) {
    // round-tripped through text, as a consumer would see it
    return new JsonObject(new JsonObject().put("event_id", "0190b6a4-7c2e-7a1b-8c3d-4e5f60718293")
        .put("event_type", type).put("timestamp", "2026-11-23T10:00:00Z").put("version", "1.0.0")
        .put("source", "event-mesh.market").put("data", data).encode());
  }

  private static List<String> violations(String type, JsonObject data) {
    return VALIDATOR.validate(envelope(type, data)).stream().map(Violation::toString).toList();
  }

  @Test
  void clearingsTradesAndOrdersMatchTheirSchemas() {
    Market m = new Market(Map.of("iron_ore", 1_250L));
    m.add("iron_ore", Order.limit("b1", "alice", Order.Side.BUY, 1_300, 10));
    m.add("iron_ore", Order.market("b2", "carol", Order.Side.BUY, 3).untilHour(1));
    m.add("iron_ore", Order.limit("s1", "bob", Order.Side.SELL, 1_199, 4).thisAuctionOnly());
    m.add("iron_ore", Order.limit("s2", "dan", Order.Side.SELL, 1_400, 4).untilHour(0));
    m.add("gas", Order.limit("g1", "erin", Order.Side.BUY, 100, 1));
    for (Order o : m.book("iron_ore").orders()) {
      assertEquals(List.of(), violations("economy.order.placed", o.toPlacedJson("iron_ore")), o.toString());
    }
    assertEquals(List.of(), violations("economy.order.cancelled",
        m.get("iron_ore", "b1").toCancelledJson("iron_ore", "expired")));
    List<Clearing> clearings = m.clearAll(1);
    assertEquals(2, clearings.size());
    Clearing gas = clearings.get(0);
    assertEquals(null, gas.price());
    assertEquals(List.of(), violations("economy.market.cleared", gas.toJson("hourly:1")), "no price, no reference");
    Clearing ore = clearings.get(1);
    assertEquals(1_300L, ore.price(), "buy surplus at 11.99 and 13.00: the highest");
    assertEquals(1, ore.ordersExpired());
    assertFalse(ore.fills().isEmpty());
    assertEquals(List.of(), violations("economy.market.cleared", ore.toJson("hourly:1")));
    for (Fill f : ore.fills()) {
      assertEquals(List.of(), violations("economy.trade.executed", f.toJson("iron_ore", 1, "hourly:1")));
    }
    JsonObject cleared = ore.toJson("hourly:1");
    assertEquals("13.00", cleared.getValue("price").toString(), "credits with two decimals");
    assertEquals("12.50", cleared.getValue("reference_price").toString());
  }

  @Test
  void schemasRejectWhatTheModelWouldNeverSend() {
    JsonObject trade = new Fill("b", "s", "x", "y", 1, 100).toJson("ore", 1, "hourly:1");
    assertEquals(List.of(), violations("economy.trade.executed", trade));
    assertFalse(violations("economy.trade.executed", trade.copy().put("quantity", 0)).isEmpty());
    assertFalse(violations("economy.trade.executed", trade.copy().put("price", "1.00")).isEmpty());
    JsonObject placed = Order.market("o", "x", Order.Side.BUY, 1).toPlacedJson("ore");
    assertFalse(violations("economy.order.placed", placed.copy().put("side", "hold")).isEmpty());
    assertFalse(violations("economy.order.placed", placed.copy().put("time_in_force", "day")).isEmpty());
    assertEquals(List.of(), violations("economy.order.placed", placed.copy().putNull("limit_price")));
  }
}
