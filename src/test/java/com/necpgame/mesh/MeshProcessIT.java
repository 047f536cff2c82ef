package com.necpgame.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged jar as a user runs it: {@code java -jar target/event-mesh.jar}, no configuration. */
class MeshProcessIT {

  private static final Path JAR = Path.of(System.getProperty("mesh.jar", "target/event-mesh.jar"));
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @TempDir
  Path workDir;

  @Test
  void jarWithNoConfigAnswersReadyWithin30SecondsAndStopsCleanlyOnSigterm() throws Exception {
    Map<String, String> env = portsIfDefaultsTaken();
    int port = Integer.parseInt(env.getOrDefault("MESH_HTTP_PORT", "8080"));
    for (int run = 1; run <= 2; run++) { // the second run reuses the data directories of the first
      Path log = workDir.resolve("run" + run + ".log");
      Process mesh = start(env, log);
      try {
        long started = System.nanoTime();
        HttpResponse<String> ready = awaitReady(mesh, port, Duration.ofSeconds(30), log);
        long ms = (System.nanoTime() - started) / 1_000_000;
        System.out.printf("mesh run %d: /ready answered 200 after %d ms%n", run, ms);
        assertTrue(ready.body().contains("\"kafka\":{\"status\":\"UP\"}"), ready.body());
        assertTrue(ready.body().contains("\"database\":{\"status\":\"UP\"}"), ready.body());
        assertEquals(200, get(port, "/health").statusCode());
      } finally {
        mesh.destroy(); // SIGTERM
      }
      assertTrue(mesh.waitFor(60, TimeUnit.SECONDS), "stopped within 60 s");
      String output = Files.readString(log);
      assertEquals(0, mesh.exitValue(), output);
      assertTrue(output.contains("stopped in"), output);
    }
    assertTrue(Files.exists(workDir.resolve("data/kafka/logs/meta.properties")));
    assertTrue(Files.exists(workDir.resolve("data/postgres/PG_VERSION")));
  }

  @Test
  void invalidSettingStopsStartUpWithExitCode2NamingTheKeyBeforeAnythingOpens() throws Exception {
    Path log = workDir.resolve("bad.log");
    Process mesh = start(Map.of("MESH_HTTP_PORT", "eighty"), log);
    assertTrue(mesh.waitFor(60, TimeUnit.SECONDS));
    String output = Files.readString(log);
    assertEquals(2, mesh.exitValue(), output);
    assertTrue(output.contains("http.port: expected an integer from 0 to 65535, got \"eighty\""), output);
    assertFalse(Files.exists(workDir.resolve("data")), "nothing was opened or created");
  }

  @Test
  void unknownCommandLineArgumentIsExitCode2() throws Exception {
    Path log = workDir.resolve("args.log");
    Process mesh = new ProcessBuilder(java(), "-jar", JAR.toAbsolutePath().toString(), "--confg", "x.json")
        .directory(workDir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(mesh.waitFor(60, TimeUnit.SECONDS));
    assertEquals(2, mesh.exitValue());
    assertTrue(Files.readString(log).contains("usage: java -jar event-mesh.jar"));
  }

  private Process start(Map<String, String> env, Path log) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(java(), "-jar", JAR.toAbsolutePath().toString())
        .directory(workDir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("MESH_"));
    pb.environment().putAll(env);
    return pb.start();
  }

  private static String java() {
    return ProcessHandle.current().info().command().orElse("java");
  }

  /** No configuration at all where 8080 and 9092 are free; else only the ports move, nothing else. */
  private static Map<String, String> portsIfDefaultsTaken() throws IOException {
    Map<String, String> env = new HashMap<>();
    if (!free(8080)) {
      env.put("MESH_HTTP_PORT", String.valueOf(anyPort()));
    }
    if (!free(9092)) {
      env.put("MESH_KAFKA_EMBEDDED_PORT", String.valueOf(anyPort()));
    }
    return env;
  }

  private static boolean free(int port) {
    try {
      new ServerSocket(port).close();
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static int anyPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static HttpResponse<String> awaitReady(Process mesh, int port, Duration limit, Path log) throws Exception {
    long deadline = System.nanoTime() + limit.toNanos();
    List<String> seen = new ArrayList<>();
    while (System.nanoTime() < deadline) {
      if (!mesh.isAlive()) {
        throw new AssertionError("the mesh exited with " + mesh.exitValue() + ":\n" + Files.readString(log));
      }
      try {
        HttpResponse<String> r = get(port, "/ready");
        if (r.statusCode() == 200) {
          return r;
        }
        seen.add(r.statusCode() + " " + r.body());
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new AssertionError("/ready did not answer 200 within " + limit + " (" + seen + "):\n" + Files.readString(log));
  }

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
