package com.necpgame.mesh.market;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The open orders of one commodity, stored as parallel primitive arrays (one slot per order, in arrival order), so a
 * clearing of a million orders reads arrays and sorts longs instead of chasing objects. {@link Order} values are made
 * only at the edges ({@link #get}, {@link #orders}). Removed orders leave dead slots that the next clearing (or a
 * cancel, once they outnumber the live ones) squeezes out; slots stay in arrival order, so a slot's place is its
 * time priority and an id is found by binary search on {@code seq}.
 *
 * <p>Add and cancel through {@link Market} (which gives each order its arrival number); {@link #summary} shows the
 * book. Not thread-safe: one owner thread, as the market's loop.
 */
public final class OrderBook {

  static final byte BUY = 1;
  static final byte MARKET = 2;
  static final byte AUCTION_ONLY = 4;
  static final byte DEAD = 8;

  int size;
  int live;
  String[] ids = new String[4];
  String[] owners = new String[4];
  long[] limits = new long[4];
  long[] quantities = new long[4];
  long[] remaining = new long[4];
  long[] seqs = new long[4];
  long[] expires = new long[4];
  byte[] flags = new byte[4];
  /** id -> seq of the open orders; a seq never changes, so compaction leaves this map alone. */
  private final Map<String, Long> seqById = new HashMap<>();

  /**
   * Adds an order as it is (its seq must be above every seq in the book); false, and nothing changes, when an order
   * with its id is open already (a duplicate event).
   */
  boolean add(Order o) {
    if (size > 0 && o.seq() <= seqs[size - 1]) {
      throw new IllegalArgumentException("order " + o.id() + " has seq " + o.seq() + ", not after " + seqs[size - 1]);
    }
    if (seqById.putIfAbsent(o.id(), o.seq()) != null) {
      return false;
    }
    if (size == ids.length) {
      grow(size * 2);
    }
    int i = size++;
    ids[i] = o.id();
    owners[i] = o.owner();
    limits[i] = o.limit();
    quantities[i] = o.quantity();
    remaining[i] = o.remaining();
    seqs[i] = o.seq();
    expires[i] = o.expiresAtHour();
    flags[i] = (byte) ((o.buy() ? BUY : 0) | (o.market() ? MARKET : 0) | (o.auctionOnly() ? AUCTION_ONLY : 0));
    live++;
    return true;
  }

  /** Removes an open order; false when none with that id is open (unknown, filled, expired, cancelled). */
  boolean cancel(String id) {
    int slot = slotOf(id);
    if (slot < 0) {
      return false;
    }
    kill(slot);
    if (size - live > live && size > 64) {
      compact();
    }
    return true;
  }

  /** The open order with this id, or null. */
  public Order get(String id) {
    int slot = slotOf(id);
    return slot < 0 ? null : order(slot);
  }

  /** Number of open orders. */
  public int size() {
    return live;
  }

  /** The open orders in arrival order. */
  public List<Order> orders() {
    List<Order> out = new ArrayList<>(live);
    for (int i = 0; i < size; i++) {
      if ((flags[i] & DEAD) == 0) {
        out.add(order(i));
      }
    }
    return out;
  }

  /** Best prices, counts, totals and the first {@code levels} price levels of each side (market orders first). */
  public BookSummary summary(int levels) {
    CallAuction.Limits limits = CallAuction.Limits.of(this);
    int[] buys = priority(limits, true, 0); // every order of the side: each buy executes at 0, each sell at MAX
    int[] sells = priority(limits, false, Long.MAX_VALUE);
    return new BookSummary(best(buys), best(sells), buys.length, sells.length, total(buys), total(sells),
        levels(buys, levels), levels(sells, levels));
  }

  private Long best(int[] side) {
    for (int slot : side) {
      if ((flags[slot] & MARKET) == 0) {
        return limits[slot];
      }
    }
    return null;
  }

  private long total(int[] side) {
    long sum = 0;
    for (int slot : side) {
      sum += remaining[slot];
    }
    return sum;
  }

  private List<BookSummary.Level> levels(int[] side, int max) {
    List<BookSummary.Level> out = new ArrayList<>();
    int i = 0;
    while (i < side.length && out.size() < max) {
      boolean market = (flags[side[i]] & MARKET) != 0;
      long price = limits[side[i]];
      long quantity = 0;
      int orders = 0;
      while (i < side.length && ((flags[side[i]] & MARKET) != 0) == market && limits[side[i]] == price) {
        quantity += remaining[side[i]];
        orders++;
        i++;
      }
      out.add(new BookSummary.Level(market ? null : price, quantity, orders));
    }
    return out;
  }

  /**
   * The live slots of one side that execute at {@code price} (a buy limited at or above it, a sell at or below it,
   * every market order) in priority order: market orders first, then the better limit (higher for buys, lower for
   * sells), then the earlier. One sort of packed longs, {@code rank << 32 | slot}, where rank 0 is a market order and
   * then the limit's place among the book's distinct {@code limits}, better first; as slots are in arrival order, the
   * slot breaks ties by time. The book's summary and a clearing's fills ({@link CallAuction}) both read this order.
   */
  int[] priority(CallAuction.Limits limits, boolean buy, long price) {
    long[] keys = new long[live];
    int k = 0;
    for (int i = 0; i < size; i++) {
      int f = flags[i];
      int at = limits.at()[i];
      if ((f & DEAD) == 0 && ((f & BUY) != 0) == buy
          && (at < 0 || (buy ? limits.prices()[at] >= price : limits.prices()[at] <= price))) {
        long rank = at < 0 ? 0 : buy ? limits.count() - at : at + 1;
        keys[k++] = rank << 32 | i;
      }
    }
    Arrays.sort(keys, 0, k);
    return Arrays.stream(keys, 0, k).mapToInt(key -> (int) key).toArray();
  }

  /** Sorts the first n values and moves the distinct ones to the front; answers how many there are. */
  static int distinct(long[] values, int n) {
    Arrays.sort(values, 0, n);
    int d = 0;
    for (int i = 0; i < n; i++) {
      if (d == 0 || values[d - 1] != values[i]) {
        values[d++] = values[i];
      }
    }
    return d;
  }

  /** Marks a slot dead and forgets its id; the slot stays until {@link #compact}. */
  void kill(int slot) {
    flags[slot] |= DEAD;
    seqById.remove(ids[slot]);
    live--;
  }

  /** Squeezes out dead slots, keeping arrival order. */
  void compact() {
    int j = 0;
    for (int i = 0; i < size; i++) {
      if ((flags[i] & DEAD) != 0) {
        continue;
      }
      if (i != j) {
        ids[j] = ids[i];
        owners[j] = owners[i];
        limits[j] = limits[i];
        quantities[j] = quantities[i];
        remaining[j] = remaining[i];
        seqs[j] = seqs[i];
        expires[j] = expires[i];
        flags[j] = flags[i];
      }
      j++;
    }
    Arrays.fill(ids, j, size, null);
    Arrays.fill(owners, j, size, null);
    size = j;
    if (ids.length > 64 && size < ids.length / 4) {
      grow(Math.max(64, size * 2));
    }
  }

  private void grow(int capacity) {
    ids = Arrays.copyOf(ids, capacity);
    owners = Arrays.copyOf(owners, capacity);
    limits = Arrays.copyOf(limits, capacity);
    quantities = Arrays.copyOf(quantities, capacity);
    remaining = Arrays.copyOf(remaining, capacity);
    seqs = Arrays.copyOf(seqs, capacity);
    expires = Arrays.copyOf(expires, capacity);
    flags = Arrays.copyOf(flags, capacity);
  }

  private int slotOf(String id) {
    Long seq = seqById.get(id);
    if (seq == null) {
      return -1;
    }
    int slot = Arrays.binarySearch(seqs, 0, size, seq);
    if (slot < 0 || (flags[slot] & DEAD) != 0) {
      throw new IllegalStateException("order " + id + " is indexed but has no live slot");
    }
    return slot;
  }

  Order order(int slot) {
    int f = flags[slot];
    return new Order(ids[slot], owners[slot], (f & BUY) != 0 ? Order.Side.BUY : Order.Side.SELL, (f & MARKET) != 0,
        limits[slot], quantities[slot], remaining[slot], seqs[slot], expires[slot], (f & AUCTION_ONLY) != 0);
  }
}
