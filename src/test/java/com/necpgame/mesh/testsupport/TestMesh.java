package com.necpgame.mesh.testsupport;

import com.necpgame.mesh.config.ConfigLoader;
import com.necpgame.mesh.config.MeshConfig;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;

/** Configuration of a mesh in a test JVM: the test broker, a fresh test database, HTTP on loopback. */
public final class TestMesh {

  /**
   * {@code security.secrets} of a test mesh on the shared test database (an external database needs a configured key).
   * A fixed test key: never use it outside tests.
   */
  public static final String SECRETS_KEY = "test:" + java.util.Base64.getEncoder().encodeToString(
      "mesh-test-key-0123456789abcdef!!".getBytes(java.nio.charset.StandardCharsets.US_ASCII));

  public static JsonObject secrets() {
    String[] key = SECRETS_KEY.split(":", 2);
    return new JsonObject().put("keys", new JsonObject().put(key[0], key[1]));
  }

  private TestMesh() {}

  /** First port of the slices {@link #freePort()} draws from; each slice holds {@value #SLICE} ports. */
  static final int SLICES_FROM = 10_000;
  static final int SLICE = 2_500;
  private static final java.util.Set<Integer> HANDED = new java.util.HashSet<>();
  private static final java.util.Random RANDOM = new java.util.Random();

  /**
   * A port free now, for a server the test starts (and may stop, and start again on it after an outage). Failsafe runs
   * the integration tests in several JVMs at once, and a port found free with {@code bind(0)} and released is free
   * for the other JVM's next {@code bind(0)} too, or for an outgoing connection's local port, until the test binds it
   * again. So it comes from a slice below the kernel's ephemeral range of this JVM's own: {@code mesh.test.fork}
   * (failsafe's {@code surefire.forkNumber}; 0 outside failsafe) picks the slice, a random free port of it is
   * returned, never the same twice in this JVM. Nothing binding port 0 (the shared broker and database, every
   * client's connection) can take it, nor can another fork. Where the slice would reach the ephemeral range,
   * {@code bind(0)}.
   */
  public static int freePort() throws IOException {
    int fork = Integer.getInteger("mesh.test.fork", 0);
    int from = SLICES_FROM + fork * SLICE;
    int[] ephemeral = ephemeralRange();
    if (fork >= 0 && ephemeral != null && from + SLICE <= ephemeral[0]) {
      synchronized (HANDED) {
        for (int attempt = 0; attempt < 200; attempt++) {
          int port = from + RANDOM.nextInt(SLICE);
          if (!HANDED.contains(port) && bindable(port)) {
            HANDED.add(port);
            return port;
          }
        }
      }
    }
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static boolean bindable(int port) {
    try (ServerSocket s = new ServerSocket(port)) { // every interface: a listener on any address makes it taken
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The first and last port the kernel hands out for {@code bind(0)} and outgoing connections (32768 and 60999 on Linux
   * by default), or null where unknown (not Linux). Read a line at a time: {@code Files.readString} reads a
   * {@code /proc/sys} file (size 0) a byte first, then from offset 1, where the kernel answers end of file, so it read
   * "3", and every port came from {@code bind(0)}.
   */
  public static int[] ephemeralRange() {
    try {
      String[] range = java.nio.file.Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0)
          .trim().split("\\s+");
      return new int[] {Integer.parseInt(range[0]), Integer.parseInt(range[1])};
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** {@code extra} is merged over the test settings (its own keys win); the world's verticles are off unless it enables them. */
  public static MeshConfig config(Path dataDir, int httpPort, JsonObject extra) {
    return config(dataDir, httpPort, TestKafka.bootstrapServers(), extra);
  }

  /** The same on a broker of the test's own (one it stops and restarts), without starting the shared one. */
  public static MeshConfig config(Path dataDir, int httpPort, String bootstrapServers, JsonObject extra) {
    JsonObject tree = new JsonObject()
        .put("data_dir", dataDir.resolve("data").toString())
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", httpPort))
        // the store and the delivery router (pattern subscriptions) see a topic a test just made within half a second,
        // not the mesh's 5 s: a topic per test, each waited for, cost minutes of the suite
        .put("kafka", new JsonObject().put("bootstrap_servers", bootstrapServers).put("consumer", new JsonObject()
            .put("properties", new JsonObject().put("metadata.max.age.ms", "500"))))
        .put("database", new JsonObject().put("url", TestDatabase.url(TestDatabase.freshDatabase())))
        .put("security", new JsonObject().put("secrets", secrets()))
        // the world's verticles only where a test asks for them: they elect leaders in shared groups
        .put("verticles", new JsonObject().put("tick", new JsonObject().put("enabled", false))
            .put("market", new JsonObject().put("enabled", false))
            .put("diplomacy", new JsonObject().put("enabled", false))
            .put("crowd", new JsonObject().put("enabled", false))
            .put("matches", new JsonObject().put("enabled", false))
            .put("robots", new JsonObject().put("enabled", false))
            .put("robot-workers", new JsonObject().put("enabled", false)))
        .mergeIn(extra, true);
    return ConfigLoader.load(tree, Map.of());
  }
}
