package com.necpgame.mesh.crowd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.crowd.Crowd.Signal;
import com.necpgame.mesh.envelope.EnvelopeValidator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CrowdTest {

  private static final List<String> GOODS = List.of("food", "ammo", "fuel", "electronics");
  private static final long[] PRICES = {400, 100, 1200, 12000};

  private static Crowd crowdOf(List<String> goods, double[][] agents) {
    ByteBuffer b = ByteBuffer.allocate(agents.length * (4 + 4 + 8 + 8 + 8 + 8 * goods.size()));
    for (double[] a : agents) { // faction, specialty, wealth, mood, stock, needs...
      b.putInt((int) a[0]).putInt((int) a[1]).putDouble(a[2]).putDouble(a[3]).putDouble(a[4]);
      for (int c = 0; c < goods.size(); c++) {
        b.putDouble(a[5 + c]);
      }
    }
    return Crowd.restore(new JsonObject().put("commodities", new JsonArray(goods)).put("factions", 2)
        .put("size", agents.length).put("agents", Base64.getEncoder().encodeToString(b.array())));
  }

  /** One agent, worked by hand: wealth 100 + 20 wage, a budget of 24 credits, food need 1 + 1, 3 units produced. */
  @Test
  void oneAgentsSchedulesWorkedByHand() {
    Crowd one = crowdOf(List.of("food", "ore"), new double[][] {{0, 0, 100, 1, 0, 1, 0}});
    List<Signal> s = one.step(1, new long[] {100, 200}, new boolean[] {false, false});
    // food at 0.5 .. 2.0 credits: 2 up to the reference, then 2/1.1, 2/1.25, 2/1.5, 2/2 (rounded)
    assertArrayEquals(new long[] {50, 75, 90, 100, 110, 125, 150, 200}, s.get(0).prices());
    assertArrayEquals(new long[] {2, 2, 2, 2, 2, 2, 1, 1}, s.get(0).demand());
    // its 3 units of food offered at min(1, p / ref): 1.5, 2.25, 2.7, then 3
    assertArrayEquals(new long[] {2, 2, 3, 3, 3, 3, 3, 3}, s.get(0).supply());
    assertArrayEquals(new long[] {1, 1, 1, 1, 1, 1, 1, 1}, s.get(1).demand());
    assertArrayEquals(new long[] {0, 0, 0, 0, 0, 0, 0, 0}, s.get(1).supply());
  }

  /** The crowd's schedules are the sums of its parts': split a population in two and step all three alike. */
  @Test
  void signalsAreTheSumOverAgents() {
    Crowd whole = new Crowd(GOODS, 3, 2000, 11);
    JsonObject snapshot = whole.snapshot();
    byte[] all = Base64.getDecoder().decode(snapshot.getString("agents"));
    int half = all.length / 2;
    Crowd first = Crowd.restore(snapshot.copy().put("size", 1000)
        .put("agents", Base64.getEncoder().encodeToString(java.util.Arrays.copyOfRange(all, 0, half))));
    Crowd second = Crowd.restore(snapshot.copy().put("size", 1000)
        .put("agents", Base64.getEncoder().encodeToString(java.util.Arrays.copyOfRange(all, half, all.length))));
    boolean[] peace = new boolean[3];
    List<Signal> w = whole.step(1, PRICES, peace);
    List<Signal> a = first.step(1, PRICES, peace);
    List<Signal> b = second.step(1, PRICES, peace);
    for (int c = 0; c < GOODS.size(); c++) {
      for (int l = 0; l < Crowd.LEVELS.length; l++) {
        assertEquals(w.get(c).demand()[l], a.get(c).demand()[l] + b.get(c).demand()[l], 2.0, GOODS.get(c) + " " + l);
        assertEquals(w.get(c).supply()[l], a.get(c).supply()[l] + b.get(c).supply()[l], 2.0, GOODS.get(c) + " " + l);
      }
    }
  }

  @Test
  void schedulesAreMonotoneAndTheirOrdersAddUpToThem() {
    Crowd crowd = new Crowd(GOODS, 3, 5000, 3);
    for (Signal s : crowd.step(1, PRICES, new boolean[3])) {
      for (int l = 1; l < s.demand().length; l++) {
        assertTrue(s.demand()[l] <= s.demand()[l - 1] && s.supply()[l] >= s.supply()[l - 1], s.commodity());
      }
      List<Crowd.CrowdOrder> orders = Crowd.orders(s);
      assertEquals(s.demand()[0], orders.stream().filter(Crowd.CrowdOrder::buy).mapToLong(Crowd.CrowdOrder::quantity).sum());
      assertEquals(s.supply()[s.supply().length - 1],
          orders.stream().filter(o -> !o.buy()).mapToLong(Crowd.CrowdOrder::quantity).sum());
    }
  }

  /** As documented: agents of a faction at war need half as much again ammo, medicine and food each day. */
  @Test
  void aWarRaisesTheWarringFactionsDemandForWarGoodsAsDocumented() {
    Crowd peace = new Crowd(GOODS, 3, 20_000, 9);
    Crowd war = new Crowd(GOODS, 3, 20_000, 9);
    long[] cheap = {100, 100, 100, 100}; // one credit: no budget binds
    Signal ammoPeace = peace.step(1, cheap, new boolean[3]).get(1);
    Signal ammoWar = war.step(1, cheap, new boolean[] {true, false, false}).get(1);
    int at = 3; // the reference level
    double extra = ammoWar.demand()[at] - ammoPeace.demand()[at];
    assertEquals(0.5 * Crowd.CONSUMPTION * war.members(0), extra, 2.0);
    Signal fuelPeace = peace.step(2, cheap, new boolean[3]).get(2);
    Signal fuelWar = war.step(2, cheap, new boolean[] {true, false, false}).get(2);
    assertTrue(fuelWar.supply()[at] < fuelPeace.supply()[at], "factions at war produce less");
    assertTrue(ammoWar.meanMood() < ammoPeace.meanMood(), "and are gloomier");
  }

  @Test
  void sameSeedSameSignalsAndASnapshotStepsIdentically() {
    Crowd one = new Crowd(GOODS, 3, 3000, 77);
    Crowd two = new Crowd(GOODS, 3, 3000, 77);
    Crowd other = new Crowd(GOODS, 3, 3000, 78);
    for (int day = 0; day < 20; day++) {
      boolean[] wars = {day % 5 == 0, false, day % 7 == 0};
      if (day == 10) {
        two = Crowd.restore(new JsonObject(two.snapshot().encode()));
      }
      List<Signal> a = one.step(day, PRICES, wars);
      List<Signal> b = two.step(day, PRICES, wars);
      for (int c = 0; c < a.size(); c++) {
        assertEquals(a.get(c).toJson("daily:" + day), b.get(c).toJson("daily:" + day));
      }
      assertNotEquals(a.get(0).toJson("x"), other.step(day, PRICES, wars).get(0).toJson("x"));
    }
    assertEquals(one.snapshot(), two.snapshot());
  }

  @Test
  void signalsAreValidAgainstTheirSchema() {
    Signal s = new Crowd(GOODS, 3, 100, 1).step(4, PRICES, new boolean[3]).get(0);
    JsonObject envelope = new JsonObject().put("event_id", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
        .put("event_type", "world.crowd.signal").put("timestamp", "2077-01-05T00:00:00Z").put("version", "1.0.0")
        .put("source", "test").put("data", s.toJson("daily:4"));
    assertEquals(List.of(), EnvelopeValidator.load(Optional.empty()).validate(envelope));
  }
}
