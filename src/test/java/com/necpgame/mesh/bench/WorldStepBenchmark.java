package com.necpgame.mesh.bench;

import com.necpgame.mesh.crowd.Crowd;
import com.necpgame.mesh.diplomacy.Relations;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The daily steps on one thread. Diplomacy: 1,000 factions (499,500 pairs) evaluated after 2,000 random trades and
 * combats (goal < 50 ms). Crowd: 1,000,000 agents and 6 commodities stepped and aggregated (an hour; the
 * goal was < 1 s for what was a day's step).
 * <pre>mvn -B -ntp -q test-compile exec:exec -Dexec.args="-cp %classpath org.openjdk.jmh.Main WorldStepBenchmark"</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 10, time = 2)
@Fork(value = 1, jvmArgs = {"-Xmx2g"})
public class WorldStepBenchmark {

  private Relations relations;
  private List<String> factions;
  private Crowd crowd;
  private final long[] prices = {400, 200, 1200, 2500, 4000, 12000};
  private final boolean[] wars = new boolean[8];
  private long day;
  private SplittableRandom random;

  @Setup(Level.Trial)
  public void build() {
    factions = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      factions.add("f" + i);
    }
    relations = new Relations(factions, Relations.DEFAULTS);
    crowd = new Crowd(List.of("food", "water", "fuel", "ammo", "medicine", "electronics"), prices, 8, 1_000_000, 1, 0.1);
    wars[2] = true;
    random = new SplittableRandom(3);
  }

  @Setup(Level.Invocation)
  public void inputs() {
    for (int i = 0; i < 1000; i++) {
      relations.trade(factions.get(random.nextInt(1000)), factions.get(random.nextInt(1000)), random.nextDouble() * 1e4);
      relations.combat(factions.get(random.nextInt(1000)), factions.get(random.nextInt(1000)), random.nextDouble() * 5);
    }
  }

  @Benchmark
  public Object diplomacyDay() {
    return relations.step(day++);
  }

  @Benchmark
  public Object crowdHour() {
    long hour = day++;
    return crowd.step(hour, prices, new long[6], new long[6], new long[6], wars);
  }
}
