package com.necpgame.mesh.market;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class OrderBookTest {

  private static final String C = "ore";

  @Test
  void summaryShowsBestPricesLevelsCountsAndTotalsWithMarketOrdersFirst() {
    Market m = new Market();
    m.add(C, Order.limit("b1", "a", Order.Side.BUY, 1_000, 5));
    m.add(C, Order.limit("b2", "a", Order.Side.BUY, 1_010, 7));
    m.add(C, Order.limit("b3", "a", Order.Side.BUY, 1_000, 3));
    m.add(C, Order.market("b4", "a", Order.Side.BUY, 2));
    m.add(C, Order.limit("s1", "a", Order.Side.SELL, 1_100, 4));
    m.add(C, Order.limit("s2", "a", Order.Side.SELL, 1_050, 6));
    BookSummary s = m.summary(C, 2);
    assertEquals(1_010L, s.bestBid());
    assertEquals(1_050L, s.bestAsk());
    assertEquals(4, s.buyOrders());
    assertEquals(2, s.sellOrders());
    assertEquals(17, s.buyQuantity());
    assertEquals(10, s.sellQuantity());
    assertEquals(List.of(new BookSummary.Level(null, 2, 1), new BookSummary.Level(1_010L, 7, 1)), s.bids(),
        "two levels: the market orders, then the best limit");
    assertEquals(List.of(new BookSummary.Level(1_050L, 6, 1), new BookSummary.Level(1_100L, 4, 1)), s.asks());
    assertEquals(List.of(new BookSummary.Level(null, 2, 1), new BookSummary.Level(1_010L, 7, 1),
        new BookSummary.Level(1_000L, 8, 2)), m.summary(C, 5).bids());

    JsonObject json = s.toJson();
    assertEquals(6, json.getInteger("orders"));
    assertEquals("10.10", json.getValue("best_bid").toString());
    assertEquals("market", json.getJsonArray("bids").getJsonObject(0).getString("price"));
    assertEquals("10.50", json.getJsonArray("asks").getJsonObject(0).getValue("price").toString());
  }

  @Test
  void summaryOfAnEmptyBookHasNoBestPrices() {
    BookSummary s = new Market().summary(C, 5);
    assertNull(s.bestBid());
    assertNull(s.bestAsk());
    assertEquals(0, s.orders());
    assertEquals(List.of(), s.bids());
    assertTrue(s.toJson().containsKey("best_bid"), "present, as null");
  }

  @Test
  void addGivesArrivalNumbersAndRefusesAnOpenId() {
    Market m = new Market();
    assertTrue(m.add(C, Order.limit("x", "a", Order.Side.BUY, 1_000, 5)));
    assertFalse(m.add(C, Order.limit("x", "b", Order.Side.SELL, 900, 1)), "a duplicate changes nothing");
    assertTrue(m.add("gas", Order.limit("x", "a", Order.Side.BUY, 1_000, 5)), "ids are per commodity");
    assertTrue(m.add(C, Order.limit("y", "a", Order.Side.BUY, 1_000, 5)));
    assertEquals(1, m.get(C, "x").seq());
    assertEquals(Order.Side.BUY, m.get(C, "x").side());
    assertEquals(2, m.get("gas", "x").seq());
    assertEquals(3, m.get(C, "y").seq());
    assertEquals(List.of("x", "y"), m.book(C).orders().stream().map(Order::id).toList());
  }

  @Test
  void aBookTakesOrdersOnlyInArrivalOrder() {
    OrderBook book = new OrderBook();
    book.add(Order.limit("a", "o", Order.Side.BUY, 1, 1).withSeq(5));
    assertThrows(IllegalArgumentException.class, () -> book.add(Order.limit("b", "o", Order.Side.BUY, 1, 1).withSeq(5)));
  }

  @Test
  void cancelFindsOrdersAfterManyRemovalsAndCompactions() {
    Market m = new Market();
    for (int i = 0; i < 1_000; i++) {
      m.add(C, Order.limit("o" + i, "a", i % 2 == 0 ? Order.Side.BUY : Order.Side.SELL, 10_000 + i, 1 + i));
    }
    for (int i = 0; i < 1_000; i++) {
      if (i % 10 != 3) {
        assertTrue(m.cancel(C, "o" + i, null));
      }
    }
    assertEquals(100, m.openOrders());
    assertFalse(m.cancel(C, "o0", null), "already cancelled");
    for (int i = 3; i < 1_000; i += 10) {
      Order o = m.get(C, "o" + i);
      assertEquals(1 + i, o.quantity());
      assertEquals(10_000 + i, o.limit());
    }
    assertTrue(m.cancel(C, "o993", "a"));
    assertNull(m.get(C, "o993"));
  }

  @Test
  void cancelChecksTheOwnerWhenGiven() {
    Market m = new Market();
    m.add(C, Order.limit("b1", "alice", Order.Side.BUY, 1_000, 10));
    assertFalse(m.cancel(C, "b1", "mallory"));
    assertFalse(m.cancel("gas", "b1", "alice"), "another commodity");
    assertFalse(m.cancel(C, "nope", null));
    assertTrue(m.cancel(new JsonObject().put("commodity", C).put("order_id", "b1").put("owner", "alice")));
    assertFalse(m.cancel(C, "b1", null), "a cancel is idempotent");
  }

  @Test
  void ordersAreValidatedWhenBuilt() {
    assertThrows(IllegalArgumentException.class, () -> Order.limit("a", "o", Order.Side.BUY, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> Order.limit("a", "o", Order.Side.BUY, 1, 0));
    assertThrows(IllegalArgumentException.class, () -> Order.market("", "o", Order.Side.BUY, 1));
    assertEquals("gth:7", Order.market("a", "o", Order.Side.SELL, 1).untilHour(7).timeInForce());
    assertEquals("auction", Order.market("a", "o", Order.Side.SELL, 1).thisAuctionOnly().timeInForce());
    assertEquals("gtc", Order.market("a", "o", Order.Side.SELL, 1).timeInForce());
  }
}
