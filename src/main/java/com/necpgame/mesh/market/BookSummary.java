package com.necpgame.mesh.market;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * What a book looks like: best limit prices (cents; null when that side has no limit order), order counts, total open
 * quantities, and the first price levels of each side in priority order (a level with a null price holds the market
 * orders).
 */
public record BookSummary(Long bestBid, Long bestAsk, int buyOrders, int sellOrders, long buyQuantity,
    long sellQuantity, List<Level> bids, List<Level> asks) {

  /** One price level: its price in cents (null: market orders), open quantity and number of orders. */
  public record Level(Long price, long quantity, int orders) {

    JsonObject toJson() {
      return new JsonObject().put("price", price == null ? "market" : Prices.toDecimal(price))
          .put("quantity", quantity).put("orders", orders);
    }
  }

  public int orders() {
    return buyOrders + sellOrders;
  }

  /** As JSON, prices in credits with two decimals and {@code "market"} for the market-order level. */
  public JsonObject toJson() {
    return new JsonObject().put("orders", orders()).put("buy_orders", buyOrders).put("sell_orders", sellOrders)
        .put("buy_quantity", buyQuantity).put("sell_quantity", sellQuantity)
        .put("best_bid", bestBid == null ? null : Prices.toDecimal(bestBid))
        .put("best_ask", bestAsk == null ? null : Prices.toDecimal(bestAsk))
        .put("bids", new JsonArray(bids.stream().map(Level::toJson).toList()))
        .put("asks", new JsonArray(asks.stream().map(Level::toJson).toList()));
  }
}
