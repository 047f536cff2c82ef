package com.necpgame.mesh.market;

/**
 * A limit order (or a market order: {@link #market}) in a commodity's book. Prices are integer cents, quantities whole
 * units; {@code seq} is the arrival order (time priority). {@code expiresAfterHour} is the last game hour the order
 * takes part in (Long.MAX_VALUE: good till cancelled); an {@code auctionOnly} order is dropped after the next clearing
 * whatever is left of it. {@link #remaining} is what is still open.
 */
public final class Order {

  public enum Side { BUY, SELL }

  final String id;
  final String owner;
  final Side side;
  final boolean market;
  final long limit;
  final long quantity;
  final long seq;
  final long expiresAfterHour;
  final boolean auctionOnly;
  long remaining;

  public Order(String id, String owner, Side side, boolean market, long limit, long quantity, long remaining, long seq,
      long expiresAfterHour, boolean auctionOnly) {
    this.id = id;
    this.owner = owner;
    this.side = side;
    this.market = market;
    this.limit = limit;
    this.quantity = quantity;
    this.remaining = remaining;
    this.seq = seq;
    this.expiresAfterHour = expiresAfterHour;
    this.auctionOnly = auctionOnly;
  }

  /** Whether the order executes at price p. */
  boolean executesAt(long p) {
    return market || (side == Side.BUY ? limit >= p : limit <= p);
  }

  public String id() {
    return id;
  }

  public long remaining() {
    return remaining;
  }
}
