package com.necpgame.mesh.crowd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.crowd.Crowd.Signal;
import com.necpgame.mesh.envelope.EnvelopeValidator;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CrowdTest {

  private static final List<String> GOODS = List.of("food", "ammo", "fuel", "electronics");
  private static final long[] COSTS = {400, 2500, 1200, 12000};
  private static final long[] NONE = new long[4];
  private static final EnvelopeValidator VALIDATOR = EnvelopeValidator.load(Optional.empty());

  private static Crowd crowd(int size, long seed) {
    return new Crowd(GOODS, COSTS, 3, size, seed, 0);
  }

  @Test
  void schedulesAreMonotoneBoundedByReservationPricesAndTheirOrdersAddUpToThem() {
    Crowd crowd = crowd(5000, 3);
    long[] high = {1100, 2500, 1200, 12000}; // food at 2.75x its cost: levels above 3x buy nothing
    for (Signal s : crowd.step(0, high, NONE, NONE, NONE, new boolean[3])) {
      for (int l = 1; l < s.demand().length; l++) {
        assertTrue(s.demand()[l] <= s.demand()[l - 1] && s.supply()[l] >= s.supply()[l - 1], s.commodity());
        assertTrue(s.prices()[l] > s.prices()[l - 1], "distinct levels");
      }
      for (int l = 0; l < s.prices().length; l++) {
        double x = s.prices()[l] / (double) COSTS[GOODS.indexOf(s.commodity())];
        assertTrue(x <= Crowd.RESERVE_HIGH || s.demand()[l] == 0, "no buyer above 3x the cost: " + s.commodity());
      }
      List<Crowd.CrowdOrder> orders = Crowd.orders(s);
      assertEquals(s.demand()[0], orders.stream().filter(Crowd.CrowdOrder::buy).mapToLong(Crowd.CrowdOrder::quantity).sum());
      assertEquals(s.supply()[s.supply().length - 1],
          orders.stream().filter(o -> !o.buy()).mapToLong(Crowd.CrowdOrder::quantity).sum());
    }
  }

  /** Demand falls and supply rises with the price, around the cost: at the cost the curves are as the crowd is. */
  @Test
  void demandFallsAndSupplyRisesWithThePrice() {
    Signal food = crowd(5000, 5).step(0, COSTS, NONE, NONE, NONE, new boolean[3]).get(0);
    int at = 4; // the level at the last price, here the cost
    assertEquals(400, food.prices()[at]);
    assertTrue(food.demand()[0] > food.demand()[at] && food.demand()[at] > food.demand()[8]);
    assertTrue(food.supply()[0] < food.supply()[at] && food.supply()[at] < food.supply()[8]);
    // x = 1.25 at the top: demand / 1.25, supply x 1.25 of what they are at the cost
    assertEquals(food.demand()[at] / 1.25, food.demand()[8], 2.0);
    assertEquals(food.supply()[at] * 1.25, food.supply()[8], 2.0);
  }

  /** As documented: agents of a faction at war need half as much again ammo, medicine and food, and produce less. */
  @Test
  void aWarRaisesTheWarringFactionsDemandForWarGoodsAndLowersTheirOutput() {
    Crowd peace = crowd(20_000, 9);
    Crowd war = crowd(20_000, 9);
    boolean[] none = new boolean[3];
    boolean[] first = {true, false, false};
    Signal ammoPeace = null;
    Signal ammoWar = null;
    List<Signal> fuelPeace = null;
    List<Signal> fuelWar = null;
    for (int h = 0; h < 12; h++) {
      List<Signal> p = peace.step(h, COSTS, NONE, NONE, NONE, none);
      List<Signal> w = war.step(h, COSTS, NONE, NONE, NONE, first);
      ammoPeace = p.get(1);
      ammoWar = w.get(1);
      fuelPeace = p;
      fuelWar = w;
    }
    assertTrue(ammoWar.demand()[4] > 1.1 * ammoPeace.demand()[4], ammoWar.demand()[4] + " vs " + ammoPeace.demand()[4]);
    assertTrue(fuelWar.get(2).supply()[4] < fuelPeace.get(2).supply()[4], "factions at war produce less");
    assertTrue(ammoWar.meanMood() < ammoPeace.meanMood(), "and are gloomier");
  }

  /** Fills settle: the buyers' need falls by what they bought, the producers' stock by what they sold. */
  @Test
  void fillsSettleAgainstNeedsAndStocks() {
    Crowd a = crowd(3000, 4);
    Crowd b = crowd(3000, 4);
    a.step(0, COSTS, NONE, NONE, NONE, new boolean[3]);
    b.step(0, COSTS, NONE, NONE, NONE, new boolean[3]);
    long[] bought = {500, 0, 0, 0};
    long[] sold = {0, 0, 100, 0};
    long[] at = {400, 0, 1200, 0};
    Signal foodFilled = a.step(1, COSTS, bought, sold, at, new boolean[3]).get(0);
    Signal foodNot = b.step(1, COSTS, NONE, NONE, NONE, new boolean[3]).get(0);
    assertTrue(foodFilled.demand()[4] < foodNot.demand()[4], "bought food is no longer needed");
    Signal fuelFilled = a.step(2, COSTS, NONE, NONE, NONE, new boolean[3]).get(2);
    Signal fuelNot = b.step(2, COSTS, NONE, NONE, NONE, new boolean[3]).get(2);
    assertTrue(fuelFilled.supply()[4] < fuelNot.supply()[4], "sold fuel is no longer in stock");
  }

  @Test
  void sameSeedSameSignalsAndASnapshotStepsIdentically() {
    Crowd one = crowd(3000, 77);
    Crowd two = crowd(3000, 77);
    Crowd other = crowd(3000, 78);
    for (int h = 0; h < 60; h++) {
      boolean[] wars = {h % 5 == 0, false, h % 7 == 0};
      if (h == 30) {
        two = Crowd.restore(new JsonObject(two.snapshot().encode()));
      }
      List<Signal> a = one.step(h, COSTS, NONE, NONE, NONE, wars);
      List<Signal> b = two.step(h, COSTS, NONE, NONE, NONE, wars);
      for (int c = 0; c < a.size(); c++) {
        assertEquals(a.get(c).toJson("hourly:" + h), b.get(c).toJson("hourly:" + h));
      }
      assertNotEquals(a.get(0).toJson("x"), other.step(h, COSTS, NONE, NONE, NONE, wars).get(0).toJson("x"));
      if (h % 24 == 23) {
        Crowd.Activity x = one.activity(h / 24);
        Crowd.Activity y = two.activity(h / 24);
        assertEquals(x.trade(), y.trade());
        assertEquals(x.raids(), y.raids());
        org.junit.jupiter.api.Assertions.assertArrayEquals(x.power(), y.power());
      }
    }
    assertEquals(one.snapshot(), two.snapshot());
  }

  /** The hourly step publishes what the mesh carries, valid against the schemas, and restores from its snapshot. */
  @Test
  void theStepsOutputsAreValidAndItsSnapshotStepsIdentically() {
    List<String> factions = List.of("arasaka", "militech", "nomads");
    CrowdStep one = CrowdStep.fresh(GOODS, COSTS, factions, 500, 1, 1.0);
    CrowdStep two = CrowdStep.fresh(GOODS, COSTS, factions, 500, 1, 1.0);
    for (long hour = 0; hour < 30; hour++) {
      long h = hour;
      JsonObject cleared = new JsonObject().put("event_type", "economy.market.cleared")
          .put("data", new JsonObject().put("commodity", "food").put("price", 4.4));
      JsonObject trade = new JsonObject().put("event_type", "economy.trade.executed").put("data", new JsonObject()
          .put("commodity", "food").put("buyer", "crowd").put("seller", "crowd").put("quantity", 10).put("price", 4.4));
      for (JsonObject e : List.of(cleared, trade)) {
        one.input(e);
        two.input(e);
      }
      if (h == 20) {
        two = CrowdStep.restore(new JsonObject(two.snapshot().encode()), factions);
      }
      List<CrowdStep.Output> a = one.step(h);
      List<CrowdStep.Output> b = two.step(h);
      assertEquals(a.size(), b.size());
      for (int i = 0; i < a.size(); i++) {
        assertEquals(a.get(i).data(), b.get(i).data());
        JsonObject envelope = new JsonObject().put("event_id", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
            .put("event_type", a.get(i).eventType()).put("timestamp", "2077-01-05T00:00:00Z").put("version", "1.0.0")
            .put("source", "test").put("data", a.get(i).data());
        assertEquals(List.of(), VALIDATOR.validate(envelope), envelope.encode());
      }
      if (h == 24) {
        assertTrue(a.stream().anyMatch(o -> o.eventType().equals("world.faction.power")), "the day's activity");
        assertTrue(a.stream().anyMatch(o -> o.eventType().equals("world.faction.trade")), "the day's trade");
      }
      assertTrue(a.stream().filter(o -> o.order() != null).allMatch(o -> o.data().getString("time_in_force")
          .equals("gth:" + (h + 1))), "orders for the next hour's clearing");
    }
  }
}
