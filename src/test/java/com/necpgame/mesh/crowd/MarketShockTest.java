package com.necpgame.mesh.crowd;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.config.ConfigLoader;
import com.necpgame.mesh.config.WorldConfig;
import com.necpgame.mesh.market.Order;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Issue 19's shocks besides a war and a shortage: a large order, as a trader would place it with {@code POST
 * /market/orders} (good till cancelled, far from the price), in the default world's kernels ({@link WorldKernel}) at
 * the test size of {@link WorldYearTest} with no random shortages. A buy of a whole day of the crowd's consumption of
 * food (one unit per citizen) at three times its cost, or a sell of as much at a third of it, placed after 30 game days
 * of equilibrium: the price moves visibly within the first game day, the order is filled, and from {@value
 * #RECOVERY_DAYS} game days after it on every day's mean price is back within 5 % of the week before the order.
 */
class MarketShockTest {

  private static final WorldConfig WORLD = ConfigLoader.load(Optional.empty(), Map.of()).world();
  private static final String FOOD = "food";
  private static final int ORDER_DAY = 30;
  private static final int RECOVERY_DAYS = 10;
  private static final int DAYS = ORDER_DAY + 30;

  @Test
  void aLargeBuyOrderRaisesThePriceAtOnceAndItRecoversWithinTenDays() {
    double[] days = shock(Order.Side.BUY);
    assertTrue(days[ORDER_DAY] >= 1.5 * baseline(days), "the first day's mean rose by half at least: "
        + days[ORDER_DAY] + " vs " + baseline(days));
    recovered(days);
  }

  @Test
  void aLargeSellOrderLowersThePriceAtOnceAndItRecoversWithinTenDays() {
    double[] days = shock(Order.Side.SELL);
    assertTrue(days[ORDER_DAY] <= baseline(days) / 1.5, "the first day's mean fell by a third at least: "
        + days[ORDER_DAY] + " vs " + baseline(days));
    recovered(days);
  }

  /** Runs the world with the large order placed at the start of {@link #ORDER_DAY}; answers food's daily means. */
  private static double[] shock(Order.Side side) {
    WorldKernel world = new WorldKernel(WORLD, WorldYearTest.POPULATION, 0);
    double[] sum = new double[DAYS];
    int[] count = new int[DAYS];
    world.onClearing(h -> {
      if (h.commodity().equals(FOOD) && h.volume() > 0) {
        sum[(int) (h.hour() / 24)] += h.price();
        count[(int) (h.hour() / 24)]++;
      }
    });
    world.runTo(ORDER_DAY * 24L);
    long cost = WORLD.commodities().get(FOOD);
    long quantity = WorldYearTest.POPULATION; // a day of the crowd's consumption
    world.market.add(FOOD, Order.limit("large", "trader", side, side == Order.Side.BUY ? 3 * cost : cost / 3,
        quantity));
    world.runTo(DAYS * 24L);
    assertNull(world.market.get(FOOD, "large"), "the large order was filled");
    double[] days = new double[DAYS];
    StringBuilder figures = new StringBuilder();
    for (int d = 0; d < DAYS; d++) {
      days[d] = count[d] == 0 ? Double.NaN : sum[d] / count[d] / 100;
      if (d >= ORDER_DAY - 1 && d <= ORDER_DAY + RECOVERY_DAYS + 2) {
        figures.append(String.format(" d%+d %.2f", d - ORDER_DAY, days[d]));
      }
    }
    System.out.printf("large %s of %,d food (cost %.2f) on day %d: week before %.2f; daily means%s%n", side, quantity,
        cost / 100.0, ORDER_DAY, baseline(days), figures);
    return days;
  }

  /** The mean of the daily means of the week before the order. */
  private static double baseline(double[] days) {
    double s = 0;
    for (int d = ORDER_DAY - 7; d < ORDER_DAY; d++) {
      s += days[d];
    }
    return s / 7;
  }

  private static void recovered(double[] days) {
    double base = baseline(days);
    for (int d = ORDER_DAY + RECOVERY_DAYS; d < DAYS; d++) {
      assertTrue(Math.abs(days[d] - base) <= 0.05 * base, "day " + (d - ORDER_DAY) + " after the order: " + days[d]
          + ", the week before " + base);
    }
  }
}
