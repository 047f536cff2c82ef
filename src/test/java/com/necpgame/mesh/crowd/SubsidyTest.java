package com.necpgame.mesh.crowd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.config.ConfigLoader;
import com.necpgame.mesh.config.WorldConfig;
import com.necpgame.mesh.envelope.EnvelopeValidator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Issue 19's last shock, a subsidy: {@code economy.subsidy.granted} from a game server. In the default world's kernels
 * ({@link WorldKernel}) at the test size of {@link WorldYearTest} with no random shortages, as {@link MarketShockTest}
 * does a large order: the state pays {@value #RATE} of the food producers' unit cost for {@value #DAYS} game days from
 * day {@value #START}; every day of it food's daily mean price is at least 10 % below the week before, its last week
 * near (1 - rate) × that (the long-run price of the model), and from {@value #RECOVERY_DAYS} days after its end on
 * every day is back within 5 % of the week before. Then the crowd alone: replay, restore, and bad subsidies.
 */
class SubsidyTest {

  private static final WorldConfig WORLD = ConfigLoader.load(Optional.empty(), Map.of()).world();
  private static final EnvelopeValidator VALIDATOR = EnvelopeValidator.load(Optional.empty());
  private static final String FOOD = "food";
  private static final int START = 30;
  private static final double RATE = 0.3;
  private static final int DAYS = 10;
  private static final int RECOVERY_DAYS = 7;
  private static final int RUN = START + DAYS + 30;

  private static JsonObject subsidy(double rate, int days) {
    return new JsonObject().put("commodity", FOOD).put("rate", rate).put("days", days);
  }

  @Test
  void aSubsidyLowersThePriceVisiblyWhileItLastsAndItRecoversAfter() {
    WorldKernel world = new WorldKernel(WORLD, WorldYearTest.POPULATION, 0);
    double[] sum = new double[RUN];
    int[] count = new int[RUN];
    world.onClearing(h -> {
      if (h.commodity().equals(FOOD) && h.volume() > 0) {
        sum[(int) (h.hour() / 24)] += h.price();
        count[(int) (h.hour() / 24)]++;
      }
    });
    world.runTo(START * 24L);
    world.gameServerToCrowd(CrowdStep.SUBSIDY, subsidy(RATE, DAYS));
    world.runTo(RUN * 24L);
    double[] days = new double[RUN];
    StringBuilder figures = new StringBuilder();
    for (int d = 0; d < RUN; d++) {
      days[d] = count[d] == 0 ? Double.NaN : sum[d] / count[d] / 100;
      if (d >= START - 1 && d <= START + DAYS + RECOVERY_DAYS + 2) {
        figures.append(String.format(" d%+d %.2f", d - START, days[d]));
      }
    }
    double before = mean(days, START - 7, START);
    double lastWeek = mean(days, START + DAYS - 7, START + DAYS);
    System.out.printf("subsidy of %.0f %% of food's cost (%.2f) for %d days from day %d: week before %.2f, last week"
        + " of it %.2f; daily means%s%n", 100 * RATE, WORLD.commodities().get(FOOD) / 100.0, DAYS, START, before,
        lastWeek, figures);
    for (int d = START; d < START + DAYS; d++) {
      assertTrue(days[d] <= 0.9 * before, "day " + (d - START) + " of the subsidy: " + days[d] + ", the week before "
          + before);
    }
    assertEquals((1 - RATE) * before, lastWeek, 0.1 * before, "its last week near (1 - rate) x the week before");
    for (int d = START + DAYS + RECOVERY_DAYS; d < RUN; d++) {
      assertTrue(Math.abs(days[d] - before) <= 0.05 * before, "day " + (d - START - DAYS) + " after the subsidy: "
          + days[d] + ", the week before " + before);
    }
  }

  private static double mean(double[] days, int from, int to) {
    double s = 0;
    for (int d = from; d < to; d++) {
      s += days[d];
    }
    return s / (to - from);
  }

  @Test
  void theSameInputsWithASubsidyReplayByteForByte() {
    String[] digests = new String[3];
    for (int run = 0; run < 3; run++) {
      WorldKernel world = new WorldKernel(WORLD, WorldYearTest.POPULATION, WORLD.crowd().shortageRate());
      world.runTo(2 * 24);
      if (run < 2) {
        world.gameServerToCrowd(CrowdStep.SUBSIDY, subsidy(0.5, 3).put("faction", "arasaka"));
        world.gameServerToCrowd(CrowdStep.SUBSIDY, new JsonObject().put("commodity", "fuel").put("rate", 0.2)
            .put("days", 1));
      }
      world.runTo(8 * 24);
      digests[run] = world.digest();
    }
    assertEquals(digests[0], digests[1], "the same seed and inputs, with subsidies: every output the same");
    assertNotEquals(digests[0], digests[2], "the subsidies changed the world");
  }

  private static final List<String> FACTIONS = List.of("arasaka", "militech", "nomads");
  private static final List<String> GOODS = List.of("food", "ammo");
  private static final long[] COSTS = {400, 2500};

  private static CrowdStep crowd() {
    return CrowdStep.fresh(GOODS, COSTS, FACTIONS, 600, 3, 0);
  }

  private static JsonObject event(String type, Object data) {
    return new JsonObject().put("event_type", type).put("data", data);
  }

  /** A faction's subsidy: only its producers offer more food, only until it ends; it survives a restore. */
  @Test
  void aFactionsSubsidyRaisesOnlyThatCommoditysSupplyUntilItEndsAndRestoresIdentically() {
    CrowdStep plain = crowd();
    CrowdStep one = crowd();
    CrowdStep two = crowd();
    one.gameInput(event(CrowdStep.SUBSIDY, subsidy(0.5, 1).put("faction", "nomads")));
    two.gameInput(event(CrowdStep.SUBSIDY, subsidy(0.5, 1).put("faction", "nomads")));
    two = CrowdStep.restore(new JsonObject(two.snapshot().encode()), FACTIONS); // read, not applied yet
    for (long h = 0; h < 30; h++) {
      if (h == 10) {
        two = CrowdStep.restore(new JsonObject(two.snapshot().encode()), FACTIONS); // while it lasts
      }
      List<CrowdStep.Output> p = plain.step(h);
      List<CrowdStep.Output> a = one.step(h);
      List<CrowdStep.Output> b = two.step(h);
      assertEquals(a.stream().map(CrowdStep.Output::data).toList(), b.stream().map(CrowdStep.Output::data).toList());
      JsonObject food = signal(a, FOOD);
      JsonObject plainFood = signal(p, FOOD);
      if (h < 24) {
        assertTrue(food.getJsonArray("supply").getLong(4) > plainFood.getJsonArray("supply").getLong(4),
            "hour " + h + ": more food offered at the last price");
        JsonArray subsidies = one.summary().getJsonArray("commodities").getJsonObject(0).getJsonArray("subsidy");
        assertEquals(new JsonArray().add(new JsonObject().put("faction", "nomads").put("rate", 0.5)
            .put("until_hour", 24)), subsidies);
      } else {
        assertEquals(0, one.summary().getJsonArray("commodities").getJsonObject(0).getJsonArray("subsidy").size());
      }
      if (h == 0) {
        assertEquals(signal(p, "ammo"), signal(a, "ammo"), "ammo is not subsidised");
      }
      for (CrowdStep.Output o : a) {
        JsonObject envelope = new JsonObject().put("event_id", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
            .put("event_type", o.eventType()).put("timestamp", "2077-01-05T00:00:00Z").put("version", "1.0.0")
            .put("source", "test").put("data", o.data());
        assertEquals(List.of(), VALIDATOR.validate(envelope), envelope.encode());
      }
    }
    assertEquals(one.snapshot(), two.snapshot());
  }

  private static JsonObject signal(List<CrowdStep.Output> out, String commodity) {
    return out.stream().filter(o -> o.eventType().equals("world.crowd.signal")
        && o.data().getString("commodity").equals(commodity)).findFirst().orElseThrow().data();
  }

  /**
   * What the crowd cannot take throws, saying why (the step loop dead-letters the record with that reason), and
   * changes nothing; other game-server events are ignored, the simulation's own among them (a game server cannot
   * fake the crowd's fills).
   */
  @Test
  void aBadSubsidyIsRefusedWithItsReasonAndChangesNothing() {
    Map<Object, String> bad = new java.util.LinkedHashMap<>();
    bad.put(subsidy(0.3, 5).put("commodity", "water"), "commodity \"water\" is not one of [food, ammo]");
    bad.put(new JsonObject().put("rate", 0.3).put("days", 5), "commodity missing");
    bad.put(subsidy(0.3, 5).put("commodity", 7), "commodity \"7\" is not one of");
    bad.put(subsidy(0.3, 5).put("faction", "nobody"), "faction \"nobody\" is not one of");
    bad.put(subsidy(0, 5), "rate must be a number in (0, 0.9], got 0");
    bad.put(subsidy(0.95, 5), "rate must be a number in (0, 0.9], got 0.95");
    bad.put(subsidy(-0.2, 5), "rate must be");
    bad.put(subsidy(0.3, 5).put("rate", "0.3"), "rate must be");
    bad.put(subsidy(0.3, 5).putNull("rate"), "rate must be");
    bad.put(subsidy(0.3, 0), "days must be a whole number in [1, 365], got 0");
    bad.put(subsidy(0.3, 366), "days must be a whole number in [1, 365], got 366");
    bad.put(subsidy(0.3, 5).put("days", 1.5), "days must be");
    bad.put(subsidy(0.3, 5).put("days", "5"), "days must be");
    bad.put(new JsonObject().put("commodity", FOOD).put("rate", 0.3),
        "days must be a whole number in [1, 365], got null");
    bad.put("a string", "data is not an object");
    bad.put(new JsonArray().add(1), "data is not an object");
    CrowdStep crowd = crowd();
    CrowdStep untouched = crowd();
    String before = crowd.snapshot().encode();
    bad.forEach((data, reason) -> {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> crowd.gameInput(event(CrowdStep.SUBSIDY, data)), String.valueOf(data));
      assertTrue(e.getMessage().startsWith(CrowdStep.SUBSIDY + ": ") && e.getMessage().contains(reason),
          e.getMessage());
    });
    IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
        () -> crowd.gameInput(new JsonObject().put("event_type", CrowdStep.SUBSIDY)));
    assertTrue(none.getMessage().contains("data is not an object"), none.getMessage());
    crowd.gameInput(event("world.faction.combat", new JsonObject().put("faction_a", "arasaka")
        .put("faction_b", "nomads").put("intensity", 3)));
    crowd.gameInput(event("economy.trade.executed", new JsonObject().put("commodity", FOOD).put("buyer", "crowd")
        .put("seller", "crowd").put("quantity", 1000).put("price", 4.0)));
    crowd.gameInput(event("economy.market.cleared", new JsonObject().put("commodity", FOOD).put("price", 40.0)));
    assertEquals(before, crowd.snapshot().encode(), "nothing changed");
    for (long h = 0; h < 3; h++) {
      assertEquals(untouched.step(h).stream().map(CrowdStep.Output::data).toList(),
          crowd.step(h).stream().map(CrowdStep.Output::data).toList());
    }
  }

  /** The publish schema and the crowd's bounds are the same numbers. */
  @Test
  void thePublishSchemaRefusesWhatTheCrowdRefusesItCanKnowWithoutTheWorld() {
    JsonObject ok = subsidy(Crowd.MAX_SUBSIDY_RATE, CrowdStep.MAX_SUBSIDY_DAYS).put("faction", "arasaka");
    assertEquals(List.of(), VALIDATOR.validate(envelope(ok)));
    assertEquals(List.of(), VALIDATOR.validate(envelope(subsidy(0.01, 1))));
    for (JsonObject bad : List.of(subsidy(0, 5), subsidy(Crowd.MAX_SUBSIDY_RATE + 0.01, 5), subsidy(0.3, 0),
        subsidy(0.3, CrowdStep.MAX_SUBSIDY_DAYS + 1), subsidy(0.3, 5).put("days", 1.5),
        subsidy(0.3, 5).put("rate", "0.3"), subsidy(0.3, 5).put("faction", 3), subsidy(0.3, 5).put("extra", 1),
        new JsonObject().put("rate", 0.3).put("days", 5), subsidy(0.3, 5).put("commodity", "Food"))) {
      assertNotEquals(List.of(), VALIDATOR.validate(envelope(bad)), bad.encode());
    }
  }

  private static JsonObject envelope(JsonObject data) {
    return new JsonObject().put("event_id", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b").put("event_type", CrowdStep.SUBSIDY)
        .put("timestamp", "2077-01-05T00:00:00Z").put("version", "1.0.0").put("source", "test").put("data", data);
  }
}
