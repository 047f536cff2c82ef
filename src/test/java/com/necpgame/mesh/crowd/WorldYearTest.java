package com.necpgame.mesh.crowd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.config.ConfigLoader;
import com.necpgame.mesh.config.WorldConfig;
import com.necpgame.mesh.diplomacy.Relations;
import com.necpgame.mesh.diplomacy.State;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The default world's crowd, market and diplomacy kernels driven hour by hour ({@link WorldKernel}), at a test size of
 * {@value #POPULATION} citizens (the default is 100,000; BENCHMARKS.md has the year at that size): the market finds an
 * equilibrium and stays near it, a war moves the war goods' prices and they recover, and the world makes its own
 * diplomacy, the same every run.
 */
class WorldYearTest {

  static final int POPULATION = 5_000;
  private static final WorldConfig WORLD = ConfigLoader.load(Optional.empty(), Map.of()).world();

  /** Hourly prices (cents, null: no volume) of each commodity over a run. */
  private static Map<String, Long[]> prices(WorldKernel world, int days) {
    Map<String, Long[]> out = new TreeMap<>();
    WORLD.commodities().keySet().forEach(c -> out.put(c, new Long[days * 24]));
    world.onClearing(h -> out.get(h.commodity())[(int) h.hour()] = h.volume() > 0 ? h.price() : null);
    return out;
  }

  @Test
  void aYearOfTheDefaultWorldClearsEveryHourNearItsCostsAndMoves() {
    int days = 365;
    WorldKernel world = new WorldKernel(WORLD, POPULATION, WORLD.crowd().shortageRate());
    Map<String, Long[]> prices = prices(world, days);
    long started = System.nanoTime();
    world.runTo(days * 24L);
    System.out.printf("a year of the default world (%,d citizens): %d ms, %d diplomacy transitions%n", POPULATION,
        (System.nanoTime() - started) / 1_000_000, world.transitions.size());
    prices.forEach((commodity, hourly) -> {
      double reference = WORLD.commodities().get(commodity);
      int withVolume = 0;
      double sum = 0;
      double squares = 0;
      for (Long p : hourly) {
        if (p != null) {
          withVolume++;
          sum += p;
          squares += (double) p * p;
          assertTrue(p >= 0.25 * reference && p <= 4 * reference, commodity + " at " + p + " cents, reference "
              + reference);
        }
      }
      double share = withVolume / (double) hourly.length;
      double mean = sum / withVolume;
      double sd = Math.sqrt(Math.max(0, squares / withVolume - mean * mean));
      System.out.printf("%-12s mean %8.2f sd %6.2f%% hours with volume %5.1f%%%n", commodity, mean / 100,
          100 * sd / mean, 100 * share);
      assertTrue(share >= 0.9, commodity + " cleared with volume in " + share + " of its hours");
      assertTrue(sd >= 0.02 * mean, commodity + " moved: sd " + sd + " of a mean of " + mean);
    });
  }

  @Test
  void aWarRaisesAmmoAndMedicineWithinThreeDaysAndTheyRecoverWithinThirtyDaysOfPeace() {
    int days = 130;
    WorldKernel world = new WorldKernel(WORLD, POPULATION, 0);
    Map<String, Long[]> prices = prices(world, days);
    world.runTo(30 * 24);
    for (int day = 30; day < 50; day++) { // a game server reports fighting between arasaka and militech
      world.gameServer("world.faction.combat", new JsonObject().put("faction_a", "arasaka")
          .put("faction_b", "militech").put("intensity", 20));
      world.runTo((day + 1) * 24L);
    }
    world.runTo(days * 24L);
    List<Relations.Transition> pair = world.transitions.stream()
        .filter(t -> t.a().equals("arasaka") && t.b().equals("militech")).toList();
    Relations.Transition war = pair.stream().filter(t -> t.to() == State.WAR).findFirst().orElse(null);
    assertNotNull(war, "the fighting made a war: " + pair);
    Relations.Transition peace = pair.stream().filter(t -> t.from() == State.WAR).findFirst().orElse(null);
    assertNotNull(peace, "and it ended: " + pair);
    int start = (int) war.day();
    int end = (int) peace.day();
    assertTrue(end + 30 < days, "the run goes 30 days past the peace of day " + end);
    for (String commodity : List.of("ammo", "medicine")) {
      Long[] hourly = prices.get(commodity);
      double before = mean(hourly, start - 7, start);
      double firstDays = mean(hourly, start + 1, start + 4);
      double later = mean(hourly, end + 25, end + 30);
      System.out.printf("%s: %.2f before the war (day %d), %.2f in its first 3 days, peace on day %d, %.2f 25-30 days"
          + " later%n", commodity, before / 100, start, firstDays / 100, end, later / 100);
      assertTrue(firstDays >= 1.05 * before, commodity + " rose within 3 days of the war: " + before + " -> "
          + firstDays);
      assertTrue(Math.abs(later - before) <= 0.05 * before, commodity + " came back within 30 days of peace: "
          + before + " -> " + later);
    }
  }

  /** The mean price over days [from, to). */
  private static double mean(Long[] hourly, int from, int to) {
    double sum = 0;
    int count = 0;
    for (int h = from * 24; h < to * 24; h++) {
      if (hourly[h] != null) {
        sum += hourly[h];
        count++;
      }
    }
    return sum / count;
  }

  @Test
  void withoutGameServersTheWorldMakesItsOwnDiplomacyTheSameEveryRun() {
    WorldKernel one = new WorldKernel(WORLD, POPULATION, WORLD.crowd().shortageRate());
    WorldKernel two = new WorldKernel(WORLD, POPULATION, WORLD.crowd().shortageRate());
    one.runTo(120 * 24);
    two.runTo(120 * 24);
    System.out.printf("transitions in the first 120 days: %s%n", one.transitions.stream()
        .map(t -> t.day() + " " + t.a() + "|" + t.b() + " " + t.from() + ">" + t.to()).toList());
    assertTrue(one.transitions.size() >= 2, "at least two transitions: " + one.transitions);
    assertEquals(one.digest(), two.digest(), "every output the same, byte for byte");
    WorldKernel other = new WorldKernel(WORLD, POPULATION, WORLD.crowd().seed() + 1, WORLD.crowd().shortageRate());
    other.runTo(24);
    WorldKernel first = new WorldKernel(WORLD, POPULATION, WORLD.crowd().shortageRate());
    first.runTo(24);
    assertTrue(!other.digest().equals(first.digest()), "another seed, another world");
  }
}
