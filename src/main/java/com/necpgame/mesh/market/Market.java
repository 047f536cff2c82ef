package com.necpgame.mesh.market;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The order books of many commodities, cleared together once per game hour by a uniform-price call auction each
 * ({@link CallAuction}). Plain Java: no Vert.x or Kafka in the model ({@link JsonObject} only as the JSON type of
 * payloads and snapshots). Deterministic: the same calls in the same order give the same clearings, fills and
 * snapshots. Not thread-safe: one owner thread.
 *
 * <pre>{@code
 * Market market = new Market(Map.of("iron_ore", 1_250L));               // reference prices in cents
 * market.add("iron_ore", Order.limit("o1", "alice", Order.Side.BUY, 1_300, 10));
 * market.add("iron_ore", Order.market("o2", "bob", Order.Side.SELL, 4).thisAuctionOnly());
 * String problem = market.place(orderPlacedData);                         // an economy.order.placed payload
 * market.cancel("iron_ore", "o1", "alice");
 * for (Clearing c : market.clearAll(gameHour)) {                          // sorted by commodity
 *   publish(c.toJson(tickId));                                            // economy.market.cleared
 *   c.fills().forEach(f -> publish(f.toJson(c.commodity(), gameHour, tickId))); // economy.trade.executed
 *   c.expired().forEach(o -> publish(o.toCancelledJson(c.commodity(), "expired"))); // if wanted
 * }
 * BookSummary view = market.summary("iron_ore", 5);
 * Market copy = Market.restore(market.snapshot());                        // clears exactly as market would
 * }</pre>
 */
public final class Market {

  private final Map<String, OrderBook> books = new TreeMap<>();
  private final Map<String, Long> references = new TreeMap<>();
  private long seq;

  /** A market with no reference prices yet. */
  public Market() {}

  /** @param initialReferences commodity -> reference price in cents before its first clearing */
  public Market(Map<String, Long> initialReferences) {
    initialReferences.forEach((c, p) -> {
      if (p == null || p <= 0) {
        throw new IllegalArgumentException("reference price of " + c + " must be positive, got " + p);
      }
    });
    references.putAll(initialReferences);
  }

  /** Adds an order to a commodity's book with the next arrival number ({@code seq} ignored): {@link OrderBook#add}. */
  public boolean add(String commodity, Order order) {
    boolean added = books.computeIfAbsent(commodity, c -> new OrderBook()).add(order.withSeq(seq + 1));
    if (added) {
      seq++;
    }
    return added;
  }

  /**
   * Adds the order of an {@code economy.order.placed} payload ({@link OrderPlaced}). Answers null when it was added,
   * else why not: its invalid fields, or that an order with its id is open.
   */
  public String place(JsonObject data) {
    OrderPlaced placed = OrderPlaced.parse(data);
    if (!placed.valid()) {
      return placed.describe();
    }
    return add(placed.commodity(), placed.order()) ? null : "order " + placed.order().id() + " is open already";
  }

  /**
   * Cancels an open order; with an owner, only if the order is that owner's. False when no such order is open
   * (unknown, already filled, expired or cancelled: a cancel is idempotent).
   */
  public boolean cancel(String commodity, String orderId, String owner) {
    OrderBook book = books.get(commodity);
    Order order = book == null || orderId == null ? null : book.get(orderId);
    return order != null && (owner == null || owner.equals(order.owner())) && book.cancel(orderId);
  }

  /** Cancels the order of an {@code economy.order.cancelled} payload ({@code order_id, commodity, owner?}). */
  public boolean cancel(JsonObject data) {
    return cancel(data.getString("commodity"), data.getString("order_id"), data.getString("owner"));
  }

  /**
   * Clears every commodity with open orders for game hour {@code gameHour}, in commodity name order; each clearing
   * price becomes its commodity's next reference price.
   */
  public List<Clearing> clearAll(long gameHour) {
    List<Clearing> out = new ArrayList<>(books.size());
    for (Map.Entry<String, OrderBook> e : books.entrySet()) {
      if (e.getValue().size() == 0) {
        continue;
      }
      Clearing c = CallAuction.clear(e.getKey(), e.getValue(), references.getOrDefault(e.getKey(),
          CallAuction.NO_REFERENCE), gameHour);
      if (c.price() != null) {
        references.put(e.getKey(), c.price());
      }
      out.add(c);
    }
    books.values().removeIf(b -> b.size() == 0);
    return out;
  }

  /** A commodity's reference price in cents (its last clearing price, else its initial one), or null. */
  public Long reference(String commodity) {
    return references.get(commodity);
  }

  /** The summary of a commodity's book (an empty one when it has no open order). */
  public BookSummary summary(String commodity, int levels) {
    OrderBook book = books.get(commodity);
    return (book == null ? new OrderBook() : book).summary(levels);
  }

  /** The open order of a commodity with this id, or null. */
  public Order get(String commodity, String orderId) {
    OrderBook book = books.get(commodity);
    return book == null ? null : book.get(orderId);
  }

  /** The book of a commodity, or null when it has no open order. */
  public OrderBook book(String commodity) {
    return books.get(commodity);
  }

  /** The commodities with open orders, sorted. */
  public Set<String> commodities() {
    return java.util.Collections.unmodifiableSet(books.keySet());
  }

  public int openOrders() {
    return books.values().stream().mapToInt(OrderBook::size).sum();
  }

  /**
   * The whole state as JSON: {@code {"seq": <last arrival number>, "references": {commodity: cents},
   * "books": {commodity: [[id, owner, "BUY"|"SELL", limit cents or null, quantity, remaining, seq,
   * expires_at_hour, auction_only], ...]}}}, orders in arrival order. {@link #restore} of it clears identically.
   */
  public JsonObject snapshot() {
    JsonObject b = new JsonObject();
    books.forEach((commodity, book) -> {
      JsonArray rows = new JsonArray();
      for (Order o : book.orders()) {
        rows.add(new JsonArray().add(o.id()).add(o.owner()).add(o.side().name()).add(o.market() ? null : o.limit())
            .add(o.quantity()).add(o.remaining()).add(o.seq()).add(o.expiresAtHour()).add(o.auctionOnly()));
      }
      b.put(commodity, rows);
    });
    return new JsonObject().put("seq", seq).put("references", new JsonObject(new TreeMap<>(references)))
        .put("books", b);
  }

  /** The market a {@link #snapshot} was taken of. */
  public static Market restore(JsonObject snapshot) {
    Market m = new Market();
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
      if (book.size() > 0) {
        m.books.put(e.getKey(), book);
      }
    });
    return m;
  }
}
