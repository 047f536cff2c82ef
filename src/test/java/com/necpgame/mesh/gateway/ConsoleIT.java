package com.necpgame.mesh.gateway;

import static com.necpgame.mesh.testsupport.Commands.onPath;
import static com.necpgame.mesh.testsupport.Commands.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web console and the read routes it fills its panels from, on one mesh whose world runs at a game hour per real
 * second with a match under way: every file the page references and every route it reads answers 200 with data
 * ({@code GET /market/history}, {@code /crowd}, {@code /matches}, {@code /robots/pool} and the older ones), the new
 * routes refuse the unauthenticated (401), principals without their endpoint group (403) and malformed queries (400).
 * Anonymous callers are refused, so the page runs as a principal allowed only what the console needs
 * ({@code /#token=}). Then, in a real browser (Debian's headless chromium, driven by
 * {@code src/test/console/console-check.mjs}, playwright-core from npm): every panel is filled over HTTP before the
 * stream starts, the price charts show the game hours before the page opened, the tick advances, and a screenshot goes
 * to {@code target/console-screenshot.png}. The browser part is skipped, saying so, without {@code /usr/bin/chromium}
 * ({@code apt-get install chromium}) or without node and npm.
 */
class ConsoleIT {

  private static final Path SCRIPT = Path.of("src", "test", "console");
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static final String VIEWER = "viewer-key-0123456789";
  private static final String OUTSIDER = "outsider-key-0123456789";
  private static final String OPS = "ops-key-0123456789abc";
  private static final String TRADER = "trader-key-0123456789";
  /** Every route the console reads, and what its answer must hold to count as data. */
  private static final Map<String, Predicate<JsonObject>> READS = Map.of(
      "/console/settings", b -> b.getJsonObject("commodities").size() == 2,
      "/market/prices", b -> b.getJsonArray("prices").stream().anyMatch(p -> ((JsonObject) p).getValue("price") != null),
      "/market/history", b -> b.getJsonObject("commodities").getJsonArray("ore").size() >= 12,
      "/diplomacy", b -> b.getJsonArray("pairs").size() == 3,
      "/crowd", b -> b.getValue("game_hour") != null && b.getJsonArray("commodities").size() == 2,
      "/matches?state=active&limit=100", b -> b.getJsonArray("matches").size() == 1,
      "/robots/pool", b -> b.getInteger("total") >= 3 && b.getInteger("busy") >= 3);

  private static Mesh mesh;
  private static int port;
  private static String matchId;
  private static ScheduledExecutorService traders;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    String orders = TestKafka.unique("console-orders");
    String state = TestKafka.unique("console-state");
    String marketState = TestKafka.unique("console-mstate");
    TestKafka.admin().createTopics(List.of(
        new NewTopic(orders, 2, (short) 1).configs(Map.of("message.timestamp.type", "LogAppendTime")),
        new NewTopic(marketState, 2, (short) 1).configs(Map.of("cleanup.policy", "compact",
            "max.message.bytes", "33554432")),
        new NewTopic(state, 1, (short) 1).configs(Map.of("cleanup.policy", "compact",
            "max.message.bytes", "67108864")))).all().get();
    String matchEvents = TestKafka.createTopic("console-match-events", 3);
    JsonObject on = new JsonObject().put("enabled", true);
    JsonObject principals = new JsonObject()
        .put("viewer", principal(VIEWER, new JsonArray().add("console").add("ws").add("market").add("diplomacy")
            .add("crowd").add("matches").add("robots")).put("subscribe", new JsonArray().add("*")))
        .put("outsider", principal(OUTSIDER, new JsonArray().add("events").add("stats")))
        .put("ops", principal(OPS, new JsonArray().add("*")).put("admin", true))
        .put("trader", principal(TRADER, new JsonArray().add("market")).put("publish", new JsonArray().add(orders)));
    port = TestMesh.freePort();
    mesh = Mesh.start(TestMesh.config(dir, port, new JsonObject()
        // a fresh test broker may take more than the default 5 s to start its transaction coordinator
        .put("kafka", new JsonObject().put("consumer", new JsonObject().put("group_prefix", TestKafka.unique("con")))
            .put("producer", new JsonObject().put("max_block_ms", 60_000)))
        .put("security", new JsonObject().put("anonymous", "deny").put("principals", principals))
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
        // rounds longer than the test: the match stays in round 1, its robots busy
        .put("match", new JsonObject().put("round_ms", 600_000).put("voting_ms", 600_000).put("topics", new JsonObject().put("events", matchEvents)
            .put("responses", TestKafka.createTopic("console-responses", 3))
            .put("orchestration", TestKafka.createTopic("console-orchestration", 3))
            .put("state", TestKafka.createTopic("console-match-state", 3))))
        .put("robots", new JsonObject().put("check_ms", 100).put("topics", new JsonObject()
            .put("commands", TestKafka.createTopic("console-commands", 3))
            .put("pool_state", TestKafka.createTopic("console-pool", 1))))
        .put("console", new JsonObject().put("topics", new JsonArray().add(matchEvents)))
        .put("verticles", new JsonObject().put("tick", on).put("market", on).put("diplomacy", on).put("crowd", on)
            .put("matches", on).put("robots", on).put("robot-workers", on))));
    traders = Executors.newSingleThreadScheduledExecutor();
    AtomicInteger round = new AtomicInteger();
    traders.scheduleWithFixedDelay(() -> trade(round.getAndIncrement()), 0, 700, TimeUnit.MILLISECONDS);
    HttpResponse<String> created = send("POST", "/matches", OPS, new JsonObject().put("player_id", "p-console").encode());
    assertEquals(201, created.statusCode(), created.body());
    matchId = new JsonObject(created.body()).getString("match_id");
    long began = System.nanoTime();
    for (var read : READS.entrySet()) { // a dozen game hours of clearings, the crowd stepped, the robots assigned
      await(read.getKey(), read.getValue());
    }
    System.out.printf("ConsoleIT: every read route had data %.1f s after the mesh started%n",
        (System.nanoTime() - began) / 1e9);
  }

  @AfterAll
  static void stop() throws Exception {
    if (traders != null) {
      traders.shutdownNow();
      traders.awaitTermination(10, TimeUnit.SECONDS);
    }
    if (mesh != null) {
      mesh.close();
    }
  }

  private static JsonObject principal(String key, JsonArray endpoints) {
    return new JsonObject().put("api_keys", new JsonArray().add(key)).put("endpoints", endpoints);
  }

  @Test
  void everyFileThePageReferencesAndEveryRouteItReadsAnswersWithData() throws Exception {
    HttpResponse<String> page = send("GET", "/", null, null);
    assertEquals(200, page.statusCode(), "the page is public");
    Set<String> files = references(page.body(), "(?:src|href)=\"(/console/[^\"]+)\"");
    files.addAll(references(send("GET", "/console/console.js", null, null).body(), "from '\\./([^']+)'"));
    assertTrue(files.containsAll(List.of("/console/console.js", "/console/console.css", "/console/chart.js",
        "/console/mesh-client.js")), files.toString());
    for (String file : files) {
      HttpResponse<String> r = send("GET", file, null, null);
      assertEquals(200, r.statusCode(), file);
      assertFalse(r.body().isBlank(), file);
    }
    String script = send("GET", "/console/console.js", null, null).body();
    for (var read : READS.entrySet()) {
      assertTrue(script.contains("'" + read.getKey() + "'"), "the console reads " + read.getKey());
      HttpResponse<String> r = send("GET", read.getKey(), VIEWER, null);
      assertEquals(200, r.statusCode(), read.getKey() + ": " + r.body());
      assertTrue(read.getValue().test(new JsonObject(r.body())), read.getKey() + ": " + r.body());
    }
    JsonObject history = get("/market/history?commodity=ore&hours=6", VIEWER);
    JsonArray ore = history.getJsonObject("commodities").getJsonArray("ore");
    assertEquals(Set.of("ore"), history.getJsonObject("commodities").fieldNames());
    assertTrue(ore.size() <= 6 && ore.size() >= 4, ore.encode());
    long asOf = history.getLong("as_of_hour");
    for (int i = 0; i < ore.size(); i++) {
      JsonObject point = ore.getJsonObject(i);
      assertTrue(point.getLong("game_hour") > asOf - 6 && point.getLong("game_hour") <= asOf, point.encode());
      assertTrue(i == 0 || point.getLong("game_hour") > ore.getJsonObject(i - 1).getLong("game_hour"), "oldest first");
      assertNotNull(point.getString("game_time"));
    }
    assertTrue(ore.stream().anyMatch(p -> ((JsonObject) p).getLong("volume") > 0), "clearings with volume: " + ore);
    JsonObject crowd = get("/crowd", VIEWER);
    assertEquals(1000, crowd.getInteger("population"));
    assertEquals(3, crowd.getJsonArray("factions").size());
    JsonObject mine = get("/matches", VIEWER).getJsonArray("matches").getJsonObject(0);
    assertEquals(matchId, mine.getString("match_id"));
    assertEquals(1, mine.getInteger("round"));
    assertFalse(mine.containsKey("player_id"), "only an admin sees whose match it is");
    assertEquals("p-console", get("/matches", OPS).getJsonArray("matches").getJsonObject(0).getString("player_id"));
    assertTrue(get("/matches?state=completed", VIEWER).getJsonArray("matches").isEmpty());
    JsonObject pool = get("/robots/pool", VIEWER);
    assertEquals(List.of("curious-student", "skeptical-scientist", "creative-artist"), pool.getJsonArray("types")
        .stream().map(t -> ((JsonObject) t).getString("type")).toList(), "the configured personas, in order");
    assertEquals(pool.getInteger("total"), pool.getInteger("busy") + pool.getInteger("idle"));
  }

  @Test
  void theReadRoutesRefuseTheUnauthenticatedTheUnauthorisedAndMalformedQueries() throws Exception {
    for (String path : List.of("/market/history", "/crowd", "/matches", "/robots/pool")) {
      assertError(send("GET", path, null, null), 401, "unauthenticated", path + " without credentials");
      assertError(send("GET", path, "not-a-key-0123456789", null), 401, "unauthenticated", path + " wrong key");
      assertError(send("GET", path, OUTSIDER, null), 403, "forbidden", path + " without its endpoint group");
    }
    for (String query : List.of("hours=0", "hours=49", "hours=abc", "hours=-1", "hours=1e2", "commodity=unobtainium")) {
      HttpResponse<String> r = send("GET", "/market/history?" + query, VIEWER, null);
      assertError(r, 400, "invalid_query", query);
      String pointer = query.startsWith("hours") ? "/hours" : "/commodity";
      assertEquals(pointer, new JsonObject(r.body()).getJsonObject("error").getJsonArray("details").getJsonObject(0)
          .getString("pointer"), r.body());
    }
    HttpResponse<String> both = send("GET", "/matches?state=over&limit=0", VIEWER, null);
    assertError(both, 400, "invalid_query", "two problems");
    assertEquals(2, new JsonObject(both.body()).getJsonObject("error").getJsonArray("details").size(), both.body());
    assertError(send("GET", "/matches?limit=1001", VIEWER, null), 400, "invalid_query", "limit above 1000");
    assertError(send("GET", "/matches?limit=ten&state=", VIEWER, null), 400, "invalid_query", "not numbers");
    assertEquals(200, send("GET", "/matches?state=all&limit=1", VIEWER, null).statusCode());
  }

  @Test
  void theConsoleFillsEveryPanelOverHttpThenStreams() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(CHROMIUM), "no /usr/bin/chromium: apt-get install chromium to run "
        + "the browser test of the web console");
    Assumptions.assumeTrue(onPath("node") && onPath("npm"), "node and npm are not on the PATH");
    Path work = installScript();
    Path screenshot = Path.of("target", "console-screenshot.png").toAbsolutePath();
    Files.deleteIfExists(screenshot);
    List<String> out = run(work, 240, "node", "console-check.mjs", "http://127.0.0.1:" + port + "/#token=" + VIEWER,
        screenshot.toString());
    JsonObject seen = new JsonObject(out.get(out.size() - 1));
    System.out.println("ConsoleIT: the page saw " + seen.encode());
    JsonObject filled = seen.getJsonObject("filled");
    // the world ran a dozen game hours before the page opened; the stream starts 2 s (2 game hours) before the reads
    assertTrue(filled.getInteger("chart_points") >= 10, "the chart shows the hours before the page: " + seen.encode());
    assertEquals(6, filled.getInteger("diplomacy_cells"), "3 factions, every ordered pair: " + seen.encode());
    assertEquals(2, filled.getInteger("crowd_rows"), seen.encode());
    assertEquals(1, filled.getInteger("matches"), seen.encode());
    assertTrue(filled.getString("robots").contains("busy"), seen.encode());
    assertEquals(3, filled.getInteger("robot_types"), seen.encode());
    List<String> asked = seen.getJsonArray("asked").stream().map(String::valueOf).toList();
    for (String path : List.of("/market/history", "/market/prices", "/diplomacy", "/crowd", "/matches", "/robots/pool")) {
      assertTrue(asked.contains(path), "the page read " + path + ": " + asked);
    }
    assertTrue(seen.getLong("later_hour") > seen.getLong("first_hour"), "the tick advanced: " + seen.encode());
    assertTrue(seen.getJsonObject("chart").getInteger("points") >= 2, seen.encode());
    assertEquals("live", seen.getString("connection"), seen.encode());
    assertEquals(new JsonArray(), seen.getJsonArray("problems"), "no script error in the page");
    byte[] png = Files.readAllBytes(screenshot);
    assertTrue(png.length > 10_000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', "a PNG screenshot");
  }

  private static Set<String> references(String text, String regex) {
    Set<String> out = new LinkedHashSet<>();
    Matcher m = Pattern.compile(regex).matcher(text);
    while (m.find()) {
      out.add(m.group(1).startsWith("/") ? m.group(1) : "/console/" + m.group(1));
    }
    return out;
  }

  private static void assertError(HttpResponse<String> r, int status, String code, String what) {
    assertEquals(status, r.statusCode(), what + ": " + r.body());
    assertEquals(code, new JsonObject(r.body()).getJsonObject("error").getString("code"), what + ": " + r.body());
  }

  private static JsonObject get(String path, String key) throws Exception {
    HttpResponse<String> r = send("GET", path, key, null);
    assertEquals(200, r.statusCode(), path + ": " + r.body());
    return new JsonObject(r.body());
  }

  private static HttpResponse<String> send(String method, String path, String key, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (key != null) {
      b.header("X-API-Key", key);
    }
    if (body != null) {
      b.header("content-type", "application/json");
    }
    return HTTP.send(b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Until {@code path} answers 200 with what {@code data} asks, for at most 90 s. */
  private static void await(String path, Predicate<JsonObject> data) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    String last = "";
    while (System.nanoTime() < end) {
      HttpResponse<String> r = send("GET", path, VIEWER, null);
      last = r.statusCode() + " " + r.body();
      if (r.statusCode() == 200 && data.test(new JsonObject(r.body()))) {
        return;
      }
      Thread.sleep(250);
    }
    throw new AssertionError(path + " had no data in 90 s; last answer " + last);
  }

  /** A buy and a sell of ore that cross at a price moving with the round, so each clearing has a price. */
  private static void trade(int round) {
    double price = 10 + (round % 7) * 0.5;
    for (JsonObject order : List.of(
        new JsonObject().put("side", "buy").put("limit_price", price + 0.25),
        new JsonObject().put("side", "sell").put("limit_price", price - 0.25))) {
      order.put("commodity", "ore").put("quantity", 5).put("time_in_force", "auction");
      try {
        send("POST", "/market/orders", TRADER, order.encode());
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
