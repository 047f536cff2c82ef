package com.necpgame.mesh.market;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MarketTest {

  private static final List<String> COMMODITIES = List.of("water", "ore", "gas", "food", "arms");

  @Test
  void clearsEveryCommodityInNameOrderAndKeepsEachPriceAsTheNextReference() {
    Market m = new Market(Map.of("gas", 500L));
    for (String c : List.of("water", "gas", "ore")) {
      m.add(c, Order.limit(c + "-b", "a", Order.Side.BUY, 1_000, 5));
      m.add(c, Order.limit(c + "-s", "b", Order.Side.SELL, c.equals("ore") ? 2_000 : 900, 5));
    }
    List<Clearing> out = m.clearAll(7);
    assertEquals(List.of("gas", "ore", "water"), out.stream().map(Clearing::commodity).toList());
    assertEquals(500L, out.get(0).referencePrice());
    assertEquals(900L, out.get(0).price(), "no surplus at 9.00 or 10.00: the one closer to the reference 5.00");
    assertNull(out.get(1).price(), "ore does not cross");
    assertEquals(900L, m.reference("gas"));
    assertNull(m.reference("ore"));
    assertEquals(List.of("ore"), List.copyOf(m.commodities()), "books without orders are forgotten");
    assertEquals(7, out.get(2).gameHour());
  }

  /**
   * Over many random markets and hours (limit and market orders, expiries, auction-only orders, cancels): nothing is
   * created or lost, every fill is at the clearing price and within both limits, the executed volume is the fills'
   * sum on both sides, and what is left in a book never crosses (the maximum volume left nothing executable).
   */
  @Test
  void conservationOverRandomBooks() {
    SplittableRandom random = new SplittableRandom(42);
    for (int round = 0; round < 200; round++) {
      Market m = new Market(Map.of("ore", 1_000L));
      Map<String, Order> placed = new HashMap<>(); // commodity/id -> as placed
      Map<String, Long> filled = new HashMap<>();
      Map<String, Long> removed = new HashMap<>(); // what was left of it when expired, dropped or cancelled
      int next = 0;
      for (long hour = 1; hour <= 4; hour++) {
        int n = random.nextInt(40);
        for (int i = 0; i < n; i++) {
          String c = COMMODITIES.get(random.nextInt(3));
          Order o = randomOrder(random, "o" + next++, hour);
          assertTrue(m.add(c, o));
          placed.put(c + "/" + o.id(), o);
        }
        for (int i = 0; i < 3 && next > 0; i++) {
          String id = "o" + random.nextInt(next);
          for (String c : COMMODITIES) {
            Order open = m.get(c, id);
            if (open != null && m.cancel(c, id, null)) {
              removed.put(c + "/" + id, open.remaining());
            }
          }
        }
        for (Clearing c : m.clearAll(hour)) {
          long bought = 0;
          long sold = 0;
          for (Fill f : c.fills()) {
            assertEquals(c.price().longValue(), f.price(), "one price for all");
            Order b = placed.get(c.commodity() + "/" + f.buyOrderId());
            Order s = placed.get(c.commodity() + "/" + f.sellOrderId());
            assertTrue(b.buy() && !s.buy());
            assertTrue(b.market() || b.limit() >= f.price(), "no buyer pays above its limit");
            assertTrue(s.market() || s.limit() <= f.price(), "no seller gets below its limit");
            assertTrue(b.expiresAtHour() >= hour && s.expiresAtHour() >= hour, "expired orders do not trade");
            assertEquals(b.owner(), f.buyer());
            assertEquals(s.owner(), f.seller());
            assertTrue(f.quantity() > 0);
            bought += f.quantity();
            sold += f.quantity();
            filled.merge(c.commodity() + "/" + f.buyOrderId(), f.quantity(), Long::sum);
            filled.merge(c.commodity() + "/" + f.sellOrderId(), f.quantity(), Long::sum);
          }
          assertEquals(c.volume(), bought);
          assertEquals(c.volume(), sold);
          assertEquals(c.price() == null, c.volume() == 0);
          for (Order o : c.expired()) {
            assertTrue(o.expiresAtHour() < hour);
            removed.put(c.commodity() + "/" + o.id(), o.remaining());
          }
          for (Order o : c.dropped()) {
            assertTrue(o.auctionOnly() && o.remaining() > 0);
            removed.put(c.commodity() + "/" + o.id(), o.remaining());
          }
          BookSummary left = m.summary(c.commodity(), 1);
          assertTrue(left.bestBid() == null || left.bestAsk() == null || left.bestBid() < left.bestAsk(),
              "the book left is not crossed: " + left);
        }
        for (Map.Entry<String, Order> e : placed.entrySet()) {
          String[] key = e.getKey().split("/");
          Order open = m.get(key[0], key[1]);
          long done = filled.getOrDefault(e.getKey(), 0L);
          long rest = open != null ? open.remaining() : removed.getOrDefault(e.getKey(), 0L);
          assertEquals(e.getValue().quantity(), done + rest, "filled + remaining = placed for " + e.getKey());
          if (open != null) {
            assertEquals(done, open.filled());
          }
        }
      }
    }
  }

  private static Order randomOrder(SplittableRandom random, String id, long hour) {
    Order.Side side = random.nextBoolean() ? Order.Side.BUY : Order.Side.SELL;
    long quantity = 1 + random.nextInt(100);
    String owner = "p" + random.nextInt(5);
    Order o = random.nextInt(10) == 0 ? Order.market(id, owner, side, quantity)
        : Order.limit(id, owner, side, 950 + random.nextInt(100), quantity);
    return switch (random.nextInt(6)) {
      case 0 -> o.untilHour(hour + random.nextInt(2));
      case 1 -> o.thisAuctionOnly();
      default -> o;
    };
  }

  /** A market made by the same calls: the same random orders, cancels and hours. */
  private static List<Clearing> run(Market m, long seed, long fromHour, long toHour) {
    SplittableRandom random = new SplittableRandom(seed);
    List<Clearing> out = new ArrayList<>();
    for (long hour = fromHour; hour <= toHour; hour++) {
      for (int i = 0; i < 200; i++) {
        String c = COMMODITIES.get(random.nextInt(COMMODITIES.size()));
        m.add(c, randomOrder(random, "h" + hour + "-" + i, hour));
      }
      for (int i = 0; i < 20; i++) {
        m.cancel(COMMODITIES.get(random.nextInt(COMMODITIES.size())), "h" + hour + "-" + random.nextInt(200), null);
      }
      out.addAll(m.clearAll(hour));
    }
    return out;
  }

  @Test
  void sameCallsGiveTheSameClearingsFillsAndSnapshots() {
    Market a = new Market(Map.of("ore", 1_000L));
    Market b = new Market(Map.of("ore", 1_000L));
    List<Clearing> first = run(a, 7, 1, 5);
    assertEquals(first, run(b, 7, 1, 5), "every clearing, fill and fill order");
    assertTrue(first.stream().mapToInt(c -> c.fills().size()).sum() > 100);
    assertEquals(a.snapshot(), b.snapshot());
    assertEquals(a.snapshot().encode(), b.snapshot().encode(), "byte for byte");
  }

  @Test
  void aRestoredSnapshotClearsIdentically() {
    Market original = new Market(Map.of("ore", 1_000L, "gas", 250L));
    run(original, 11, 1, 3);
    assertTrue(original.openOrders() > 0, "orders carried over, some partly filled");
    JsonObject snapshot = original.snapshot();
    Market copy = Market.restore(new JsonObject(snapshot.encode()));
    assertEquals(snapshot, copy.snapshot());
    assertEquals(run(original, 12, 4, 8), run(copy, 12, 4, 8));
    assertEquals(original.snapshot(), copy.snapshot());
    assertEquals(original.reference("gas"), copy.reference("gas"));
  }

  @Test
  void placeReadsAnOrderPlacedPayload() {
    Market m = new Market();
    JsonObject data = new JsonObject("{\"order_id\":\"o1\",\"commodity\":\"iron_ore\",\"side\":\"buy\","
        + "\"limit_price\":0.07,\"quantity\":10,\"owner\":\"alice\",\"time_in_force\":\"gth:42\"}");
    assertNull(m.place(data));
    Order o = m.get("iron_ore", "o1");
    assertEquals(7, o.limit(), "0.07 credits is 7 cents, exactly");
    assertEquals(42, o.expiresAtHour());
    assertEquals("order o1 is open already", m.place(data));
    assertEquals(data, new JsonObject(o.toPlacedJson("iron_ore").encode()), "the payload again, from the order");
  }

  @Test
  void orderPlacedParsesMarketOrdersAndTimesInForce() {
    JsonObject base = new JsonObject().put("order_id", "o1").put("commodity", "gas").put("side", "sell")
        .put("quantity", 3).put("owner", "bob");
    OrderPlaced market = OrderPlaced.parse(base.copy().putNull("limit_price").put("time_in_force", "auction"));
    assertTrue(market.valid(), market.errors().toString());
    assertTrue(market.order().market());
    assertTrue(market.order().auctionOnly());
    assertEquals("gas", market.commodity());
    OrderPlaced absent = OrderPlaced.parse(base);
    assertTrue(absent.order().market(), "no limit_price: a market order");
    assertEquals(Order.GTC, absent.order().expiresAtHour(), "gtc by default");
    assertEquals(3, OrderPlaced.parse(base.copy().put("quantity", 3.0)).order().quantity(),
        "3.0 is an integer to JSON Schema too");
    OrderPlaced limit = OrderPlaced.parse(base.copy().put("limit_price", 12.5));
    assertEquals(1_250, limit.order().limit());
    Order o = Order.limit("o9", "bob", Order.Side.BUY, 1_234, 5).untilHour(9);
    assertEquals(o, OrderPlaced.parse(o.toPlacedJson("gas")).order(), "toPlacedJson and parse agree");
  }

  @Test
  void orderPlacedReportsEveryInvalidFieldByItsPointer() {
    OrderPlaced bad = OrderPlaced.parse(new JsonObject().put("order_id", "").put("commodity", "Iron Ore")
        .put("side", "hold").put("limit_price", 1.234).put("quantity", 1.5).put("time_in_force", "day")
        .put("colour", "red"));
    assertNull(bad.order());
    assertEquals(List.of("/order_id", "/commodity", "/side", "/limit_price", "/quantity", "/owner", "/time_in_force",
        "/colour"), List.copyOf(bad.errors().keySet()));
    assertTrue(bad.describe().startsWith("/order_id: expected a string"), bad.describe());
    for (Object price : new Object[] {0, -1, "12", 1e14}) {
      assertNotNull(OrderPlaced.parse(new JsonObject().put("limit_price", price)).errors().get("/limit_price"),
          "limit_price " + price);
    }
    for (Object quantity : new Object[] {0, -3, "3", 2e12}) {
      assertNotNull(OrderPlaced.parse(new JsonObject().put("quantity", quantity)).errors().get("/quantity"),
          "quantity " + quantity);
    }
    assertTrue(new Market().place(new JsonObject().put("order_id", "x")).contains("/side: expected buy or sell"));
  }
}
