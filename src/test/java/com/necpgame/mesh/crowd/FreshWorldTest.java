package com.necpgame.mesh.crowd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.config.ConfigLoader;
import com.necpgame.mesh.config.WorldConfig;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * A fresh default world's first hours, as the kernels see them ({@link WorldKernel}): the crowd's first step (the
 * current hour the tick emitter emits at once on a fresh world) orders both sides of every commodity, so the next
 * hour's clearing prices every commodity with volume. With the default clock (a game hour per real minute) that is
 * the first price within about a real minute of the first tick.
 */
class FreshWorldTest {

  private static final WorldConfig WORLD = ConfigLoader.load(Optional.empty(), Map.of()).world();

  @Test
  void theCrowdsFirstHourOrdersEveryCommodityAndTheNextClearingPricesEachWithVolume() {
    WorldKernel world = new WorldKernel(WORLD, WORLD.crowd().population(), WORLD.crowd().shortageRate());
    Map<Long, Map<String, WorldKernel.Hour>> byHour = new TreeMap<>();
    world.onClearing(h -> byHour.computeIfAbsent(h.hour(), k -> new TreeMap<>()).put(h.commodity(), h));
    Set<String> buys = new TreeSet<>();
    Set<String> sells = new TreeSet<>();
    for (CrowdStep.Output o : CrowdStep.fresh(world.commodities, WORLD.commodities().values().stream()
        .mapToLong(Long::longValue).toArray(), world.factions, WORLD.crowd().population(), WORLD.crowd().seed(),
        WORLD.crowd().shortageRate()).step(1000)) {
      if (o.order() != null) {
        (o.order().side() == com.necpgame.mesh.market.Order.Side.BUY ? buys : sells)
            .add(o.data().getString("commodity"));
      }
    }
    assertEquals(WORLD.commodities().keySet(), buys, "a fresh crowd's first hour buys every commodity");
    assertEquals(WORLD.commodities().keySet(), sells, "and sells every commodity");

    world.runTo(2); // hour 0: nothing to clear yet, the crowd orders; hour 1: the market clears those orders
    assertTrue(!byHour.containsKey(0L), "nothing was open at the first hour: " + byHour.get(0L));
    Map<String, WorldKernel.Hour> first = byHour.get(1L);
    assertNotNull(first, "the second hour cleared");
    assertEquals(WORLD.commodities().keySet(), first.keySet());
    first.values().forEach(h -> {
      assertNotNull(h.price(), h.commodity() + " has a price");
      assertTrue(h.volume() > 0, h.commodity() + " traded: " + h);
      long cost = WORLD.commodities().get(h.commodity());
      assertTrue(h.price() >= 0.75 * cost && h.price() <= 1.25 * cost, h + " within a quarter of its cost " + cost);
      System.out.printf("first clearing of a fresh world: %-12s %6.2f (cost %6.2f), volume %,d%n", h.commodity(),
          h.price() / 100.0, cost / 100.0, h.volume());
    });
  }
}
