package com.necpgame.mesh.market;

import io.vertx.core.json.JsonObject;

/**
 * An order of one commodity's book, as a value: a limit order, or a market order ({@link #market}: no limit, it
 * executes at any price and before every limit order). Prices are integer cents, quantities whole units.
 *
 * <ul>
 *   <li>{@code seq}: arrival order (time priority), given by {@link Market#add}; the same calls give the same seqs.</li>
 *   <li>{@code expiresAtHour}: the last game hour whose clearing the order takes part in ({@link #GTC}: good till
 *   cancelled); at a clearing of a later hour it is dropped first, as expired.</li>
 *   <li>{@code auctionOnly}: the order takes part in the next clearing only; what is left of it is dropped after.</li>
 *   <li>{@code remaining}: what is still open (the quantity less what was filled).</li>
 * </ul>
 *
 * Build one with {@link #limit} or {@link #market}, then {@link #untilHour} or {@link #thisAuctionOnly} for another time
 * in force; on the wire the time in force is {@code gtc}, {@code gth:<hour>} or {@code auction}
 * ({@link #timeInForce()}).
 */
public record Order(String id, String owner, Side side, boolean market, long limit, long quantity, long remaining,
    long seq, long expiresAtHour, boolean auctionOnly) {

  public enum Side { BUY, SELL }

  /** {@link #expiresAtHour} of an order good till cancelled. */
  public static final long GTC = Long.MAX_VALUE;

  public Order {
    if (id == null || id.isEmpty() || owner == null || side == null) {
      throw new IllegalArgumentException("an order needs an id, an owner and a side");
    }
    if (quantity <= 0 || remaining < 0 || remaining > quantity || (!market && limit <= 0)) {
      throw new IllegalArgumentException("order " + id + ": quantity and limit must be positive, remaining within it");
    }
    limit = market ? 0 : limit;
  }

  /** A limit order good till cancelled; {@code limit} in cents. */
  public static Order limit(String id, String owner, Side side, long limit, long quantity) {
    return new Order(id, owner, side, false, limit, quantity, quantity, 0, GTC, false);
  }

  /** A market order good till cancelled. */
  public static Order market(String id, String owner, Side side, long quantity) {
    return new Order(id, owner, side, true, 0, quantity, quantity, 0, GTC, false);
  }

  /** This order, valid until the clearing of game hour {@code hour} inclusive ({@code gth:<hour>}). */
  public Order untilHour(long hour) {
    return new Order(id, owner, side, market, limit, quantity, remaining, seq, hour, false);
  }

  /** This order, for the next clearing only ({@code auction}). */
  public Order thisAuctionOnly() {
    return new Order(id, owner, side, market, limit, quantity, remaining, seq, GTC, true);
  }

  Order withSeq(long s) {
    return new Order(id, owner, side, market, limit, quantity, remaining, s, expiresAtHour, auctionOnly);
  }

  public boolean buy() {
    return side == Side.BUY;
  }

  /** What of it has executed so far. */
  public long filled() {
    return quantity - remaining;
  }

  /** {@code gtc}, {@code gth:<hour>} or {@code auction}. */
  public String timeInForce() {
    return auctionOnly ? "auction" : expiresAtHour == GTC ? "gtc" : "gth:" + expiresAtHour;
  }

  /** The data of {@code economy.order.placed} for this order; a market order has no {@code limit_price}. */
  public JsonObject toPlacedJson(String commodity) {
    JsonObject data = new JsonObject().put("order_id", id).put("commodity", commodity)
        .put("side", side.name().toLowerCase(java.util.Locale.ROOT)).put("quantity", quantity).put("owner", owner)
        .put("time_in_force", timeInForce());
    return market ? data : data.put("limit_price", Prices.toDecimal(limit));
  }

  /** The data of {@code economy.order.cancelled} for this order (e.g. reason {@code expired}). */
  public JsonObject toCancelledJson(String commodity, String reason) {
    return new JsonObject().put("order_id", id).put("commodity", commodity).put("owner", owner).put("reason", reason);
  }
}
