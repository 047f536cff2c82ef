package com.necpgame.mesh.bench;

import com.necpgame.mesh.testsupport.KillNine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Ten (or {@code args[0]}) kill -9 cycles of the packaged jar while {@code args[1]} (8) HTTP clients publish: in
 * each, the mesh starts, is killed with SIGKILL after {@code args[2]} (2000) more acknowledgements, and every event id
 * on its topic is read back. With {@code args[3]} {@code embedded} the jar runs its own broker and PostgreSQL (the
 * default deployment): they die with it, and the events are read after the mesh started again on the same data. Prints acknowledged vs found per cycle and the totals for RELIABILITY.md. Needs {@code
 * target/event-mesh.jar}; uses the test broker and database of {@code TestKafka} / {@code TestDatabase}. Run: {@code
 * mvn -B -ntp -q exec:exec -Dexec.args="-Dmesh.jar=target/event-mesh.jar -cp %classpath
 * com.necpgame.mesh.bench.KillNineBenchmark 10 8 2000 [embedded]"}
 */
public final class KillNineBenchmark {

  public static void main(String[] args) throws Exception {
    int cycles = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int clients = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    int acks = args.length > 2 ? Integer.parseInt(args[2]) : 2000;
    boolean embedded = args.length > 3 && args[3].equals("embedded");
    Path dir = Files.createTempDirectory("kill9-bench");
    List<KillNine.Cycle> results = new ArrayList<>();
    for (int i = 1; i <= cycles; i++) {
      KillNine.Cycle c = embedded ? KillNine.runEmbedded("kill9-" + i, dir.resolve("cycle" + i), clients, acks)
          : KillNine.run("kill9-" + i, dir.resolve("cycle" + i), clients, acks);
      results.add(c);
      System.out.printf("| %d | %d | %d | %d | %d | %s |%n", i, c.acked(), c.acked() - c.lost(), c.lost(),
          c.duplicated(), c.foundUnacked());
    }
    long acked = results.stream().mapToLong(KillNine.Cycle::acked).sum();
    long lost = results.stream().mapToLong(KillNine.Cycle::lost).sum();
    long duplicated = results.stream().mapToLong(KillNine.Cycle::duplicated).sum();
    System.out.printf("%s broker, %d cycles, %d clients: acknowledged %d, found in Kafka %d, lost %d, duplicated %d%n", embedded ? "embedded" : "external", cycles,
        clients, acked, acked - lost, lost, duplicated);
    try (Stream<Path> paths = Files.walk(dir)) { // the cycles' Kafka and PostgreSQL data: hundreds of MB
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    System.exit(lost == 0 && duplicated == 0 ? 0 : 1);
  }
}
