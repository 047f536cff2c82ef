package com.necpgame.mesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.gateway.FuzzCases.Case;
import com.necpgame.mesh.gateway.FuzzCases.Operation;
import com.necpgame.mesh.kafka.EmbeddedBroker;
import com.necpgame.mesh.testsupport.RawHttp;
import com.necpgame.mesh.testsupport.TestMesh;
import com.necpgame.mesh.testsupport.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input against every operation of {@code openapi.json} and the WebSocket: named cases (each a regression test of
 * a bug it found or a class of input the issue names), then {@value #CASES} random cases from a fixed seed (printed;
 * {@code -Dfuzz.seed=N} repeats another run, {@code -Dfuzz.cases=N} changes the count). Every answer must be an
 * answer (no dropped connection), never a 5xx other than a 503 with {@code Retry-After}, never a stack trace or an
 * exception class name, and {@code /health} must stay 200. The mesh runs on a broker of its own, so topics the fuzz
 * may create never reach the shared one.
 */
class FuzzIT {

  static final int CASES = 10_000;
  private static final long DEFAULT_SEED = 20261123L;
  private static final int TIMEOUT_MS = 30_000;
  /** A frame of a stack trace or the name of a Java exception class: what an error body must never show. */
  static final Pattern LEAK = Pattern.compile("(?m)(^\\s*at [\\w$.]+\\(.*\\)\\s*$)|\\b(java|javax|io\\.vertx|io\\.netty"
      + "|com\\.fasterxml|com\\.necpgame|org\\.apache)\\.[\\w.$]+(Exception|Error)\\b|\\bCaused by:");

  /** Each failing request as sent, to replay it: {@code nc 127.0.0.1 8080 < target/fuzz-failures/case-N.http}. */
  private static final Path FAILED = Path.of("target", "fuzz-failures");
  private static EmbeddedBroker broker;
  private static Mesh mesh;
  private static int port;
  private static List<Operation> operations;
  private static Map<String, JsonObject> seeds;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    broker = EmbeddedBroker.start(new MeshConfig.EmbeddedKafka("127.0.0.1", 0, 0, dir.resolve("kafka"), 1,
        64L << 20, 16 << 20));
    port = TestMesh.freePort();
    mesh = Mesh.start(TestMesh.config(dir, port, broker.bootstrapServers(), new JsonObject()
        .put("verticles", new JsonObject().put("market", new JsonObject().put("enabled", true))
            .put("diplomacy", new JsonObject().put("enabled", true)))));
    try (InputStream in = FuzzIT.class.getClassLoader().getResourceAsStream(GatewayVerticle.OPENAPI)) {
      operations = FuzzCases.operations(new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
    }
    seeds = seeds();
  }

  @AfterAll
  static void stop() {
    try {
      if (mesh != null) {
        mesh.close();
      }
    } finally {
      if (broker != null) {
        broker.close();
      }
    }
  }

  @AfterEach
  void stillHealthy() throws Exception {
    assertHealthy();
  }

  /** A valid body for each operation that takes one; the fuzz mutates them. */
  private static Map<String, JsonObject> seeds() {
    JsonObject event = new JsonObject().put("event_type", "game.match.end").put("topic", "game.combat.events")
        .put("source", "fuzz").put("payload", new JsonObject().put("n", 1)).put("priority", "high");
    return Map.of(
        "POST /events/publish", event,
        "POST /events/publish/batch", new JsonObject().put("events", new JsonArray().add(event).add(event)),
        "POST /events/game/publish", new JsonObject().put("action_type", "kill").put("topic", "game.combat.events")
            .put("player_id", "p1").put("action_data", new JsonObject().put("weapon", "x")),
        "POST /topics", new JsonObject().put("name", "fuzz-topic").put("partitions", 1).put("replication_factor", 1)
            .put("category", "game").put("description", "fuzz"),
        "POST /subscriptions", new JsonObject().put("service_name", "fuzz").put("method", "webhook")
            .put("endpoint", "http://127.0.0.1:1/hook").put("topic_pattern", "fuzz-none").put("max_retries", 1),
        "PATCH /subscriptions/{subscriptionId}", new JsonObject().put("status", "paused").put("retry_delay", 1),
        "POST /subscriptions/{subscriptionId}/redrive", new JsonObject().put("since", "2026-01-01T00:00:00Z"),
        "POST /replay", new JsonObject().put("topic", "game.combat.events").put("start_time", "2026-01-01T00:00:00Z")
            .put("target", new JsonObject().put("topic", "fuzz-replayed")),
        "POST /dlq/{topic}/redrive", new JsonObject().put("offsets", new JsonObject().put("0", new JsonArray().add(0))),
        "POST /market/orders", new JsonObject().put("commodity", "food").put("side", "buy").put("quantity", 1)
            .put("limit_price", 4.0).put("owner", "fuzz"));
  }

  /** Found by the fuzz: the router failed without a cause on {@code %zz} and the error handler answered 500. */
  @Test
  void badPercentEncodingInPathOrQueryIs400NotA500() throws Exception {
    for (String target : List.of("/market/%zz", "/subscriptions/%", "/dlq/abc?limit=%", "/topics/%zz",
        "/events/%4/status", "/nothing/%zz")) {
      RawHttp.Response r = send("GET", target, null, null);
      assertEquals(400, r.status(), target + ": " + r.body());
      assertEquals("bad_request", error(r).getString("code"), r.body());
    }
  }

  /** Found by the fuzz: a body of JSON {@code null} was taken as "already answered" and the request hung. */
  @Test
  void jsonNullBodyIs400NotAHang() throws Exception {
    for (String[] op : new String[][] {{"POST", "/events/publish"}, {"POST", "/topics"}, {"POST", "/subscriptions"},
        {"PATCH", "/subscriptions/x"}, {"POST", "/dlq/game.combat.events/redrive"}, {"POST", "/replay"},
        {"POST", "/market/orders"}, {"POST", "/events/publish/batch"}, {"POST", "/events/game/publish"}}) {
      RawHttp.Response r = send(op[0], op[1], "application/json", "null".getBytes(StandardCharsets.UTF_8));
      assertEquals(400, r.status(), op[1] + ": " + r.body());
      assertEquals("malformed_json", error(r).getString("code"), r.body());
    }
  }

  /** Found by the fuzz: the body handler tried to decode a multipart GET and failed with a 500. */
  @Test
  void formAndMultipartBodiesAre415NotA500() throws Exception {
    for (String method : List.of("GET", "POST")) {
      for (String type : List.of("multipart/form-data; boundary=x", "application/x-www-form-urlencoded")) {
        RawHttp.Response r = send(method, method.equals("GET") ? "/market/prices" : "/events/publish", type,
            "a=b".getBytes(StandardCharsets.UTF_8));
        assertEquals(415, r.status(), method + " " + type + ": " + r.body());
      }
    }
  }

  /**
   * Found by the fuzz: {@code Upgrade: websocket} with {@code Connection: close} got Vert.x's plain-text 400 and the
   * connection stayed open although the answer said it would close.
   */
  @Test
  void webSocketUpgradeWithoutConnectionUpgradeIs400WithTheErrorBody() throws Exception {
    RawHttp.Response r = RawHttp.send(port, RawHttp.request("GET", "/ws", null, new String[] {"Upgrade: websocket"},
        null), TIMEOUT_MS);
    assertEquals(400, r.status(), r.body());
    assertEquals("bad_request", error(r).getString("code"), r.body());
  }

  /**
   * Found by the fuzz: a NUL in an id reached PostgreSQL, which refused the query, and the mesh answered 503
   * "database unavailable" for what is a client's mistake. Every operation with a path parameter, with a NUL in it.
   */
  @Test
  void nulInAPathParameterIsA4xxNotA503() throws Exception {
    for (Operation op : operations) {
      if (!op.path().contains("{")) {
        continue;
      }
      String target = op.path().replaceAll("\\{[^}]+}", "a%00b");
      JsonObject seed = seeds.get(op.method() + " " + op.path());
      RawHttp.Response r = send(op.method(), target, "application/json",
          seed == null ? null : seed.encode().getBytes(StandardCharsets.UTF_8));
      assertTrue(r.status() >= 400 && r.status() < 500, op + " " + target + ": " + r.status() + " " + r.body());
    }
  }

  @Test
  void webSocketFramesOf100kNestingAndInvalidUtf8AreErrorFramesAndTheSocketStaysOpen() throws Exception {
    try (WsClient ws = WsClient.connect(port)) {
      ws.sendText(FuzzCases.nested(100_000, true));
      JsonObject error = ws.next(f -> "error".equals(f.getString("type")), 30);
      assertEquals("malformed_json", error.getJsonObject("error").getString("code"), error.encode());
      ws.sendBinary(new byte[] {'{', (byte) 0xc3, 0x28, '}'});
      error = ws.next(f -> "error".equals(f.getString("type")), 30);
      assertFalse(LEAK.matcher(error.encode()).find(), error.encode());
      ws.send(new JsonObject().put("op", "ping").put("ref", "still-open"));
      assertEquals("still-open", ws.next(f -> "pong".equals(f.getString("type")), 30).getString("ref"));
    }
  }

  @Test
  void hundredThousandNestedArraysOrObjectsAre400OnEveryJsonEndpoint() throws Exception {
    for (boolean arrays : new boolean[] {true, false}) {
      byte[] body = FuzzCases.nested(100_000, arrays).getBytes(StandardCharsets.UTF_8);
      for (String key : seeds.keySet()) {
        String[] op = key.split(" ");
        String target = op[1].replace("{subscriptionId}", "x").replace("{topic}", "game.combat.events");
        RawHttp.Response r = send(op[0], target, "application/json", body);
        assertTrue(r.status() == 400 || r.status() == 404, key + ": " + r.status() + " " + r.body());
        assertEquals(null, problem(r), key);
      }
    }
  }

  @Test
  void bodyOverTheLimitIs413AndInvalidUtf8Is400() throws Exception {
    byte[] huge = new byte[2 << 20];
    java.util.Arrays.fill(huge, (byte) ' ');
    RawHttp.Response r = send("POST", "/events/publish", "application/json", huge);
    assertEquals(413, r.status(), r.body());
    r = send("POST", "/events/publish", "application/json", new byte[] {'{', '"', (byte) 0xc3, 0x28, '"', ':', '1', '}'});
    assertEquals(400, r.status(), r.body());
    assertEquals(null, problem(r));
  }

  @Test
  void pathTraversalInNamesFindsNothing() throws Exception {
    for (String target : List.of("/topics/..%2F..%2Fetc%2Fpasswd", "/topics/../../etc/passwd", "/dlq/..%2F..",
        "/subscriptions/..%2F..%2Fetc", "/market/..%2Fprices", "/diplomacy/..%2F../x", "/replay/..%2F../status",
        "/events/..%2F..%2Fetc%2Fpasswd/status")) {
      RawHttp.Response r = send("GET", target, null, null);
      assertTrue(r.status() == 400 || r.status() == 404, target + ": " + r.status() + " " + r.body());
      assertFalse(r.body().contains("root:"), target);
      assertEquals(null, problem(r), target);
    }
  }

  @Test
  void crOrLfInAHeaderIsRefusedAndInjectsNothing() throws Exception {
    for (String header : List.of("X-Test: a\r\nX-Injected: 1", "X-Test: a\nX-Injected: 1", "X-Test: a\rX-Injected: 1")) {
      RawHttp.Response r = RawHttp.send(port, RawHttp.request("GET", "/topics", null, new String[] {header}, null),
          TIMEOUT_MS);
      assertEquals(null, problem(r), header);
      assertFalse(r.head().toLowerCase().contains("x-injected"), r.head());
    }
  }

  private static RawHttp.Response send(String method, String target, String type, byte[] body) throws IOException {
    return RawHttp.send(port, RawHttp.request(method, target, type, new String[0], body), TIMEOUT_MS);
  }

  private static JsonObject error(RawHttp.Response r) {
    return new JsonObject(r.body()).getJsonObject("error");
  }

  @Test
  void tenThousandRandomCasesFromAFixedSeedAreEachAnsweredWithoutA500OrAStackTrace() throws Exception {
    long seed = Long.getLong("fuzz.seed", DEFAULT_SEED);
    int count = Integer.getInteger("fuzz.cases", CASES);
    System.out.printf("fuzz: %d HTTP cases, seed %d (repeat with -Dfuzz.seed=%d)%n", count, seed, seed);
    FuzzCases cases = new FuzzCases(seed, operations, seeds);
    Map<String, Integer> outcomes = new TreeMap<>();
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Case c = cases.next(i);
      RawHttp.Response r;
      try {
        r = RawHttp.send(port, c.request(), TIMEOUT_MS);
      } catch (IOException e) {
        Files.createDirectories(FAILED);
        Files.write(FAILED.resolve("case-" + i + ".http"), c.request());
        failures.add(e.getMessage() + " for " + c);
        assertTrue(failures.size() < 3, String.join("\n", failures));
        continue;
      }
      outcomes.merge(c.kind() + " " + (r.answered() ? r.status() : "closed"), 1, Integer::sum);
      String problem = problem(r);
      if (problem != null) {
        Files.createDirectories(FAILED);
        Files.write(FAILED.resolve("case-" + i + ".http"), c.request());
      }
      if (problem != null && failures.size() < 20) {
        failures.add(problem + " for " + c + "\n  answer: " + r.head().replace("\r\n", " | ") + " " + r.body());
      }
      if (i % 1000 == 999) {
        assertHealthy();
      }
    }
    System.out.println("fuzz outcomes (kind status: count): " + outcomes);
    assertTrue(failures.isEmpty(), failures.size() + "+ bad answers, the first:\n" + String.join("\n", failures));
  }

  @Test
  void aThousandRandomWebSocketFramesAreEachAnsweredAndTheSocketStaysOpen() throws Exception {
    long seed = Long.getLong("fuzz.seed", DEFAULT_SEED);
    Random random = new Random(seed);
    List<String> frames = List.of(
        new JsonObject().put("op", "publish").put("ref", 1).put("event", seeds.get("POST /events/publish")).encode(),
        new JsonObject().put("op", "subscribe").put("id", 2).put("topics", new JsonArray().add("fuzz-none")).encode(),
        new JsonObject().put("op", "unsubscribe").encode(), new JsonObject().put("op", "ping").encode(),
        new JsonObject().put("op", "publish").put("ref", 3).put("events", new JsonArray().add(1).add("x")).encode());
    FuzzCases bodies = new FuzzCases(seed, List.of(new Operation("POST", "/ws")),
        Map.of("POST /ws", new JsonObject(frames.get(0))));
    List<String> failures = new ArrayList<>();
    try (WsClient ws = WsClient.connect(port)) {
      for (int i = 0; i < 1000; i++) {
        String frame = switch (random.nextInt(4)) {
          case 0 -> frames.get(random.nextInt(frames.size()));
          case 1 -> FuzzCases.nested(1 + random.nextInt(5000), random.nextBoolean());
          default -> {
            byte[] request = bodies.next(i).request();
            String text = new String(request, StandardCharsets.UTF_8);
            yield text.substring(text.indexOf("\r\n\r\n") + 4);
          }
        };
        ws.sendText(frame);
        ws.send(new JsonObject().put("op", "ping").put("ref", "after-" + i));
        String ref = "after-" + i;
        List<JsonObject> seen = new ArrayList<>();
        ws.next(f -> {
          seen.add(f);
          return "pong".equals(f.getString("type")) && ref.equals(f.getValue("ref"));
        }, 30);
        for (JsonObject f : seen) {
          Integer status = f.getInteger("status");
          if (LEAK.matcher(f.encode()).find() || status != null && status >= 500 && status != 503) {
            failures.add("frame " + frame.substring(0, Math.min(200, frame.length())) + " answered " + f.encode());
          }
        }
      }
    }
    assertTrue(failures.isEmpty(), String.join("\n", failures));
  }

  /** Null when the answer is acceptable, else what is wrong with it. */
  static String problem(RawHttp.Response r) {
    if (!r.answered()) {
      return "no HTTP answer";
    }
    if (r.status() >= 500 && !(r.status() == 503 && r.head().toLowerCase().contains("retry-after:"))) {
      return "status " + r.status();
    }
    if (LEAK.matcher(r.body()).find() || LEAK.matcher(r.head()).find()) {
      return "stack trace or exception class in the answer";
    }
    return null;
  }

  static void assertHealthy() throws IOException {
    RawHttp.Response health = RawHttp.send(port, RawHttp.request("GET", "/health", null, new String[0], null),
        TIMEOUT_MS);
    assertEquals(200, health.status(), health.head() + " " + health.body());
    assertFalse(LEAK.matcher(health.body()).find());
  }
}
