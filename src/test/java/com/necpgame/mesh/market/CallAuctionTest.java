package com.necpgame.mesh.market;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The clearing rules on worked examples and on cases of our own for each tie rule and each edge. Prices in the tests
 * are cents.
 */
class CallAuctionTest {

  private static final String C = "ore";

  /** A one-commodity market with a reference price (or none). */
  private static Market market(Long reference) {
    return reference == null ? new Market() : new Market(Map.of(C, reference));
  }

  private static void buy(Market m, String id, long limit, long quantity) {
    assertTrue(m.add(C, Order.limit(id, id, Order.Side.BUY, limit, quantity)));
  }

  private static void sell(Market m, String id, long limit, long quantity) {
    assertTrue(m.add(C, Order.limit(id, id, Order.Side.SELL, limit, quantity)));
  }

  private static void buyMarket(Market m, String id, long quantity) {
    assertTrue(m.add(C, Order.market(id, id, Order.Side.BUY, quantity)));
  }

  private static void sellMarket(Market m, String id, long quantity) {
    assertTrue(m.add(C, Order.market(id, id, Order.Side.SELL, quantity)));
  }

  private static Clearing clear(Market m, long hour) {
    List<Clearing> all = m.clearAll(hour);
    assertEquals(1, all.size());
    return all.get(0);
  }

  /** Executed quantity per order id, in first-fill order. */
  private static Map<String, Long> executed(Clearing c) {
    Map<String, Long> out = new LinkedHashMap<>();
    for (Fill f : c.fills()) {
      out.merge(f.buyOrderId(), f.quantity(), Long::sum);
      out.merge(f.sellOrderId(), f.quantity(), Long::sum);
    }
    return out;
  }

  private static List<String> fills(Clearing c) {
    return c.fills().stream().map(f -> f.buyOrderId() + "-" + f.sellOrderId() + " " + f.quantity() + "@" + f.price())
        .toList();
  }

  /**
   * Call phase, Examples 3-5 and the indicative price scenarios: a market buy of 40 against a limit sell of 40 at
   * 9.98 matches at the reference 10 (every price from 9.98 up clears it); against 41 at 9.98 at the limit (sell
   * surplus); against 40 at 10.02 at the limit (the closest to the reference); a market buy of 80 against 40 at
   * 10.02 and 40 at 10.04 at 10.04 (most volume); a market sell of 80 against buys of 40 at 9.98 and 40 at 9.96 at
   * 9.96.
   */
  @Test
  void euronextCallPhaseExamples3To5AndIndicativePrices() {
    record Case(long[][] orders, long price) {} // {side (1 buy), limit or 0 for market, quantity}
    for (Case k : List.of(
        new Case(new long[][] {{1, 0, 40}, {0, 998, 40}}, 1_000),
        new Case(new long[][] {{1, 0, 40}, {0, 998, 41}}, 998),
        new Case(new long[][] {{1, 0, 40}, {0, 1_002, 40}}, 1_002),
        new Case(new long[][] {{1, 0, 80}, {0, 1_002, 40}, {0, 1_004, 40}}, 1_004),
        new Case(new long[][] {{1, 998, 40}, {1, 996, 40}, {0, 0, 80}}, 996))) {
      Market m = market(1_000L);
      for (int i = 0; i < k.orders().length; i++) {
        long[] o = k.orders()[i];
        Order.Side side = o[0] == 1 ? Order.Side.BUY : Order.Side.SELL;
        m.add(C, o[1] == 0 ? Order.market("o" + i, "x", side, o[2]) : Order.limit("o" + i, "x", side, o[1], o[2]));
      }
      assertEquals(k.price(), clear(m, 1).price(), java.util.Arrays.deepToString(k.orders()));
    }
  }

  /**
   * Not an exchange's document: the worked example of github.com/msilb/auction-order-matching (README, "Example").
   * Auction price 103, volume 3,700, B3 partly executed (1,100 of 1,800), S1-S4 fully.
   */
  @Test
  void publicWorkedExampleClearsAt103For3700() {
    Market m = market(10_000L);
    buy(m, "B1", 10_450, 100);
    buy(m, "B2", 10_450, 2_500);
    buy(m, "B3", 10_300, 1_800);
    buy(m, "B4", 10_250, 500);
    buy(m, "B5", 10_250, 800);
    buy(m, "B6", 9_950, 1_500);
    sell(m, "S1", 10_050, 600);
    sell(m, "S2", 10_050, 400);
    sell(m, "S3", 10_200, 1_500);
    sell(m, "S4", 10_300, 1_200);
    sell(m, "S5", 10_450, 700);
    Clearing c = clear(m, 1);
    assertEquals(10_300L, c.price());
    assertEquals(3_700, c.volume());
    assertEquals(700, c.imbalance(), "demand 4,400 against supply 3,700 at 103");
    assertEquals(Map.of("B1", 100L, "B2", 2_500L, "B3", 1_100L, "S1", 600L, "S2", 400L, "S3", 1_500L, "S4", 1_200L),
        Map.copyOf(executed(c)));
    assertEquals(700, m.get(C, "B3").remaining(), "the rest of B3 is carried over");
    assertEquals(10_300L, m.reference(C), "the price is the next reference");
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Each tie rule, on books of our own.
  // ---------------------------------------------------------------------------------------------------------------

  @Test
  void rule2MinimumSurplusBreaksAVolumeTie() {
    Market m = market(1_000L);
    buy(m, "b1", 1_100, 200);
    buy(m, "b2", 1_000, 50);
    sell(m, "s1", 1_000, 200);
    sell(m, "s2", 1_100, 100);
    Clearing c = clear(m, 1); // at 10: 250 vs 200 (surplus 50); at 11: 200 vs 300 (surplus 100)
    assertEquals(1_000L, c.price());
    assertEquals(200, c.volume());
    assertEquals(50, c.imbalance());
  }

  @Test
  void rule3MarketPressureTakesTheHighestOnABuySurplusAndTheLowestOnASellSurplus() {
    Market up = market(1_000L);
    buy(up, "b1", 1_200, 300);
    sell(up, "s1", 1_000, 100);
    sell(up, "s2", 1_100, 100);
    Clearing c = clear(up, 1); // 11 and 12 both execute 200 with a buy surplus of 100
    assertEquals(1_200L, c.price());
    assertEquals(200, c.volume());

    Market down = market(1_200L);
    sell(down, "s1", 1_000, 300);
    buy(down, "b1", 1_200, 100);
    buy(down, "b2", 1_100, 100);
    c = clear(down, 1); // 10 and 11 both execute 200 with a sell surplus of 100
    assertEquals(1_000L, c.price());
  }

  @Test
  void rule4TheReferencePriceDecidesWhenSurplusesDisagree() {
    // {reference, expected}: inside the range it is the price; outside, the closest limit; none, the lowest limit
    for (Long[] k : new Long[][] {{1_050L, 1_050L}, {900L, 1_000L}, {1_500L, 1_100L}, {1_000L, 1_000L},
        {null, 1_000L}}) {
      Market m = market(k[0]);
      buy(m, "b1", 1_100, 200);
      buy(m, "b2", 1_000, 100);
      sell(m, "s1", 1_000, 200);
      sell(m, "s2", 1_100, 100);
      // at 10: 300 vs 200 (+100); at 11: 200 vs 300 (-100): volume 200 and surplus 100 at both
      Clearing c = clear(m, 1);
      assertEquals(k[1], c.price(), "reference " + k[0]);
      assertEquals(200, c.volume());
      assertEquals(k[0], c.referencePrice());
    }
  }

  @Test
  void rule4WithNoSurplusAndTheImbalanceAtAReferenceBetweenTheLimits() {
    Market m = market(1_050L);
    buy(m, "b1", 1_100, 100);
    sell(m, "s1", 1_000, 100);
    Clearing c = clear(m, 1); // 10 and 11 both execute 100 with no surplus
    assertEquals(1_050L, c.price());
    assertEquals(0, c.imbalance());
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Edges.
  // ---------------------------------------------------------------------------------------------------------------

  @Test
  void noPriceForAnEmptyOneSidedOrUncrossedBook() {
    Market m = market(1_000L);
    assertEquals(List.of(), m.clearAll(1), "nothing to clear");
    buy(m, "b1", 1_000, 5);
    Clearing one = clear(m, 2);
    assertNull(one.price());
    assertEquals(0, one.volume());
    assertEquals(5, one.imbalance());
    assertEquals(List.of(), one.fills());
    sell(m, "s1", 1_100, 7);
    Clearing uncrossed = clear(m, 3);
    assertNull(uncrossed.price());
    assertEquals(-2, uncrossed.imbalance());
    assertEquals(2, m.openOrders(), "both stay in the book");
    assertEquals(1_000L, m.reference(C), "no clearing, no new reference");
  }

  @Test
  void marketOrdersOnOneSideOnlyDoNotClear() {
    Market m = market(1_000L);
    buyMarket(m, "b1", 10);
    buy(m, "b2", 1_100, 10);
    Clearing c = clear(m, 1);
    assertNull(c.price());
    assertEquals(20, c.imbalance());
    assertEquals(2, m.openOrders());
  }

  @Test
  void marketOrdersAloneNeedAReferencePrice() {
    Market none = market(null);
    buyMarket(none, "b1", 10);
    sellMarket(none, "s1", 10);
    Clearing c = clear(none, 1);
    assertNull(c.price(), "no reference, no price: the market orders wait");
    assertEquals(2, none.openOrders());
  }

  @Test
  void marketOrdersExecuteFirstAndMeetAtTheReferenceWhenAlone() {
    Market m = market(777L);
    buyMarket(m, "b1", 10);
    sellMarket(m, "s1", 4);
    Clearing c = clear(m, 1);
    assertEquals(777L, c.price());
    assertEquals(4, c.volume());
    assertEquals(6, m.get(C, "b1").remaining());

    sell(m, "s2", 800, 3);
    buy(m, "b2", 900, 1);
    c = clear(m, 2); // 8 and 9 both execute 3 with a buy surplus of 4: market pressure takes 9
    assertEquals(900L, c.price());
    assertEquals(3, c.volume());
    assertEquals(Map.of("b1", 3L, "s2", 3L), Map.copyOf(executed(c)), "the market buy comes before the limit buy");
  }

  @Test
  void timePriorityRationsTheSurplusSideAndTheRestIsCarriedOverInPriority() {
    Market m = market(1_000L);
    buy(m, "b1", 1_000, 50);
    buy(m, "b2", 1_000, 50);
    buy(m, "b3", 1_000, 50);
    sell(m, "s1", 1_000, 80);
    Clearing c = clear(m, 1);
    assertEquals(List.of("b1-s1 50@1000", "b2-s1 30@1000"), fills(c));
    assertEquals(20, m.get(C, "b2").remaining());
    assertEquals(50, m.get(C, "b3").remaining());

    buy(m, "b4", 1_000, 50); // later than the carried-over orders
    sell(m, "s2", 1_000, 30);
    c = clear(m, 2);
    assertEquals(List.of("b2-s2 20@1000", "b3-s2 10@1000"), fills(c), "b2's rest keeps its place");
    assertEquals(40, m.get(C, "b3").remaining());
    assertEquals(50, m.get(C, "b4").remaining());
  }

  @Test
  void betterLimitsExecuteBeforeEarlierOnes() {
    Market m = market(1_000L);
    buy(m, "b1", 1_000, 50);
    buy(m, "b2", 1_200, 50);
    sell(m, "s1", 1_100, 10);
    sell(m, "s2", 900, 40);
    Clearing c = clear(m, 1); // at 10: 100 vs 40; at 11: 50 vs 50; at 12: 50 vs 50
    assertEquals(50, c.volume());
    assertEquals(List.of("b2-s2 40@1100", "b2-s1 10@1100"), fills(c));
  }

  @Test
  void expiredOrdersAreDroppedBeforeAndAuctionOnlyLeftoversAfter() {
    Market m = market(1_000L);
    m.add(C, Order.limit("b1", "o", Order.Side.BUY, 1_000, 10).untilHour(4));
    m.add(C, Order.limit("b2", "o", Order.Side.BUY, 1_000, 10).thisAuctionOnly());
    m.add(C, Order.limit("b3", "o", Order.Side.BUY, 900, 10).untilHour(5));
    sell(m, "s1", 1_000, 5);
    Clearing c = clear(m, 5);
    assertEquals(List.of("b1"), c.expired().stream().map(Order::id).toList(), "gth:4 is over at hour 5");
    assertEquals(Map.of("b2", 5L, "s1", 5L), Map.copyOf(executed(c)));
    assertEquals(List.of("b2"), c.dropped().stream().map(Order::id).toList(), "the rest of the auction-only order");
    assertEquals(5, c.dropped().get(0).remaining());
    assertEquals(1, m.openOrders(), "gth:5 still takes part at hour 5");
    assertEquals(1, clear(m, 6).ordersExpired());
    assertEquals(0, m.openOrders());
  }

  @Test
  void anAuctionOnlyOrderThatDoesNotExecuteIsDroppedWhole() {
    Market m = market(1_000L);
    m.add(C, Order.limit("b1", "o", Order.Side.BUY, 900, 10).thisAuctionOnly());
    sell(m, "s1", 1_000, 5);
    Clearing c = clear(m, 1);
    assertNull(c.price());
    assertEquals(1, c.ordersDropped());
    assertEquals(10, c.dropped().get(0).remaining());
    assertEquals(1, m.openOrders());
  }

  @Test
  void cancelledOrdersTakeNoPart() {
    Market m = market(1_000L);
    buy(m, "b1", 1_100, 10);
    buy(m, "b2", 1_000, 10);
    sell(m, "s1", 1_000, 10);
    assertTrue(m.cancel(C, "b1", "b1"));
    Clearing c = clear(m, 1);
    assertEquals(List.of("b2-s1 10@1000"), fills(c));
  }
}
