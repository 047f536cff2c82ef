package com.necpgame.mesh.crowd;

import com.necpgame.mesh.config.ConfigLoader;
import com.necpgame.mesh.config.WorldConfig;
import com.necpgame.mesh.diplomacy.State;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import javax.imageio.ImageIO;

/**
 * BENCHMARKS.md's figures of the default world over a year: per commodity mean, min, max price and the share of hours
 * with volume, the diplomacy transitions, the CPU time a game day takes (crowd, 24 clearings, diplomacy) and a PNG of
 * the year's daily mean prices (each over its cost) with the wars marked.
 * <pre>mvn -B -ntp -q test-compile exec:exec -Dexec.classpathScope=test \
 *   -Dexec.args="-Djava.awt.headless=true -cp %classpath com.necpgame.mesh.crowd.WorldFigures 100000 365 docs/world-year.png"</pre>
 */
public final class WorldFigures {

  private static final Color[] COLORS = {new Color(0xd62728), new Color(0x1f77b4), new Color(0x2ca02c),
      new Color(0xff7f0e), new Color(0x9467bd), new Color(0x17becf)};

  public static void main(String[] args) throws Exception {
    System.setProperty("java.awt.headless", "true");
    WorldConfig world = ConfigLoader.load(Optional.empty(), Map.of()).world();
    int population = args.length > 0 ? Integer.parseInt(args[0]) : world.crowd().population();
    int days = args.length > 1 ? Integer.parseInt(args[1]) : 365;
    File png = new File(args.length > 2 ? args[2] : "docs/world-year.png");
    Map<String, double[]> daily = new TreeMap<>(); // sum of prices with volume per day, then the mean
    Map<String, int[]> counts = new TreeMap<>();
    Map<String, double[]> stats = new TreeMap<>(); // min, max, sum, hours with volume
    world.commodities().keySet().forEach(c -> {
      daily.put(c, new double[days]);
      counts.put(c, new int[days]);
      stats.put(c, new double[] {Double.MAX_VALUE, 0, 0, 0});
    });
    WorldKernel kernel = new WorldKernel(world, population, world.crowd().shortageRate()).onClearing(h -> {
      if (h.price() != null && h.volume() > 0) {
        double p = h.price() / 100.0;
        int d = (int) (h.hour() / 24);
        daily.get(h.commodity())[d] += p;
        counts.get(h.commodity())[d]++;
        double[] s = stats.get(h.commodity());
        s[0] = Math.min(s[0], p);
        s[1] = Math.max(s[1], p);
        s[2] += p;
        s[3]++;
      }
    });
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long cpu = threads.getCurrentThreadCpuTime();
    long wall = System.nanoTime();
    kernel.runTo(days * 24L);
    double cpuMsPerDay = (threads.getCurrentThreadCpuTime() - cpu) / 1e6 / days;
    double wallMsPerDay = (System.nanoTime() - wall) / 1e6 / days;
    System.out.printf("%,d citizens, %d game days: %.1f ms CPU a game day (%.1f ms wall), crowd alone %.1f ms wall%n",
        population, days, cpuMsPerDay, wallMsPerDay, kernel.crowdNanos / 1e6 / days);
    System.out.printf("fastest clock kept up with on one core: %.0f game seconds a real second (a game day in %.1f ms)%n",
        86_400_000 / cpuMsPerDay, cpuMsPerDay);
    long bytes = 0;
    long snapStart = threads.getCurrentThreadCpuTime();
    for (int i = 0; i < 5; i++) {
      bytes = kernel.crowd.snapshot().encode().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }
    double snapMs = (threads.getCurrentThreadCpuTime() - snapStart) / 1e6 / 5;
    System.out.printf("the crowd's state record (written each game hour by the mesh): %,d bytes, %.1f ms CPU to encode;"
        + " with it a game day takes %.1f ms CPU: %.0f game seconds a real second at most%n", bytes, snapMs,
        cpuMsPerDay + 24 * snapMs, 86_400_000 / (cpuMsPerDay + 24 * snapMs));
    System.out.println("| commodity | cost | mean | min | max | hours with volume |");
    System.out.println("|---|---|---|---|---|---|");
    stats.forEach((c, s) -> System.out.printf("| %s | %.2f | %.2f | %.2f | %.2f | %.1f %% |%n", c,
        world.commodities().get(c) / 100.0, s[2] / s[3], s[0], s[1], 100 * s[3] / (days * 24.0)));
    long wars = kernel.transitions.stream().filter(t -> t.to() == State.WAR).count();
    System.out.printf("diplomacy transitions: %d (%d into WAR)%n", kernel.transitions.size(), wars);
    kernel.transitions.forEach(t -> System.out.println("  day " + t.day() + " " + t.a() + "|" + t.b() + " " + t.from()
        + " -> " + t.to() + " (" + t.reason() + ")"));
    List<int[]> warDays = new ArrayList<>();
    kernel.transitions.stream().filter(t -> t.to() == State.WAR).forEach(t -> warDays.add(new int[] {(int) t.day(),
        kernel.transitions.stream().filter(e -> e.a().equals(t.a()) && e.b().equals(t.b()) && e.from() == State.WAR
            && e.day() > t.day()).mapToInt(e -> (int) e.day()).findFirst().orElse(days)}));
    draw(png, world, daily, counts, warDays, days, population);
    System.out.println("wrote " + png);
  }

  private static void draw(File png, WorldConfig world, Map<String, double[]> daily, Map<String, int[]> counts,
      List<int[]> wars, int days, int population) throws Exception {
    int width = 1200;
    int height = 500;
    int left = 60;
    int right = 170;
    int top = 40;
    int bottom = 50;
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, width, height);
    double lo = 0.5;
    double hi = 1.8;
    int plotW = width - left - right;
    int plotH = height - top - bottom;
    g.setColor(new Color(255, 225, 225));
    for (int[] w : wars) {
      int x0 = left + w[0] * plotW / days;
      int x1 = left + Math.min(days, w[1]) * plotW / days;
      g.fillRect(x0, top, Math.max(1, x1 - x0), plotH);
    }
    g.setColor(Color.LIGHT_GRAY);
    for (double v = 0.6; v <= hi + 1e-9; v += 0.2) {
      int y = top + (int) ((hi - v) / (hi - lo) * plotH);
      g.drawLine(left, y, left + plotW, y);
      g.setColor(Color.DARK_GRAY);
      g.drawString(String.format("%.1f", v), 20, y + 4);
      g.setColor(Color.LIGHT_GRAY);
    }
    for (int d = 0; d <= days; d += 30) {
      int x = left + d * plotW / days;
      g.drawLine(x, top, x, top + plotH);
      g.setColor(Color.DARK_GRAY);
      g.drawString(String.valueOf(d), x - 8, top + plotH + 18);
      g.setColor(Color.LIGHT_GRAY);
    }
    g.setColor(Color.BLACK);
    g.drawRect(left, top, plotW, plotH);
    g.drawString(String.format("Default world, %,d citizens: daily mean clearing price / production cost over %d game"
        + " days (red bands: wars)", population, days), left, 24);
    g.drawString("game day", left + plotW / 2 - 20, height - 12);
    g.setStroke(new BasicStroke(1.6f));
    int i = 0;
    for (String c : daily.keySet()) {
      g.setColor(COLORS[i % COLORS.length]);
      double cost = world.commodities().get(c) / 100.0;
      int px = -1;
      int py = -1;
      for (int d = 0; d < days; d++) {
        if (counts.get(c)[d] == 0) {
          continue;
        }
        double v = daily.get(c)[d] / counts.get(c)[d] / cost;
        int x = left + d * plotW / days;
        int y = top + (int) ((hi - Math.max(lo, Math.min(hi, v))) / (hi - lo) * plotH);
        if (px >= 0) {
          g.drawLine(px, py, x, y);
        }
        px = x;
        py = y;
      }
      g.drawLine(left + plotW + 15, top + 20 + i * 22, left + plotW + 40, top + 20 + i * 22);
      g.setColor(Color.BLACK);
      g.drawString(c + String.format(" (%.2f)", cost), left + plotW + 46, top + 24 + i * 22);
      i++;
    }
    g.dispose();
    png.getAbsoluteFile().getParentFile().mkdirs();
    ImageIO.write(image, "png", png);
  }
}
