package com.necpgame.mesh.market;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The books of many commodities, cleared together once per game hour ({@link #clearAll}). Orders come in as the
 * data of {@code economy.order.placed} / {@code economy.order.cancelled} events ({@link #place}, {@link #cancel});
 * each commodity's last clearing price is the next auction's reference. Deterministic: the same calls in the same
 * order give the same clearings, fills and snapshot.
 */
public final class Market {

  private final Map<String, OrderBook> books = new TreeMap<>();
  private final Map<String, Long> references = new TreeMap<>();
  private long seq;

  /** @param initialReferences commodity -> reference price in cents before its first clearing */
  public Market(Map<String, Long> initialReferences) {
    references.putAll(initialReferences);
  }

  /**
   * Adds the order in an {@code economy.order.placed} payload: {@code order_id, commodity, side (buy|sell),
   * limit_price (absent or null: a market order), quantity, owner, time_in_force (gtc, the default; auction: this
   * clearing only; gth:<game hour>: until that hour's clearing)}. Answers null, or why it was not added.
   */
  public String place(JsonObject data) {
    try {
      String commodity = text(data, "commodity");
      String id = text(data, "order_id");
      Order.Side side = Order.Side.valueOf(text(data, "side").toUpperCase(java.util.Locale.ROOT));
      Object limit = data.getValue("limit_price");
      boolean market = limit == null;
      long cents = market ? 0 : centsOf(limit);
      long quantity = data.getLong("quantity");
      if (quantity <= 0 || (!market && cents <= 0)) {
        return "quantity and limit_price must be positive";
      }
      String tif = data.getString("time_in_force", "gtc");
      long expires = Long.MAX_VALUE;
      boolean auctionOnly = false;
      if (tif.equals("auction")) {
        auctionOnly = true;
      } else if (tif.startsWith("gth:")) {
        expires = Long.parseLong(tif.substring(4));
      } else if (!tif.equals("gtc")) {
        return "time_in_force must be gtc, auction or gth:<game hour>";
      }
      Order order = new Order(id, text(data, "owner"), side, market, cents, quantity, quantity, ++seq, expires,
          auctionOnly);
      return books.computeIfAbsent(commodity, c -> new OrderBook()).add(order) ? null : "order " + id + " is open";
    } catch (RuntimeException e) {
      return "not an order: " + e.getMessage();
    }
  }

  /** Adds a built order (its seq must follow the others'); false when its id is open already. */
  public boolean add(String commodity, Order order) {
    seq = Math.max(seq, order.seq);
    return books.computeIfAbsent(commodity, c -> new OrderBook()).add(order);
  }

  /** Cancels the order of an {@code economy.order.cancelled} payload; false when it was not open. */
  public boolean cancel(JsonObject data) {
    OrderBook book = books.get(data.getString("commodity"));
    if (book == null) {
      return false;
    }
    Order order = book.get(data.getString("order_id"));
    String owner = data.getString("owner");
    return order != null && (owner == null || owner.equals(order.owner)) && book.cancel(order.id);
  }

  /** Clears every commodity with open orders at {@code gameHour}, in commodity order. */
  public List<Clearing> clearAll(long gameHour) {
    List<Clearing> out = new ArrayList<>();
    for (Map.Entry<String, OrderBook> e : books.entrySet()) {
      if (e.getValue().size() == 0) {
        continue;
      }
      Clearing c = CallAuction.clear(e.getKey(), e.getValue(), reference(e.getKey()), gameHour);
      if (c.price() != null) {
        references.put(e.getKey(), c.price());
      }
      out.add(c);
    }
    books.values().removeIf(b -> b.size() == 0);
    return out;
  }

  /** The reference price of a commodity in cents: its last clearing price, else its initial one, else 1. */
  public long reference(String commodity) {
    return references.getOrDefault(commodity, 1L);
  }

  /** The book of a commodity (null when it has no open order). */
  public OrderBook book(String commodity) {
    return books.get(commodity);
  }

  public int openOrders() {
    return books.values().stream().mapToInt(OrderBook::size).sum();
  }

  /** Every open order, every reference price and the arrival counter. */
  public JsonObject snapshot() {
    JsonObject b = new JsonObject();
    books.forEach((commodity, book) -> {
      List<Order> orders = new ArrayList<>(book.buys);
      orders.addAll(book.sells);
      orders.sort((x, y) -> Long.compare(x.seq, y.seq));
      JsonArray rows = new JsonArray();
      for (Order o : orders) {
        rows.add(new JsonArray().add(o.id).add(o.owner).add(o.side.name()).add(o.market ? null : o.limit)
            .add(o.quantity).add(o.remaining).add(o.seq).add(o.expiresAfterHour).add(o.auctionOnly));
      }
      b.put(commodity, rows);
    });
    return new JsonObject().put("seq", seq).put("references", new JsonObject(new TreeMap<>(references)))
        .put("books", b);
  }

  public static Market restore(JsonObject snapshot) {
    Market m = new Market(Map.of());
    m.seq = snapshot.getLong("seq");
    snapshot.getJsonObject("references").forEach(e -> m.references.put(e.getKey(), ((Number) e.getValue()).longValue()));
    snapshot.getJsonObject("books").forEach(e -> {
      OrderBook book = new OrderBook();
      for (Object row : (JsonArray) e.getValue()) {
        JsonArray r = (JsonArray) row;
        book.add(new Order(r.getString(0), r.getString(1), Order.Side.valueOf(r.getString(2)), r.getValue(3) == null,
            r.getValue(3) == null ? 0 : r.getLong(3), r.getLong(4), r.getLong(5), r.getLong(6), r.getLong(7),
            r.getBoolean(8)));
      }
      m.books.put(e.getKey(), book);
    });
    return m;
  }

  private static String text(JsonObject data, String field) {
    String value = data.getString(field);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(field + " is missing");
    }
    return value;
  }

  /** A price given as a decimal with at most two places, in cents. */
  public static long centsOf(Object price) {
    BigDecimal d = new BigDecimal(String.valueOf(price));
    return d.movePointRight(2).longValueExact();
  }
}
