package com.necpgame.mesh.market;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The open orders of one commodity, each side kept in priority order lazily (sorted when cleared or summarised). */
public final class OrderBook {

  /** Market orders first, then the better limit, then the earlier order. */
  static final Comparator<Order> BUY_PRIORITY = (a, b) -> a.market != b.market ? (a.market ? -1 : 1)
      : a.limit != b.limit ? Long.compare(b.limit, a.limit) : Long.compare(a.seq, b.seq);
  static final Comparator<Order> SELL_PRIORITY = (a, b) -> a.market != b.market ? (a.market ? -1 : 1)
      : a.limit != b.limit ? Long.compare(a.limit, b.limit) : Long.compare(a.seq, b.seq);

  final List<Order> buys = new ArrayList<>();
  final List<Order> sells = new ArrayList<>();
  private final Map<String, Order> byId = new HashMap<>();

  /** Adds an order; false when one with its id is already open (a duplicate event). */
  public boolean add(Order order) {
    if (byId.putIfAbsent(order.id, order) != null) {
      return false;
    }
    (order.side == Order.Side.BUY ? buys : sells).add(order);
    return true;
  }

  /** Cancels an open order; false when it is not open (unknown, filled, expired). */
  public boolean cancel(String id) {
    Order order = byId.remove(id);
    if (order == null) {
      return false;
    }
    (order.side == Order.Side.BUY ? buys : sells).remove(order);
    return true;
  }

  public Order get(String id) {
    return byId.get(id);
  }

  public int size() {
    return byId.size();
  }

  void sort() {
    buys.sort(BUY_PRIORITY);
    sells.sort(SELL_PRIORITY);
  }

  /** Keeps the orders that pass; the others are forgotten. Answers how many were removed. */
  int removeIf(java.util.function.Predicate<Order> gone) {
    int before = byId.size();
    for (List<Order> side : List.of(buys, sells)) {
      side.removeIf(o -> {
        if (gone.test(o)) {
          byId.remove(o.id);
          return true;
        }
        return false;
      });
    }
    return before - byId.size();
  }

  /** Best prices, totals and the first {@code levels} price levels of each side (quantity and orders per level). */
  public JsonObject summary(int levels) {
    sort();
    return new JsonObject().put("orders", byId.size())
        .put("buy_quantity", buys.stream().mapToLong(o -> o.remaining).sum())
        .put("sell_quantity", sells.stream().mapToLong(o -> o.remaining).sum())
        .put("bids", levels(buys, levels)).put("asks", levels(sells, levels));
  }

  private static JsonArray levels(List<Order> side, int max) {
    JsonArray out = new JsonArray();
    JsonObject level = null;
    for (Order o : side) {
      Object price = o.market ? "market" : Clearing.decimal(o.limit);
      if (level == null || !level.getValue("price").equals(price)) {
        if (out.size() == max) {
          break;
        }
        level = new JsonObject().put("price", price).put("quantity", 0L).put("orders", 0);
        out.add(level);
      }
      level.put("quantity", level.getLong("quantity") + o.remaining).put("orders", level.getInteger("orders") + 1);
    }
    return out;
  }
}
