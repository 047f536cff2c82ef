package com.necpgame.mesh.market;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The clearing rules, first on worked examples published for real exchanges' auctions (golden cases: their numbers,
 * their answers), then on cases of our own for each tie rule and each edge. Prices in the tests are cents.
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

  /** The price the book would clear at now (the indicative price), leaving the market as it is. */
  private static Long indicative(Market m) {
    return clear(Market.restore(m.snapshot()), 1).price();
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

  // ---------------------------------------------------------------------------------------------------------------
  // Golden cases: Deutsche Börse Xetra. Source: "Xetra Market Model Equities" (Deutsche Börse AG), the examples of
  // auction price determination (Examples 1-3 and 6). The PDF itself could not be reached from here; the order books
  // and answers are as transcribed, with the document's wording, in github.com/ratzlow/tinyEXCH,
  // src/test/java/net/tinyexch/ob/match/AuctionMatchTest.java. Prices in euros. The document's Examples 4 and 5
  // (reference price with surpluses on both sides / none) are left out: the transcription's books give answers (ref
  // 200 -> 199 and 201) that contradict the rule text it quotes ("either equals the reference price or ... the limit
  // nearest to it"), so they could not be checked against the document.
  // ---------------------------------------------------------------------------------------------------------------

  /** Xetra Example 1: exactly one limit with the highest executable volume and the lowest surplus: 200. */
  @Test
  void xetraExample1ClearsAtTheOnePriceWithMaximumVolume() {
    Market m = market(null);
    buy(m, "b1", 20_200, 200);
    buy(m, "b2", 20_100, 200);
    buy(m, "b3", 20_000, 300);
    sell(m, "s1", 20_000, 100);
    sell(m, "s2", 19_800, 200);
    sell(m, "s3", 19_700, 400);
    Clearing c = clear(m, 1);
    assertEquals(20_000L, c.price());
    assertEquals(700, c.volume());
    assertEquals(0, c.imbalance());
    assertEquals(0, m.openOrders(), "everything executed");
  }

  /** Xetra Example 2: several limits, surplus on the bid side at all of them: the highest, 201. */
  @Test
  void xetraExample2BuySurplusTakesTheHighestLimit() {
    Market m = market(null);
    buy(m, "b1", 20_200, 400);
    buy(m, "b2", 20_100, 200);
    sell(m, "s1", 19_900, 300);
    sell(m, "s2", 19_800, 200);
    Clearing c = clear(m, 1);
    assertEquals(20_100L, c.price());
    assertEquals(500, c.volume());
    assertEquals(100, c.imbalance(), "bid surplus 100");
  }

  /** Xetra Example 3: several limits, surplus on the ask side at all of them: the lowest, 199. */
  @Test
  void xetraExample3SellSurplusTakesTheLowestLimit() {
    Market m = market(null);
    buy(m, "b1", 20_200, 300);
    buy(m, "b2", 20_100, 200);
    sell(m, "s1", 19_900, 400);
    sell(m, "s2", 19_800, 200);
    Clearing c = clear(m, 1);
    assertEquals(19_900L, c.price());
    assertEquals(500, c.volume());
    assertEquals(-100, c.imbalance(), "ask surplus 100");
  }

  /** Xetra Example 6: only market orders executable (buy 900, sell 800): the reference price, 250 or 99. */
  @Test
  void xetraExample6MarketOrdersOnlyClearAtTheReferencePrice() {
    for (long reference : new long[] {25_000, 9_900}) {
      Market m = market(reference);
      buyMarket(m, "b1", 900);
      sellMarket(m, "s1", 800);
      Clearing c = clear(m, 1);
      assertEquals(reference, c.price());
      assertEquals(800, c.volume());
      assertEquals(100, c.imbalance(), "bid surplus 100");
      assertEquals(100, m.get(C, "b1").remaining());
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Golden cases: Euronext. Source: Euronext's "Pure Market Order" document (the call-phase examples), as transcribed
  // in github.com/mattdavey/EuronextClone, src/test/resources/com/euronextclone/"Euronext - pure market order.feature"
  // (Examples 3-5 also in indicative-market-price.feature). Reference price 10 euros. Market-to-limit (MTL) orders
  // take part in the call like market orders, so they are market orders here.
  // ---------------------------------------------------------------------------------------------------------------

  /**
   * Call phase, Example 1: indicative price 10.08 (tie at 10.08 and 10.10 without surplus: the one closest to the
   * reference); after a market buy of 20 arrives, 10.10 (buy surplus at both: the highest), and the trades A-D 40,
   * A-E 10, G-E 20, B-E 70 at 10.10, leaving B 20 at 10.10, C 10 at 9.90 and F 60 at 10.15.
   */
  @Test
  void euronextPureMarketOrderExample1() {
    Market m = market(1_000L);
    buyMarket(m, "A", 50);
    buy(m, "B", 1_010, 90);
    buy(m, "C", 990, 10);
    sellMarket(m, "D", 40);
    sell(m, "E", 1_008, 100);
    sell(m, "F", 1_015, 60);
    assertEquals(1_008L, indicative(m));
    buyMarket(m, "G", 20);
    Clearing c = clear(m, 1);
    assertEquals(1_010L, c.price());
    assertEquals(List.of("A-D 40@1010", "A-E 10@1010", "G-E 20@1010", "B-E 70@1010"), fills(c));
    assertEquals(20, m.get(C, "B").remaining());
    assertEquals(10, m.get(C, "C").remaining());
    assertEquals(60, m.get(C, "F").remaining());
    assertEquals(3, m.openOrders());
  }

  /**
   * Call phase, Example 2: market-to-limit buy 40 against a market sell of 45: the reference price 10; a market buy
   * of 20 more: still 10, trades A-D 40 and G-D 5, G keeps 15.
   */
  @Test
  void euronextPureMarketOrderExample2() {
    Market m = market(1_000L);
    buyMarket(m, "A", 40);
    sellMarket(m, "D", 45);
    assertEquals(1_000L, indicative(m));
    buyMarket(m, "G", 20);
    Clearing c = clear(m, 1);
    assertEquals(1_000L, c.price());
    assertEquals(List.of("A-D 40@1000", "G-D 5@1000"), fills(c));
    assertEquals(15, m.get(C, "G").remaining());
    assertEquals(1, m.openOrders());
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

  // ---------------------------------------------------------------------------------------------------------------
  // Golden case: ASX. Source: the worked example of ASX's call auction algorithm (introduced in 2002, the four
  // principles ASX still publishes in "How opening and closing prices are calculated") in the UNSW Trading Engine
  // course reading "appendix of additional reading" (cgi.cse.unsw.edu.au/~fethir/TradingEngineCourse/session3).
  // Principle 1: maximum volume 1,000 at every price from 6.10 to 6.39; principle 2: minimum surplus 500 at 6.35 to
  // 6.39; principle 3: buy surplus at each, so the highest: 6.39. (The stored copy breaks off in principle 3's
  // sentence; 6.39 is what that principle gives, and the same text's old-algorithm paragraph names the last orders
  // matched, broker 227's buy at 6.39 and broker 606's sell at 6.10, 500 each.)
  // ---------------------------------------------------------------------------------------------------------------

  @Test
  void asxWorkedExampleBuyPressureTakesTheHighestPrice() {
    Market m = market(null);
    buy(m, "199", 640, 500);
    buy(m, "227", 639, 500);
    buy(m, "298", 639, 500);
    buy(m, "288", 634, 1_000);
    buy(m, "144", 633, 500);
    sell(m, "606", 610, 1_000);
    sell(m, "317", 640, 500);
    sell(m, "150", 641, 520);
    sell(m, "203", 642, 550);
    sell(m, "202", 643, 519);
    Clearing c = clear(m, 1);
    assertEquals(639L, c.price());
    assertEquals(1_000, c.volume());
    assertEquals(500, c.imbalance(), "buy surplus of 500");
    assertEquals(List.of("199-606 500@639", "227-606 500@639"), fills(c), "time priority: 227 before 298");
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
