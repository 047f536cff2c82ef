package com.necpgame.mesh.bench;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The mesh process seen from /proc: resident memory (all, and anonymous only: without the files the embedded
 * broker maps), threads and open file descriptors now and at their peak, and CPU time (user + system).
 */
final class MeshSampler {
  final long pid;
  final long ticksPerSecond = clockTicks();
  final AtomicLong maxRssKb = new AtomicLong();
  final AtomicLong maxAnonKb = new AtomicLong();
  final AtomicLong maxThreads = new AtomicLong();

  MeshSampler(long pid) {
    this.pid = pid;
  }

  void start() {
    Thread sampler = new Thread(() -> {
      while (true) {
        try {
          long[] s = status();
          maxRssKb.accumulateAndGet(s[0], Math::max);
          maxAnonKb.accumulateAndGet(s[1], Math::max);
          maxThreads.accumulateAndGet(s[2], Math::max);
          Thread.sleep(500);
        } catch (Exception e) {
          return;
        }
      }
    }, "mesh-sampler");
    sampler.setDaemon(true);
    sampler.start();
  }

  void resetMax() {
    maxRssKb.set(0);
    maxAnonKb.set(0);
    maxThreads.set(0);
  }

  /** {VmRSS kB, RssAnon kB, Threads}. */
  long[] status() throws IOException {
    long[] out = new long[3];
    for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
      int i = line.startsWith("VmRSS:") ? 0 : line.startsWith("RssAnon:") ? 1 : line.startsWith("Threads:") ? 2 : -1;
      if (i >= 0) {
        out[i] = Long.parseLong(line.replaceAll("\\D", ""));
      }
    }
    return out;
  }

  JsonObject now() {
    try {
      long[] s = status();
      long fds;
      try (Stream<Path> list = Files.list(Path.of("/proc", String.valueOf(pid), "fd"))) {
        fds = list.count();
      }
      return new JsonObject().put("rss_mb", s[0] / 1024).put("anon_mb", s[1] / 1024).put("threads", s[2])
          .put("fds", fds);
    } catch (IOException e) {
      return new JsonObject().put("error", e.toString());
    }
  }

  JsonObject max() {
    return new JsonObject().put("rss_mb", maxRssKb.get() / 1024).put("anon_mb", maxAnonKb.get() / 1024)
        .put("threads", maxThreads.get());
  }

  /** utime + stime from /proc/pid/stat (fields 14 and 15, counted after the command name's closing parenthesis). */
  long cpuTicks() {
    try {
      String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  private static long clockTicks() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      return p.waitFor() == 0 ? Long.parseLong(out) : 100;
    } catch (IOException | InterruptedException | NumberFormatException e) {
      return 100;
    }
  }
}
