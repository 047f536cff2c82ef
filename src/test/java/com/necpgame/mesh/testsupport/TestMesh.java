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

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
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
        .put("kafka", new JsonObject().put("bootstrap_servers", bootstrapServers))
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
