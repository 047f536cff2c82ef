package com.necpgame.mesh.market;

import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The outcome of one commodity's call auction at one game hour. Prices are cents.
 *
 * <ul>
 *   <li>{@code price}: the clearing price; null when nothing executed (empty or one-sided book, no cross, or only
 *   market orders and no reference price).</li>
 *   <li>{@code volume}: the quantity executed; total bought = total sold = volume.</li>
 *   <li>{@code imbalance}: demand minus supply at the price (positive: buy surplus); without a price, all buy minus
 *   all sell quantity.</li>
 *   <li>{@code referencePrice}: the reference the auction used (the previous clearing price), null when none.</li>
 *   <li>{@code fills}: every execution, in priority order on both sides.</li>
 *   <li>{@code expired}: the orders dropped before the auction because their last hour had passed, as they were.</li>
 *   <li>{@code dropped}: what was left of the auction-only orders after it, as it was.</li>
 * </ul>
 */
public record Clearing(String commodity, long gameHour, Long price, long volume, long imbalance, Long referencePrice,
    List<Fill> fills, List<Order> expired, List<Order> dropped) {

  public int ordersExpired() {
    return expired.size();
  }

  public int ordersDropped() {
    return dropped.size();
  }

  /**
   * The data of {@code economy.market.cleared}: {@code commodity, game_hour, tick_id, price (null when none),
   * volume, imbalance, reference_price (null when none), fills (their number; each is its own
   * economy.trade.executed), orders_expired, orders_dropped}, prices in credits with two decimals.
   */
  public JsonObject toJson(String tickId) {
    return new JsonObject().put("commodity", commodity).put("game_hour", gameHour).put("tick_id", tickId)
        .put("price", price == null ? null : Prices.toDecimal(price)).put("volume", volume).put("imbalance", imbalance)
        .put("reference_price", referencePrice == null ? null : Prices.toDecimal(referencePrice))
        .put("fills", fills.size()).put("orders_expired", ordersExpired()).put("orders_dropped", ordersDropped());
  }
}
