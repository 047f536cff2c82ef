package com.necpgame.mesh.market;

import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.util.List;

/**
 * The outcome of one commodity's call auction. {@code price} is null when nothing executed (empty or one-sided book,
 * no cross); {@code imbalance} is demand minus supply at the price (or, without one, all buy minus all sell quantity);
 * {@code referencePrice} is the reference the auction used (the previous clearing price).
 */
public record Clearing(String commodity, long gameHour, Long price, long volume, long imbalance, long referencePrice,
    List<Fill> fills, int ordersExpired, int ordersDropped) {

  /** The data of {@code economy.market.cleared}. */
  public JsonObject toJson(String tickId) {
    return new JsonObject().put("commodity", commodity).put("game_hour", gameHour).put("tick_id", tickId)
        .put("price", price == null ? null : decimal(price)).put("volume", volume).put("imbalance", imbalance)
        .put("reference_price", decimal(referencePrice)).put("fills", fills.size())
        .put("orders_expired", ordersExpired).put("orders_dropped", ordersDropped);
  }

  static BigDecimal decimal(long cents) {
    return BigDecimal.valueOf(cents, 2);
  }
}
