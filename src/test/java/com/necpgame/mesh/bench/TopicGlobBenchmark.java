package com.necpgame.mesh.bench;

import com.necpgame.mesh.kafka.TopicPatterns;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One topic matched against one subscription's glob (issue 15, finding 5a): the linear matcher ({@code
 * TopicPatterns.matches}, what the delivery router, ACLs and WebSocket streams now run per record) against the regular
 * expression it replaced ({@code *} as {@code .*}, {@code ?} as {@code .}, the rest quoted, as the old {@code
 * TopicPatterns.compile} built it), on typical globs and on the pathological {@code *?} × 124 against a 26-character
 * name. See BENCHMARKS.md.
 * <pre>mvn -B -ntp -q test-compile exec:exec \
 *     -Dexec.args="-cp %classpath org.openjdk.jmh.Main TopicGlobBenchmark -f 1 -wi 3 -i 5 -w 1s -r 1s"</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TopicGlobBenchmark {

  /** glob | topic. */
  @Param({"game.*|game.combat.events", "*.dlq|game.combat.events", "world.tick.?ourly|world.tick.hourly",
      "game.*.events|game.economy.events", "pathological|game.combat.events.region1"})
  String pair;

  private TopicPatterns.Globs glob;
  private Pattern regex;
  private String topic;

  @Setup
  public void compile() {
    String[] parts = pair.split("\\|");
    String text = parts[0].equals("pathological") ? "*?".repeat(124) : parts[0];
    topic = parts[1];
    glob = TopicPatterns.compile(List.of(text));
    StringBuilder old = new StringBuilder();
    for (char c : text.toCharArray()) {
      old.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
    }
    regex = Pattern.compile(old.toString());
  }

  @Benchmark
  public boolean linearGlob() {
    return TopicPatterns.matches(glob, topic);
  }

  @Benchmark
  public boolean backtrackingRegex() {
    return !topic.startsWith("__") && regex.matcher(topic).matches();
  }
}
