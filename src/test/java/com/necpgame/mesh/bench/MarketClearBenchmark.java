package com.necpgame.mesh.bench;

import com.necpgame.mesh.market.Clearing;
import com.necpgame.mesh.market.Market;
import com.necpgame.mesh.market.Order;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One hourly clearing of the whole market on one thread ({@code Market.clearAll}): 10,000 commodities holding
 * 1,000,000 orders (buys and sells with limits uniform between 90.00 and 110.00, 5% market orders, quantities 1 to
 * 500), including every fill (513,591 of them) and the books' clean-up after. Goal: under 300 ms. See BENCHMARKS.md.
 * <pre>mvn -B -ntp -q test-compile exec:exec \
 *     -Dexec.args="-cp %classpath org.openjdk.jmh.Main MarketClearBenchmark -f 1 -wi 3 -i 5"</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5)
@Measurement(iterations = 10)
@Fork(value = 1, jvmArgs = {"-Xmx4g"})
public class MarketClearBenchmark {

  @Param({"10000"})
  int commodities;

  @Param({"1000000"})
  int orders;

  private Market market;

  /**
   * A fresh market for every invocation (not measured): the same 1,000,000 orders each time, then a full collection
   * so the garbage of building it is not collected during the clearing that is measured.
   */
  @Setup(Level.Invocation)
  public void fill() {
    market = new Market(Map.of());
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < orders; i++) {
      String commodity = "c" + random.nextInt(commodities);
      Order.Side side = random.nextBoolean() ? Order.Side.BUY : Order.Side.SELL;
      boolean marketOrder = random.nextInt(20) == 0;
      long limit = 9_000 + random.nextInt(2_000);
      long quantity = 1 + random.nextInt(500);
      String id = "o" + i;
      String owner = "owner" + (i % 1000);
      market.add(commodity, marketOrder ? Order.market(id, owner, side, quantity)
          : Order.limit(id, owner, side, limit, quantity));
    }
    System.gc();
  }

  @Benchmark
  public List<Clearing> clearAll() {
    return market.clearAll(1);
  }
}
