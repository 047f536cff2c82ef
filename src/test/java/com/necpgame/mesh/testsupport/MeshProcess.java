package com.necpgame.mesh.testsupport;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** The packaged jar run as a process of its own, with a config file: to kill -9, pause (SIGSTOP) and resume it. */
public final class MeshProcess implements AutoCloseable {

  private static final Path JAR = Path.of(System.getProperty("mesh.jar", "target/event-mesh.jar"));
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final String name;
  private final Process process;
  private final Path log;
  private final int port;

  private MeshProcess(String name, Process process, Path log, int port) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.port = port;
  }

  /** Starts the jar in {@code dir} with {@code config} (its http.port is set here) and waits for {@code /ready}. */
  public static MeshProcess start(String name, Path dir, JsonObject config) throws Exception {
    return start(name, dir, config, TestMesh.freePort());
  }

  private static MeshProcess start(String name, Path dir, JsonObject config, int port) throws Exception {
    Files.createDirectories(dir);
    Path file = dir.resolve("mesh.json");
    Files.writeString(file, config.copy().put("http", new JsonObject().put("host", "127.0.0.1").put("port", port))
        .put("data_dir", dir.resolve("data").toString()).encodePrettily());
    Path log = dir.resolve("mesh.log");
    ProcessBuilder pb = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-Xmx256m",
        "-jar", JAR.toAbsolutePath().toString(), "-conf", file.toString())
        .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("MESH_"));
    MeshProcess mesh = new MeshProcess(name, pb.start(), log, port);
    try {
      mesh.awaitReady(Duration.ofSeconds(60));
    } catch (AssertionError | Exception e) {
      mesh.process.destroyForcibly(); // a process that never became ready is nobody's to close: it would outlive the run
      throw e;
    }
    return mesh;
  }

  /** What {@link #startAll} starts: the arguments of {@link #start}. */
  public record Spec(String name, Path dir, JsonObject config) {
  }

  /**
   * Starts every process at once and waits until each is ready, in the order given: a JVM's start-up waits on
   * connections and the disk as much as on the CPU, so several start in less time together than one after the other.
   * When one does not become ready, those that did are closed and its failure is thrown.
   */
  public static java.util.List<MeshProcess> startAll(Spec... specs) throws Exception {
    java.util.concurrent.ExecutorService starting = java.util.concurrent.Executors.newFixedThreadPool(specs.length);
    java.util.List<java.util.concurrent.Future<MeshProcess>> futures = new java.util.ArrayList<>();
    // a port each, all different: a free port found twice before either process binds it would be given to both
    java.util.Set<Integer> ports = new java.util.LinkedHashSet<>();
    while (ports.size() < specs.length) {
      ports.add(TestMesh.freePort());
    }
    java.util.Iterator<Integer> port = ports.iterator();
    try {
      for (Spec spec : specs) {
        int own = port.next();
        futures.add(starting.submit(() -> start(spec.name(), spec.dir(), spec.config(), own)));
      }
      java.util.List<MeshProcess> started = new java.util.ArrayList<>();
      Throwable failure = null;
      for (java.util.concurrent.Future<MeshProcess> f : futures) {
        try {
          started.add(f.get());
        } catch (java.util.concurrent.ExecutionException e) {
          if (failure == null) {
            failure = e.getCause();
          } else {
            failure.addSuppressed(e.getCause());
          }
        }
      }
      if (failure != null) {
        for (MeshProcess m : started) {
          m.close();
        }
        if (failure instanceof Error error) {
          throw error; // a process not ready in time: the AssertionError start throws
        }
        throw (Exception) failure;
      }
      return started;
    } finally {
      starting.shutdown();
    }
  }

  /** Closes every process at once: SIGTERM to each, then each awaited as {@link #close} awaits one. */
  public static void closeAll(java.util.List<MeshProcess> meshes) throws Exception {
    for (MeshProcess m : meshes) {
      if (m.process.isAlive()) {
        m.process.destroy();
      }
    }
    for (MeshProcess m : meshes) {
      if (!m.process.waitFor(60, TimeUnit.SECONDS)) {
        m.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  private void awaitReady(Duration limit) throws Exception {
    long deadline = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError(name + " exited with " + process.exitValue() + ":\n" + Files.readString(log));
      }
      try {
        if (get("/ready").statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new AssertionError(name + ": /ready did not answer 200 within " + limit + ":\n" + Files.readString(log));
  }

  public String name() {
    return name;
  }

  public int port() {
    return port;
  }

  public HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
  }

  public HttpResponse<String> post(String path, JsonObject body, String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("content-type", "application/json").timeout(Duration.ofSeconds(10))
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A Prometheus gauge or counter of this process, or NaN when it does not answer (paused, dead). */
  public double metric(String line) {
    try {
      for (String l : get("/metrics").body().split("\n")) {
        if (l.startsWith(line + " ")) {
          return Double.parseDouble(l.substring(line.length() + 1).trim());
        }
      }
      return Double.NaN;
    } catch (IOException | InterruptedException e) {
      return Double.NaN;
    }
  }

  public void signal(String signal) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(process.pid())).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed");
    }
  }

  /** The exit code once the process ended, failing after {@code limit}. */
  public int awaitExit(Duration limit) throws Exception {
    if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError(name + " still runs after " + limit + ":\n" + log());
    }
    return process.exitValue();
  }

  /**
   * Settings for processes that share the test broker and a fresh database: no topics created at start (the test
   * makes its own), consumer groups named after {@code groupPrefix}, the bridge (its outbound topics are not there),
   * the world's verticles and the matches (their topics are not there either) off.
   */
  public static JsonObject sharedConfig(String groupPrefix) {
    JsonObject off = new JsonObject().put("enabled", false);
    return new JsonObject()
        .put("kafka", new JsonObject().put("bootstrap_servers", TestKafka.bootstrapServers())
            .put("consumer", new JsonObject().put("group_prefix", groupPrefix)
                .put("properties", new JsonObject().put("session.timeout.ms", "6000")
                    .put("heartbeat.interval.ms", "1000"))))
        .put("database", new JsonObject().put("url", TestDatabase.url(TestDatabase.freshDatabase())))
        .put("security", new JsonObject().put("secrets", TestMesh.secrets()))
        .put("topics", new JsonObject().put("create_on_start", false))
        .put("verticles", new JsonObject().put("bridge", off).put("tick", off).put("market", off).put("diplomacy", off)
            .put("crowd", off).put("matches", off).put("robots", off).put("robot-workers", off)
            .put("gateway", new JsonObject().put("instances", 1)));
  }

  public boolean alive() {
    return process.isAlive();
  }

  public String log() throws IOException {
    return Files.readString(log);
  }

  /** SIGTERM, then the exit code (after -9 if it did not stop within 60 s). */
  @Override
  public void close() throws Exception {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }
}
