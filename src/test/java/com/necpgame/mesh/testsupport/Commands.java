package com.necpgame.mesh.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Programs a test runs (node, npm): whether they are installed, and running one to its end. */
public final class Commands {

  private Commands() {}

  public static boolean onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }

  /** Runs a command in {@code dir}; its standard output lines, or an assertion error with both outputs. */
  public static List<String> run(Path dir, int seconds, String... command) throws IOException, InterruptedException {
    Path err = Files.createTempFile("command", ".err");
    try {
      Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectError(err.toFile()).start();
      List<String> out = new ArrayList<>();
      Thread reader = new Thread(() -> new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8)).lines().forEach(out::add));
      reader.start();
      if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        throw new AssertionError(String.join(" ", command) + " did not finish in " + seconds + " s");
      }
      reader.join(10_000);
      assertEquals(0, process.exitValue(), String.join(" ", command) + " failed:\n" + String.join("\n", out) + "\n"
          + Files.readString(err));
      return out;
    } finally {
      Files.deleteIfExists(err);
    }
  }
}
