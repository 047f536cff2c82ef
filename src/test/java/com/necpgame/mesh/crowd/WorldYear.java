package com.necpgame.mesh.crowd;

import com.necpgame.mesh.config.ConfigLoader;
import com.necpgame.mesh.config.WorldConfig;
import java.util.Map;
import java.util.Optional;

/** Quick stats of a default-world run: {@code WorldYear <population> <days>}. */
public final class WorldYear {
  public static void main(String[] args) {
    WorldConfig world = ConfigLoader.load(Optional.empty(), Map.of()).world();
    int population = Integer.parseInt(args[0]);
    int days = Integer.parseInt(args[1]);
    var stats = new java.util.TreeMap<String, double[]>(); // sum, min, max, hours, withVolume, sumsq
    WorldKernel k = new WorldKernel(world, population, world.crowd().shortageRate()).onClearing(h -> {
      double[] s = stats.computeIfAbsent(h.commodity(), x -> new double[] {0, 1e18, 0, 0, 0, 0});
      s[3]++;
      if (h.price() != null && h.volume() > 0) {
        double p = h.price() / 100.0;
        s[0] += p; s[1] = Math.min(s[1], p); s[2] = Math.max(s[2], p); s[4]++; s[5] += p * p;
      }
      if (h.hour() % 24 == 12 && h.hour() / 24 % 10 == 0 && h.commodity().equals(System.getProperty("watch", "ammo"))) {
        System.out.printf("day %d %s %s vol %d%n", h.hour() / 24, h.commodity(), h.price(), h.volume());
      }
    });
    k.onActivity((t, d) -> {
      if (t.endsWith("combat") || Boolean.getBoolean("all")) {
        System.out.println(k.hour() / 24 + " " + t + " " + d.encode());
      }
    });
    long t0 = System.nanoTime();
    k.runTo(days * 24L);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    stats.forEach((c, s) -> {
      double mean = s[0] / s[4];
      double sd = Math.sqrt(s[5] / s[4] - mean * mean);
      System.out.printf("%-12s ref %7.2f mean %7.2f min %7.2f max %7.2f sd%% %5.1f vol%% %5.1f%n", c,
          world.commodities().get(c) / 100.0, mean, s[1], s[2], 100 * sd / mean, 100 * s[4] / (days * 24.0));
    });
    k.transitions.forEach(t -> System.out.println(t.toJson("x").encode()));
    System.out.printf("crowd %d ms%n", k.crowdNanos / 1_000_000);
    System.out.printf("%d transitions, %d ms (%.1f ms a game day)%n", k.transitions.size(), ms, ms / (double) days);
  }
}
