package com.necpgame.mesh.market;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CallAuctionTest {

  private static final String C = "ore";

  private static Market market(long reference) {
    return new Market(Map.of(C, reference));
  }

  private static void order(Market m, String id, String side, String price, long quantity) {
    order(m, id, side, price, quantity, "gtc");
  }

  private static void order(Market m, String id, String side, String price, long quantity, String tif) {
    JsonObject data = new JsonObject().put("order_id", id).put("commodity", C).put("side", side)
        .put("quantity", quantity).put("owner", "o-" + id).put("time_in_force", tif);
    if (price != null) {
      data.put("limit_price", new java.math.BigDecimal(price));
    }
    assertNull(m.place(data));
  }

  private static Clearing clear(Market m, long hour) {
    List<Clearing> all = m.clearAll(hour);
    assertEquals(1, all.size());
    return all.get(0);
  }

  private static Map<String, Long> executed(Clearing c) {
    Map<String, Long> out = new HashMap<>();
    for (Fill f : c.fills()) {
      out.merge(f.buyOrderId(), f.quantity(), Long::sum);
      out.merge(f.sellOrderId(), f.quantity(), Long::sum);
    }
    return out;
  }

  /**
   * The worked example of github.com/msilb/auction-order-matching (README, "Example"): a public worked example of
   * opening-auction price determination, not an exchange's own document. Auction price 103, volume 3,700, B3 partly
   * executed (1,100 of 1,800), S1-S4 fully.
   */
  @Test
  void publicWorkedExampleClearsAt103For3700() {
    Market m = market(10_000);
    order(m, "B1", "buy", "104.5", 100);
    order(m, "B2", "buy", "104.5", 2500);
    order(m, "B3", "buy", "103", 1800);
    order(m, "B4", "buy", "102.5", 500);
    order(m, "B5", "buy", "102.5", 800);
    order(m, "B6", "buy", "99.5", 1500);
    order(m, "S1", "sell", "100.5", 600);
    order(m, "S2", "sell", "100.5", 400);
    order(m, "S3", "sell", "102", 1500);
    order(m, "S4", "sell", "103", 1200);
    order(m, "S5", "sell", "104.5", 700);
    Clearing c = clear(m, 1);
    assertEquals(10_300L, c.price());
    assertEquals(3700, c.volume());
    assertEquals(700, c.imbalance(), "demand 4,400 against supply 3,700 at 103");
    assertEquals(Map.of("B1", 100L, "B2", 2500L, "B3", 1100L, "S1", 600L, "S2", 400L, "S3", 1500L, "S4", 1200L),
        executed(c));
    assertEquals(700, m.book(C).get("B3").remaining(), "the rest of B3 is carried over");
    assertEquals(10_300, m.reference(C), "the price is the next reference");
  }

  /**
   * Euronext's indicative matching price rules, in the scenarios of github.com/mattdavey/EuronextClone
   * ({@code indicative-market-price.feature}), each with reference price 10: a market buy of 40 against a limit sell
   * of 40 at 9.98 matches at the reference 10 (any price from 9.98 up clears it); against 41 at 9.98, at the limit
   * (sell surplus); against 40 at 10.02, at the limit (closest to the reference); a market buy of 80 against 40 at
   * 10.02 and 40 at 10.04 at 10.04 (most shares); a market sell of 80 against buys of 40 at 9.98 and 40 at 9.96 at 9.96.
   */
  @Test
  void euronextIndicativeMatchingPriceScenarios() {
    record Case(String[][] orders, long price) {}
    for (Case c : List.of(
        new Case(new String[][] {{"buy", null, "40"}, {"sell", "9.98", "40"}}, 1_000),
        new Case(new String[][] {{"buy", null, "40"}, {"sell", "9.98", "41"}}, 998),
        new Case(new String[][] {{"buy", null, "40"}, {"sell", "10.02", "40"}}, 1_002),
        new Case(new String[][] {{"buy", null, "80"}, {"sell", "10.02", "40"}, {"sell", "10.04", "40"}}, 1_004),
        new Case(new String[][] {{"buy", "9.98", "40"}, {"buy", "9.96", "40"}, {"sell", null, "80"}}, 996))) {
      Market m = market(1_000);
      for (int i = 0; i < c.orders().length; i++) {
        order(m, "o" + i, c.orders()[i][0], c.orders()[i][1], Long.parseLong(c.orders()[i][2]));
      }
      assertEquals(c.price(), clear(m, 1).price(), java.util.Arrays.deepToString(c.orders()));
    }
  }

  @Test
  void rule2MinimumSurplusBreaksAVolumeTie() {
    Market m = market(1_000);
    order(m, "b1", "buy", "11", 200);
    order(m, "b2", "buy", "10", 50);
    order(m, "s1", "sell", "10", 200);
    order(m, "s2", "sell", "11", 100);
    Clearing c = clear(m, 1); // at 10: 250 vs 200 (surplus 50); at 11: 200 vs 300 (surplus 100)
    assertEquals(1_000L, c.price());
    assertEquals(200, c.volume());
    assertEquals(50, c.imbalance());
  }

  @Test
  void rule3MarketPressureTakesTheHighestOnABuySurplusAndTheLowestOnASellSurplus() {
    Market up = market(1_000);
    order(up, "b1", "buy", "12", 300);
    order(up, "s1", "sell", "10", 100);
    order(up, "s2", "sell", "11", 100);
    Clearing c = clear(up, 1); // 11 and 12 both execute 200 with a buy surplus of 100
    assertEquals(1_200L, c.price());
    assertEquals(200, c.volume());

    Market down = market(1_200);
    order(down, "s1", "sell", "10", 300);
    order(down, "b1", "buy", "12", 100);
    order(down, "b2", "buy", "11", 100);
    c = clear(down, 1); // 10 and 11 both execute 200 with a sell surplus of 100
    assertEquals(1_000L, c.price());
  }

  @Test
  void rule4TheReferencePriceDecidesWhenSurplusesDisagree() {
    for (long[] reference : new long[][] {{1_050, 1_050}, {900, 1_000}, {1_500, 1_100}}) {
      Market m = market(reference[0]);
      order(m, "b1", "buy", "11", 200);
      order(m, "b2", "buy", "10", 100);
      order(m, "s1", "sell", "10", 200);
      order(m, "s2", "sell", "11", 100);
      // at 10: 300 vs 200 (+100); at 11: 200 vs 300 (-100): volume 200 and surplus 100 at both
      Clearing c = clear(m, 1);
      assertEquals(reference[1], c.price(), "reference " + reference[0]);
      assertEquals(200, c.volume());
    }
  }

  @Test
  void noPriceForAnEmptyOneSidedOrUncrossedBook() {
    Market m = market(1_000);
    assertEquals(List.of(), m.clearAll(1), "nothing to clear");
    order(m, "b1", "buy", "10", 5);
    Clearing one = clear(m, 2);
    assertNull(one.price());
    assertEquals(0, one.volume());
    assertEquals(5, one.imbalance());
    order(m, "s1", "sell", "11", 7);
    Clearing uncrossed = clear(m, 3);
    assertNull(uncrossed.price());
    assertEquals(-2, uncrossed.imbalance());
    assertEquals(2, m.openOrders(), "both stay in the book");
    assertEquals(1_000, m.reference(C), "no clearing, no new reference");
  }

  @Test
  void marketOrdersExecuteFirstAndMeetAtTheReferenceWhenAlone() {
    Market m = market(777);
    order(m, "b1", "buy", null, 10);
    order(m, "s1", "sell", null, 4);
    Clearing c = clear(m, 1);
    assertEquals(777L, c.price());
    assertEquals(4, c.volume());
    assertEquals(6, m.book(C).get("b1").remaining());

    order(m, "s2", "sell", "8", 3);
    order(m, "b2", "buy", "9", 1);
    c = clear(m, 2); // 8 and 9 both execute 3 with a buy surplus of 4: market pressure takes 9
    assertEquals(900L, c.price());
    assertEquals(3, c.volume());
    assertEquals(Map.of("b1", 3L, "s2", 3L), executed(c), "the market buy (6 left) comes before the limit buy");
  }

  @Test
  void timePriorityAllocatesTheRationedSide() {
    Market m = market(1_000);
    order(m, "b1", "buy", "10", 50);
    order(m, "b2", "buy", "10", 50);
    order(m, "b3", "buy", "10", 50);
    order(m, "s1", "sell", "10", 80);
    Clearing c = clear(m, 1);
    assertEquals(Map.of("b1", 50L, "b2", 30L, "s1", 80L), executed(c));
    assertEquals(20, m.book(C).get("b2").remaining());
    assertEquals(50, m.book(C).get("b3").remaining());
  }

  @Test
  void expiredOrdersAreDroppedBeforeAndAuctionOnlyLeftoversAfter() {
    Market m = market(1_000);
    order(m, "b1", "buy", "10", 10, "gth:4");
    order(m, "b2", "buy", "10", 10, "auction");
    order(m, "s1", "sell", "10", 5);
    Clearing c = clear(m, 5);
    assertEquals(1, c.ordersExpired());
    assertEquals(Map.of("b2", 5L, "s1", 5L), executed(c));
    assertEquals(1, c.ordersDropped(), "the rest of the auction-only order");
    assertEquals(0, m.openOrders());
  }

  @Test
  void cancelRemovesAnOpenOrderOnlyForItsOwner() {
    Market m = market(1_000);
    order(m, "b1", "buy", "10", 10);
    assertFalse(m.cancel(new JsonObject().put("commodity", C).put("order_id", "b1").put("owner", "someone else")));
    assertTrue(m.cancel(new JsonObject().put("commodity", C).put("order_id", "b1").put("owner", "o-b1")));
    assertFalse(m.cancel(new JsonObject().put("commodity", C).put("order_id", "b1")), "already gone");
    assertTrue(m.place(new JsonObject().put("commodity", C).put("order_id", "x")).startsWith("not an order"));
    assertTrue(m.place(new JsonObject().put("commodity", C).put("order_id", "x").put("side", "buy")
        .put("quantity", 0).put("owner", "o").put("limit_price", 1)).contains("positive"));
  }

  /** Over many random books: nothing created or lost, limits respected, one price for all, snapshots exact. */
  @Test
  void conservationAndDeterminismOverRandomBooks() {
    SplittableRandom random = new SplittableRandom(42);
    for (int round = 0; round < 300; round++) {
      Market m = market(1_000);
      Map<String, long[]> placed = new HashMap<>(); // id -> {side(1 buy), limit or -1, quantity}
      int n = 1 + random.nextInt(60);
      for (int i = 0; i < n; i++) {
        boolean buy = random.nextBoolean();
        boolean marketOrder = random.nextInt(10) == 0;
        long limit = 900 + random.nextInt(200);
        long quantity = 1 + random.nextInt(100);
        String id = "o" + i;
        order(m, id, buy ? "buy" : "sell", marketOrder ? null : java.math.BigDecimal.valueOf(limit, 2).toString(),
            quantity);
        placed.put(id, new long[] {buy ? 1 : 0, marketOrder ? -1 : limit, quantity});
      }
      Market copy = Market.restore(m.snapshot());
      Clearing c = clear(m, 1);
      assertEquals(c, clear(copy, 1), "a restored snapshot clears identically");
      assertEquals(m.snapshot(), copy.snapshot());
      long bought = 0;
      long sold = 0;
      for (Fill f : c.fills()) {
        assertEquals(c.price().longValue(), f.price());
        long[] b = placed.get(f.buyOrderId());
        long[] s = placed.get(f.sellOrderId());
        assertTrue(b[0] == 1 && s[0] == 0);
        assertTrue(b[1] < 0 || b[1] >= f.price(), "no buyer pays above its limit");
        assertTrue(s[1] < 0 || s[1] <= f.price(), "no seller gets below its limit");
        bought += f.quantity();
        sold += f.quantity();
      }
      assertEquals(c.volume(), bought);
      assertEquals(c.volume(), sold);
      Map<String, Long> done = executed(c);
      for (Map.Entry<String, long[]> e : placed.entrySet()) {
        OrderBook book = m.book(C);
        long left = book == null || book.get(e.getKey()) == null ? 0 : book.get(e.getKey()).remaining();
        assertEquals(e.getValue()[2], done.getOrDefault(e.getKey(), 0L) + left, "filled + open = placed");
      }
    }
  }
}
