package com.necpgame.mesh.gateway;

import static com.necpgame.mesh.testsupport.Commands.onPath;
import static com.necpgame.mesh.testsupport.Commands.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web console in a real browser: Debian's headless chromium, driven by {@code src/test/console/console-check.mjs}
 * (playwright-core from npm), loads {@code /} from a mesh whose world runs at a game hour per real second, sees the
 * game tick advance and a price chart drawn, and saves a screenshot to {@code target/console-screenshot.png}. Skipped,
 * saying so, without {@code /usr/bin/chromium} ({@code apt-get install chromium}) or without node and npm.
 */
class ConsoleIT {

  private static final Path SCRIPT = Path.of("src", "test", "console");
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @Test
  void theConsoleShowsTheTickAdvancingAndAPriceChart(@TempDir Path dir) throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(CHROMIUM), "no /usr/bin/chromium: apt-get install chromium to run "
        + "the browser test of the web console");
    Assumptions.assumeTrue(onPath("node") && onPath("npm"), "node and npm are not on the PATH");
    Path work = installScript();

    String orders = TestKafka.unique("console-orders");
    String state = TestKafka.unique("console-state");
    String marketState = TestKafka.unique("console-mstate");
    TestKafka.admin().createTopics(List.of(
        new NewTopic(orders, 2, (short) 1).configs(Map.of("message.timestamp.type", "LogAppendTime")),
        new NewTopic(marketState, 2, (short) 1).configs(Map.of("cleanup.policy", "compact",
            "max.message.bytes", "33554432")),
        new NewTopic(state, 1, (short) 1).configs(Map.of("cleanup.policy", "compact",
            "max.message.bytes", "67108864")))).all().get();
    JsonObject on = new JsonObject().put("enabled", true);
    int port = TestMesh.freePort();
    try (Mesh mesh = Mesh.start(TestMesh.config(dir, port, new JsonObject()
        // a fresh test broker may take more than the default 5 s to start its transaction coordinator
        .put("kafka", new JsonObject().put("consumer", new JsonObject().put("group_prefix", TestKafka.unique("con")))
            .put("producer", new JsonObject().put("max_block_ms", 60_000)))
        .put("world", new JsonObject()
            .put("factions", new JsonArray().add("arasaka").add("militech").add("nomads"))
            .put("commodities", new JsonObject().put("ore", 10).put("food", 4))
            .put("output_topic", TestKafka.createTopic("console-sim", 3)).put("state_topic", state)
            .put("clock", new JsonObject().put("real_epoch", Instant.now().toString()).put("time_scale", 3600))
            .put("tick", new JsonObject().put("topics", new JsonObject()
                .put("hourly", TestKafka.createTopic("console-hourly", 1))
                .put("daily", TestKafka.createTopic("console-daily", 1))
                .put("leader", TestKafka.createTopic("console-leader", 1))))
            .put("market", new JsonObject().put("grace_ms", 0)
                .put("topics", new JsonObject().put("orders", orders).put("state", marketState)))
            .put("diplomacy", new JsonObject().put("inputs", TestKafka.createTopic("console-inputs", 1).replace(".", "\\.")))
            .put("crowd", new JsonObject().put("population", 1000)))
        .put("console", new JsonObject().put("topics", new JsonArray().add(TestKafka.unique("console-matches"))))
        .put("verticles", new JsonObject().put("tick", on).put("market", on).put("diplomacy", on).put("crowd", on))))) {
      ScheduledExecutorService traders = Executors.newSingleThreadScheduledExecutor();
      AtomicInteger round = new AtomicInteger();
      traders.scheduleWithFixedDelay(() -> trade(port, round.getAndIncrement()), 0, 700, TimeUnit.MILLISECONDS);
      try {
        Path screenshot = Path.of("target", "console-screenshot.png").toAbsolutePath();
        Files.deleteIfExists(screenshot);
        List<String> out = run(work, 240, "node", "console-check.mjs", "http://127.0.0.1:" + port + "/",
            screenshot.toString());
        JsonObject seen = new JsonObject(out.get(out.size() - 1));
        assertTrue(seen.getLong("later_hour") > seen.getLong("first_hour"), "the tick advanced: " + seen.encode());
        assertTrue(seen.getJsonObject("chart").getInteger("points") >= 2, seen.encode());
        assertEquals("live", seen.getString("connection"), seen.encode());
        assertEquals(6, seen.getInteger("diplomacy_cells"), "3 factions, every ordered pair: " + seen.encode());
        assertEquals(new JsonArray(), seen.getJsonArray("problems"), "no script error in the page");
        byte[] png = Files.readAllBytes(screenshot);
        assertTrue(png.length > 10_000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', "a PNG screenshot");
      } finally {
        traders.shutdownNow();
        traders.awaitTermination(10, TimeUnit.SECONDS);
      }
    }
  }

  /** A buy and a sell of ore that cross at a price moving with the round, so each clearing has a price. */
  private static void trade(int port, int round) {
    double price = 10 + (round % 7) * 0.5;
    for (JsonObject order : List.of(
        new JsonObject().put("side", "buy").put("limit_price", price + 0.25),
        new JsonObject().put("side", "sell").put("limit_price", price - 0.25))) {
      order.put("commodity", "ore").put("quantity", 5).put("owner", "console-it").put("time_in_force", "auction");
      try {
        HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/market/orders"))
            .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(order.encode()))
            .build(), HttpResponse.BodyHandlers.discarding());
      } catch (Exception e) {
        return; // the mesh is closing; the next round or none
      }
    }
  }

  /** The script and its locked dependencies in target/console-test; {@code npm ci} only when the lock changed. */
  private static Path installScript() throws Exception {
    Path work = Files.createDirectories(Path.of("target", "console-test"));
    Path lock = work.resolve("package-lock.json");
    boolean same = Files.exists(lock) && Files.exists(work.resolve("node_modules/playwright-core/package.json"))
        && Files.mismatch(lock, SCRIPT.resolve("package-lock.json")) == -1;
    for (String file : List.of("package.json", "package-lock.json", "console-check.mjs")) {
      Files.copy(SCRIPT.resolve(file), work.resolve(file), StandardCopyOption.REPLACE_EXISTING);
    }
    if (!same) {
      run(work, 300, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error");
    }
    return work;
  }
}
