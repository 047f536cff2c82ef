package com.necpgame.mesh.gateway;

import static com.necpgame.mesh.testsupport.Commands.onPath;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JavaScript client library ({@code clients/js/mesh-client.js}) against a live mesh: runs its tests
 * ({@code clients/js/test/*.test.mjs}, {@code node:test} only, no npm package) with the mesh's URL and an API key in
 * the environment ({@code MESH_URL}, {@code MESH_TOKEN}, {@code MESH_TOPIC_PREFIX}), and passes when node exits 0.
 * The mesh refuses anonymous clients, so every test also proves the library connects with its token. Node's output
 * is printed either way. Skipped, saying so, where no Node >= 20 is on the PATH.
 */
class JsClientIT {

  private static final Path TESTS = Path.of("clients", "js", "test");
  private static final String TOKEN = "js-client-" + UUID.randomUUID();

  @Test
  void theJavaScriptClientPassesItsTestsAgainstALiveMesh(@TempDir Path dir) throws Exception {
    int major = nodeMajor();
    Assumptions.assumeTrue(major >= 20, "the JavaScript client's tests need Node >= 20 on the PATH (found "
        + (major < 0 ? "none" : "Node " + major) + ")");
    List<String> command = new ArrayList<>(List.of("node"));
    if (major < 22) {
      command.add("--experimental-websocket"); // Node 20 and 21 have the global WebSocket behind this flag
    }
    command.addAll(List.of("--test", "--test-reporter=spec"));
    try (Stream<Path> files = Files.list(TESTS)) {
      files.map(Path::toString).filter(f -> f.endsWith(".test.mjs")).sorted().forEach(command::add);
    }

    String prefix = "js." + UUID.randomUUID().toString().substring(0, 8);
    JsonObject principals = new JsonObject()
        .put("js-client", new JsonObject().put("api_keys", new JsonArray().add(TOKEN))
            .put("publish", new JsonArray().add("js.*")).put("subscribe", new JsonArray().add("js.*"))
            .put("endpoints", new JsonArray().add("*")));
    int port = TestMesh.freePort();
    try (Mesh mesh = Mesh.start(TestMesh.config(dir, port, new JsonObject()
        // the first mesh of a test JVM creates every configured topic on a cold broker: bound that generously
        .put("kafka", new JsonObject().put("request_timeout_ms", 60_000))
        .put("security", new JsonObject().put("anonymous", "deny").put("principals", principals))))) {
      ProcessBuilder node = new ProcessBuilder(command).redirectErrorStream(true);
      node.environment().put("MESH_URL", "http://127.0.0.1:" + port);
      node.environment().put("MESH_TOKEN", TOKEN);
      node.environment().put("MESH_TOPIC_PREFIX", prefix);
      Path output = dir.resolve("node-output.txt");
      Process process = node.redirectOutput(output.toFile()).start();
      boolean finished = process.waitFor(150, TimeUnit.SECONDS);
      if (!finished) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      String shown = Files.readString(output, StandardCharsets.UTF_8);
      System.out.println("--- " + String.join(" ", command) + "\n" + shown);
      assertEquals(true, finished, "node --test did not finish in 150 s:\n" + shown);
      assertEquals(0, process.exitValue(), "the JavaScript client's tests failed:\n" + shown);
    }
  }

  /** The major version of the {@code node} on the PATH, or -1 when there is none. */
  private static int nodeMajor() throws InterruptedException {
    if (!onPath("node")) {
      return -1;
    }
    try {
      Process version = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
      String text = new String(version.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      version.waitFor(30, TimeUnit.SECONDS);
      return Integer.parseInt(text.replaceFirst("^v", "").split("\\.")[0]);
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }
}
