package com.necpgame.mesh.market;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Uniform-price call auction, as the opening auctions of Xetra, Euronext and the ASX determine their price. The
 * candidates are the limit prices in the book; the clearing price is the one with
 * <ol>
 *   <li>the maximum executable volume, min(demand, supply), where demand at p is every market buy and every buy
 *   limited at p or above, supply every market sell and every sell limited at p or below; among those,</li>
 *   <li>the minimum surplus |demand - supply|; among those,</li>
 *   <li>market pressure: the highest when every one of them has a buy surplus, the lowest when every one has a sell
 *   surplus; otherwise (surpluses of both signs, or none)</li>
 *   <li>the reference price (the last clearing price) when it lies between the lowest and the highest of them (every
 *   price there executes the same volume; the range goes on past the outermost limit when only market orders are
 *   left beyond it, as Euronext prices a market buy against one limit sell), else the one of them closest to it.
 *   Without a reference price ({@link #NO_REFERENCE}: the commodity never cleared and has none configured), the
 *   lowest of them.</li>
 * </ol>
 * A book whose only executable orders are market orders on both sides clears at the reference price (and not at all
 * without one). Executions are allocated in price-time priority on each side: market orders first, then the better
 * limit, then the earlier order; the side with the surplus is rationed in that order and its last executed order may
 * be partly filled, keeping the rest. Fills pair the two priority lists in order, so they are deterministic.
 */
public final class CallAuction {

  /** The reference price of a commodity that has none. Real prices are at least one cent. */
  public static final long NO_REFERENCE = 0;

  private CallAuction() {}

  /** A determined price (0: none), its volume and its imbalance (demand minus supply there). */
  record Price(long price, long volume, long imbalance) {}

  /** The distinct limit prices of a book, ascending, and each slot's place among them (market orders: -1). */
  record Limits(long[] prices, int count, int[] at) {

    static Limits of(OrderBook book) {
      long[] prices = new long[book.live];
      int m = 0;
      for (int i = 0; i < book.size; i++) {
        if ((book.flags[i] & (OrderBook.DEAD | OrderBook.MARKET)) == 0) {
          prices[m++] = book.limits[i];
        }
      }
      int n = OrderBook.distinct(prices, m);
      int[] at = new int[book.size];
      for (int i = 0; i < book.size; i++) {
        at[i] = (book.flags[i] & (OrderBook.DEAD | OrderBook.MARKET)) == 0
            ? Arrays.binarySearch(prices, 0, n, book.limits[i]) : -1;
      }
      return new Limits(prices, n, at);
    }
  }

  /**
   * Clears a book at game hour {@code hour}: drops the orders that expired before it, determines the price, fills,
   * removes the filled orders and drops what is left of the auction-only ones.
   */
  public static Clearing clear(String commodity, OrderBook book, long reference, long hour) {
    List<Order> expired = new ArrayList<>(0);
    for (int i = 0; i < book.size; i++) {
      if ((book.flags[i] & OrderBook.DEAD) == 0 && book.expires[i] < hour) {
        expired.add(book.order(i));
        book.kill(i);
      }
    }
    Limits limits = Limits.of(book);
    Price p = price(book, limits, reference);
    List<Fill> fills = p.volume() == 0 ? List.of() : fill(book, limits, p.price(), p.volume());
    List<Order> dropped = new ArrayList<>(0);
    for (int i = 0; i < book.size; i++) {
      int f = book.flags[i];
      if ((f & OrderBook.DEAD) != 0) {
        continue;
      }
      if (book.remaining[i] == 0) {
        book.kill(i);
      } else if ((f & OrderBook.AUCTION_ONLY) != 0) {
        dropped.add(book.order(i));
        book.kill(i);
      }
    }
    book.compact();
    return new Clearing(commodity, hour, p.volume() == 0 ? null : p.price(), p.volume(), p.imbalance(),
        reference == NO_REFERENCE ? null : reference, fills, expired, dropped);
  }

  /** The clearing price of a book by the four rules; price 0 and volume 0 when nothing executes. */
  static Price price(OrderBook book, Limits limits, long reference) {
    long[] prices = limits.prices();
    int n = limits.count();
    // demand[i] / supply[i]: the quantity executable at prices[i], built from the quantity limited at each price
    long[] demand = new long[n];
    long[] supply = new long[n];
    long marketBuy = 0;
    long marketSell = 0;
    for (int i = 0; i < book.size; i++) {
      int f = book.flags[i];
      if ((f & OrderBook.DEAD) != 0) {
        continue;
      }
      long q = book.remaining[i];
      boolean buy = (f & OrderBook.BUY) != 0;
      if ((f & OrderBook.MARKET) != 0) {
        if (buy) {
          marketBuy += q;
        } else {
          marketSell += q;
        }
      } else {
        (buy ? demand : supply)[limits.at()[i]] += q;
      }
    }
    long allBuy = marketBuy;
    for (int i = n - 1; i >= 0; i--) {
      allBuy += demand[i];
      demand[i] = allBuy;
    }
    long allSell = marketSell;
    for (int i = 0; i < n; i++) {
      allSell += supply[i];
      supply[i] = allSell;
    }
    if (n == 0) {
      long volume = Math.min(marketBuy, marketSell);
      return volume == 0 || reference == NO_REFERENCE ? new Price(0, 0, allBuy - allSell)
          : new Price(reference, volume, marketBuy - marketSell);
    }
    // rule 1
    long volume = 0;
    for (int i = 0; i < n; i++) {
      volume = Math.max(volume, Math.min(demand[i], supply[i]));
    }
    if (volume == 0) {
      return new Price(0, 0, allBuy - allSell);
    }
    // rule 2
    long surplus = Long.MAX_VALUE;
    for (int i = 0; i < n; i++) {
      if (Math.min(demand[i], supply[i]) == volume) {
        surplus = Math.min(surplus, Math.abs(demand[i] - supply[i]));
      }
    }
    int lo = -1;
    int hi = -1;
    boolean allBuySurplus = true;
    boolean allSellSurplus = true;
    for (int i = 0; i < n; i++) {
      if (Math.min(demand[i], supply[i]) == volume && Math.abs(demand[i] - supply[i]) == surplus) {
        lo = lo < 0 ? i : lo;
        hi = i;
        allBuySurplus &= demand[i] > supply[i];
        allSellSurplus &= demand[i] < supply[i];
      }
    }
    // Every price between two tied limits executes the same volume (demand only falls, supply only rises). Below the
    // lowest limit only market sells execute against every buy, above the highest only market buys against every
    // sell: when that ties too, the range goes on past the limit.
    boolean openBelow = lo == 0 && prices[0] > 1 && ties(allBuy, marketSell, volume, surplus);
    boolean openAbove = hi == n - 1 && ties(marketBuy, allSell, volume, surplus);
    int chosen;
    if (lo == hi && !openBelow && !openAbove) {
      chosen = lo;
    } else if (allBuySurplus) { // rule 3
      chosen = hi;
    } else if (allSellSurplus) {
      chosen = lo;
    } else if (reference == NO_REFERENCE) { // rule 4
      chosen = lo;
    } else if ((reference > prices[lo] || openBelow) && (reference < prices[hi] || openAbove)) {
      int at = Arrays.binarySearch(prices, 0, n, reference);
      int above = at >= 0 ? at : -at - 1; // first limit at or above the reference
      int below = at >= 0 ? at : above - 1; // last limit at or below it
      long d = above < n ? demand[above] : marketBuy;
      long s = below >= 0 ? supply[below] : marketSell;
      return new Price(reference, volume, d - s);
    } else {
      chosen = reference <= prices[lo] ? lo : hi;
    }
    return new Price(prices[chosen], volume, demand[chosen] - supply[chosen]);
  }

  private static boolean ties(long demand, long supply, long volume, long surplus) {
    return Math.min(demand, supply) == volume && Math.abs(demand - supply) == surplus;
  }

  /**
   * Executes {@code volume} at {@code price}: the orders of each side that execute there, in priority order
   * ({@link OrderBook#priority}), fills pairing the two lists in order.
   */
  private static List<Fill> fill(OrderBook book, Limits limits, long price, long volume) {
    int[] buys = book.priority(limits, true, price);
    int[] sells = book.priority(limits, false, price);
    List<Fill> fills = new ArrayList<>();
    long[] remaining = book.remaining;
    int b = 0;
    int s = 0;
    long left = volume;
    while (left > 0) {
      int buy = buys[b];
      int sell = sells[s];
      long q = Math.min(left, Math.min(remaining[buy], remaining[sell]));
      fills.add(new Fill(book.ids[buy], book.ids[sell], book.owners[buy], book.owners[sell], q, price));
      remaining[buy] -= q;
      remaining[sell] -= q;
      left -= q;
      if (remaining[buy] == 0) {
        b++;
      }
      if (remaining[sell] == 0) {
        s++;
      }
    }
    return fills;
  }
}
