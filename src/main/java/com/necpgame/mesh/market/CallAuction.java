package com.necpgame.mesh.market;

import java.util.ArrayList;
import java.util.List;

/**
 * Uniform-price call auction, as the opening auctions of Xetra, Euronext and the ASX determine their price. Among the
 * limit prices in the book, the clearing price is the one with
 * <ol>
 *   <li>the maximum executable volume (min of demand and supply at that price); among those,</li>
 *   <li>the minimum surplus |demand - supply|; among those,</li>
 *   <li>market pressure: the highest price when every one of them has a buy surplus, the lowest when every one has a
 *   sell surplus; otherwise (surpluses of both signs, or zero)</li>
 *   <li>the reference price (the last clearing price) when it lies between the lowest and the highest of them (every
 *   price there executes the same volume; beyond the outermost limit when only market orders are left on that side,
 *   as Euronext prices a market buy against one limit sell), else the one of them closest to it.</li>
 * </ol>
 * A book whose only executable orders are market orders on both sides clears at the reference price. Executions are
 * allocated in price-time priority on each side ({@link OrderBook#BUY_PRIORITY}); the side with the surplus is
 * rationed in that order, and the partly filled order keeps the rest. Fills pair the two priority lists in order.
 */
public final class CallAuction {

  private CallAuction() {}

  /** The price and its volume and surplus; null price when nothing executes. */
  record Price(Long price, long volume, long surplus) {}

  /** Clears a book at {@code hour}: expires, determines the price, fills, drops auction-only leftovers. */
  public static Clearing clear(String commodity, OrderBook book, long reference, long hour) {
    int expired = book.removeIf(o -> o.expiresAfterHour < hour);
    book.sort();
    Price p = price(book, reference);
    List<Fill> fills = new ArrayList<>();
    if (p.price() != null) {
      fill(book, p.price(), p.volume(), fills);
    }
    book.removeIf(o -> o.remaining == 0);
    int dropped = book.removeIf(o -> o.auctionOnly);
    return new Clearing(commodity, hour, p.price(), p.volume(), p.surplus(), reference,
        fills, expired, dropped);
  }

  /** The clearing price of a sorted book, by the four rules. */
  static Price price(OrderBook book, long reference) {
    List<Order> buys = book.buys;
    List<Order> sells = book.sells;
    long allBuy = 0;
    long allSell = 0;
    for (Order o : buys) {
      allBuy += o.remaining;
    }
    for (Order o : sells) {
      allSell += o.remaining;
    }
    long[] candidates = candidates(buys, sells);
    if (candidates.length == 0) {
      // market orders only (or nothing): they meet at the reference price
      long marketBuy = buys.stream().filter(o -> o.market).mapToLong(o -> o.remaining).sum();
      long marketSell = sells.stream().filter(o -> o.market).mapToLong(o -> o.remaining).sum();
      long volume = Math.min(marketBuy, marketSell);
      return volume == 0 ? new Price(null, 0, allBuy - allSell) : new Price(reference, volume, marketBuy - marketSell);
    }
    // demand(p): buys executing at p (limit >= p), non-increasing in p; supply(p): sells with limit <= p, non-decreasing
    int n = candidates.length;
    long[] demand = new long[n];
    long[] supply = new long[n];
    long marketBuy = 0;
    for (Order o : buys) {
      if (o.market) {
        marketBuy += o.remaining;
      }
    }
    long acc = 0;
    int b = 0;
    while (b < buys.size() && buys.get(b).market) {
      b++;
    }
    for (int i = n - 1; i >= 0; i--) {
      while (b < buys.size() && buys.get(b).limit >= candidates[i]) {
        acc += buys.get(b).remaining;
        b++;
      }
      demand[i] = acc + marketBuy;
    }
    acc = 0;
    int s = 0;
    while (s < sells.size() && sells.get(s).market) {
      acc += sells.get(s).remaining;
      s++;
    }
    for (int i = 0; i < n; i++) {
      while (s < sells.size() && sells.get(s).limit <= candidates[i]) {
        acc += sells.get(s).remaining;
        s++;
      }
      supply[i] = acc;
    }
    long bestVolume = 0;
    for (int i = 0; i < n; i++) {
      bestVolume = Math.max(bestVolume, Math.min(demand[i], supply[i]));
    }
    if (bestVolume == 0) {
      return new Price(null, 0, allBuy - allSell);
    }
    long bestSurplus = Long.MAX_VALUE;
    for (int i = 0; i < n; i++) {
      if (Math.min(demand[i], supply[i]) == bestVolume) {
        bestSurplus = Math.min(bestSurplus, Math.abs(demand[i] - supply[i]));
      }
    }
    int lo = -1;
    int hi = -1;
    boolean allBuySurplus = true;
    boolean allSellSurplus = true;
    for (int i = 0; i < n; i++) {
      if (Math.min(demand[i], supply[i]) == bestVolume && Math.abs(demand[i] - supply[i]) == bestSurplus) {
        lo = lo < 0 ? i : lo;
        hi = i;
        long surplus = demand[i] - supply[i];
        allBuySurplus &= surplus > 0;
        allSellSurplus &= surplus < 0;
      }
    }
    // every price between the tied ones executes the same maximum volume (demand only falls, supply only rises); past
    // the lowest or highest limit, where only market orders are left on one side, the tie may go on without end
    boolean openBelow = lo == 0 && tied(buys, sells, candidates[0] - 1, bestVolume, bestSurplus);
    boolean openAbove = hi == n - 1 && tied(buys, sells, candidates[n - 1] + 1, bestVolume, bestSurplus);
    int chosen;
    if (lo == hi && !openBelow && !openAbove) {
      chosen = lo;
    } else if (allBuySurplus) {
      chosen = hi;
    } else if (allSellSurplus) {
      chosen = lo;
    } else {
      if ((reference > candidates[lo] || openBelow && reference > 0) && (reference < candidates[hi] || openAbove)) {
        return new Price(reference, bestVolume, executable(buys, reference) - executable(sells, reference));
      }
      chosen = reference <= candidates[lo] ? lo : hi;
    }
    return new Price(candidates[chosen], bestVolume, demand[chosen] - supply[chosen]);
  }

  /** Whether price p executes the maximum volume with the minimum surplus too. */
  private static boolean tied(List<Order> buys, List<Order> sells, long p, long volume, long surplus) {
    long d = executable(buys, p);
    long s = executable(sells, p);
    return p > 0 && Math.min(d, s) == volume && Math.abs(d - s) == surplus;
  }

  /** The quantity of one side's orders that execute at price p. */
  private static long executable(List<Order> side, long p) {
    long q = 0;
    for (Order o : side) {
      if (o.executesAt(p)) {
        q += o.remaining;
      }
    }
    return q;
  }

  /** The distinct limit prices of both sides, ascending. */
  private static long[] candidates(List<Order> buys, List<Order> sells) {
    long[] all = new long[buys.size() + sells.size()];
    int n = 0;
    for (Order o : buys) {
      if (!o.market) {
        all[n++] = o.limit;
      }
    }
    for (Order o : sells) {
      if (!o.market) {
        all[n++] = o.limit;
      }
    }
    java.util.Arrays.sort(all, 0, n);
    int distinct = 0;
    for (int i = 0; i < n; i++) {
      if (distinct == 0 || all[distinct - 1] != all[i]) {
        all[distinct++] = all[i];
      }
    }
    return java.util.Arrays.copyOf(all, distinct);
  }

  /** Executes {@code volume} at {@code price}: each side in priority order, fills pairing the two lists in order. */
  private static void fill(OrderBook book, long price, long volume, List<Fill> fills) {
    int b = 0;
    int s = 0;
    long left = volume;
    while (left > 0) {
      Order buy = book.buys.get(b);
      Order sell = book.sells.get(s);
      long q = Math.min(left, Math.min(buy.remaining, sell.remaining));
      fills.add(new Fill(buy.id, sell.id, buy.owner, sell.owner, q, price));
      buy.remaining -= q;
      sell.remaining -= q;
      left -= q;
      if (buy.remaining == 0) {
        b++;
      }
      if (sell.remaining == 0) {
        s++;
      }
    }
  }
}
