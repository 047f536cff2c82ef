package com.necpgame.mesh.market;

import io.vertx.core.json.JsonObject;

/** One execution of a clearing: a buy and a sell order matched for a quantity at the clearing price (cents). */
public record Fill(String buyOrderId, String sellOrderId, String buyer, String seller, long quantity, long price) {

  /**
   * The data of {@code economy.trade.executed}: {@code commodity, game_hour, tick_id, buy_order_id, sell_order_id,
   * buyer, seller, quantity, price} (credits with two decimals).
   */
  public JsonObject toJson(String commodity, long gameHour, String tickId) {
    return new JsonObject().put("commodity", commodity).put("game_hour", gameHour).put("tick_id", tickId)
        .put("buy_order_id", buyOrderId).put("sell_order_id", sellOrderId).put("buyer", buyer).put("seller", seller)
        .put("quantity", quantity).put("price", Prices.toDecimal(price));
  }
}
