package com.necpgame.mesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.security.AuditLog;
import com.necpgame.mesh.testsupport.RawHttp;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A developer's laptop: the mesh on loopback accepts anonymous requests (the default). A web page the developer
 * opens is the attacker: it opens {@code ws://127.0.0.1:<port>/ws} from its own origin, posts to the API, or reaches
 * it under its own host name after DNS rebinding. Each is refused with 403 and audited; the gateway's own origin, an
 * allow-listed one and clients that send no Origin still work.
 */
class BrowserAttackIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String ALLOWED = "https://console.necp.test";

  private static Mesh mesh;
  private static int port;
  private static String victimTopic;
  private static String auditTopic;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    victimTopic = TestKafka.createTopic("browser.victim", 1);
    auditTopic = TestKafka.createTopic("browser.audit", 1);
    port = TestMesh.freePort();
    mesh = Mesh.start(TestMesh.config(dir, port, new JsonObject().put("security", new JsonObject()
        .put("allowed_origins", new JsonArray().add(ALLOWED))
        .put("audit", new JsonObject().put("topic", auditTopic)))));
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  /** A WebSocket from a page of {@code origin}: its frames are queued. */
  private record Socket(WebSocket ws, BlockingQueue<JsonObject> frames) implements AutoCloseable {
    static Socket open(String origin) {
      BlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
      WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
      if (origin != null) {
        builder.header("Origin", origin);
      }
      WebSocket ws = builder.buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws"), new WebSocket.Listener() {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
          partial.append(data);
          if (last) {
            frames.add(new JsonObject(partial.toString()));
            partial.setLength(0);
          }
          webSocket.request(1);
          return null;
        }
      }).join();
      return new Socket(ws, frames);
    }

    JsonObject next(java.util.function.Predicate<JsonObject> filter) throws InterruptedException {
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      for (JsonObject f; (f = frames.poll(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS)) != null; ) {
        if (filter.test(f)) {
          return f;
        }
      }
      throw new AssertionError("no matching frame within 60 s");
    }

    @Override
    public void close() {
      ws.abort();
    }
  }

  private static int handshakeRefusal(String origin) {
    CompletionException e = assertThrows(CompletionException.class, () -> Socket.open(origin).close(),
        "the upgrade from " + origin + " is refused");
    assertTrue(e.getCause() instanceof WebSocketHandshakeException, e.toString());
    HttpResponse<?> response = ((WebSocketHandshakeException) e.getCause()).getResponse();
    return response.statusCode();
  }

  private static RawHttp.Response raw(String method, String target, String host, String origin, String body)
      throws Exception {
    StringBuilder head = new StringBuilder(method + " " + target + " HTTP/1.1\r\nHost: " + host
        + "\r\nConnection: close\r\n");
    if (origin != null) {
      head.append("Origin: ").append(origin).append("\r\n");
    }
    byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    if (body != null) {
      head.append("Content-Type: application/json\r\nContent-Length: ").append(bytes.length).append("\r\n");
    }
    byte[] h = head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    byte[] all = new byte[h.length + bytes.length];
    System.arraycopy(h, 0, all, 0, h.length);
    System.arraycopy(bytes, 0, all, h.length, bytes.length);
    return RawHttp.send(port, all, 30_000);
  }

  private static String event(String source) {
    return new JsonObject().put("event_type", "game.test.browser").put("topic", victimTopic).put("source", source)
        .put("payload", new JsonObject().put("n", 1)).encode();
  }

  private static void assertRefused(RawHttp.Response response, String code) {
    assertEquals(403, response.status(), response.head() + response.body());
    assertEquals(code, new JsonObject(response.body()).getJsonObject("error").getString("code"), response.body());
  }

  private static JsonObject audited(String reason, String action) throws Exception {
    for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); System.nanoTime() < end; Thread.sleep(200)) {
      for (JsonObject e : TestKafka.envelopes(auditTopic)) {
        if (AuditLog.ACCESS_DENIED.equals(e.getString("event_type"))
            && reason.equals(e.getJsonObject("data").getString("reason"))
            && action.equals(e.getJsonObject("data").getString("action"))) {
          return e;
        }
      }
    }
    throw new AssertionError("no " + reason + " audit event in " + TestKafka.envelopes(auditTopic));
  }

  private static void noEventFrom(String source) throws Exception {
    HttpResponse<String> control = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
        + "/events/publish")).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(event("control"))).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, control.statusCode(), control.body());
    List<JsonObject> events = TestKafka.envelopes(victimTopic);
    assertTrue(events.stream().anyMatch(e -> "control".equals(e.getString("source"))), events.toString());
    assertTrue(events.stream().noneMatch(e -> source.equals(e.getString("source"))), events.toString());
  }

  @Test
  void webSocketFromAForeignOriginIsRefused() throws Exception {
    assertEquals(403, handshakeRefusal("https://evil.example"));
    assertEquals(403, handshakeRefusal("http://127.0.0.1:" + (port == 1 ? 2 : port - 1)), "another port");
    assertEquals(403, handshakeRefusal("null"), "a sandboxed page or a file");
    JsonObject audit = audited("origin_not_allowed", "GET /ws").getJsonObject("data");
    assertTrue(audit.getString("resource").startsWith("Origin "), audit.encode());
  }

  @Test
  void webSocketFromTheGatewaysOwnOrAnAllowedOriginStreams() throws Exception {
    for (String origin : new String[] {"http://127.0.0.1:" + port, ALLOWED, null}) {
      try (Socket s = Socket.open(origin)) {
        s.ws().sendText(new JsonObject().put("op", "subscribe").put("id", "s").put("topics",
            new JsonArray().add(victimTopic)).put("start", "latest").encode(), true).join();
        s.next(f -> "subscribed".equals(f.getString("type")));
        String source = "allowed-" + (origin == null ? "none" : origin.replaceAll("[^a-z0-9]", "-"));
        HttpResponse<String> published = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
            + "/events/publish")).header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(event(source))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, published.statusCode(), published.body());
        JsonObject frame = s.next(f -> "event".equals(f.getString("type"))
            && source.equals(f.getJsonObject("event").getString("source")));
        assertEquals(victimTopic, frame.getString("topic"), "origin " + origin + " streams");
      }
    }
  }

  @Test
  void restCallsUnderAReboundHostAreRefused() throws Exception {
    assertRefused(raw("GET", "/topics", "evil.example:" + port, null, null), "host_not_allowed");
    assertRefused(raw("POST", "/events/publish", "rebind.evil.example", null, event("rebound")), "host_not_allowed");
    assertRefused(raw("GET", "/ws", "evil.example:" + port, null, null), "host_not_allowed");
    for (String host : List.of("127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port, "LOCALHOST")) {
      assertEquals(200, raw("GET", "/health", host, null, null).status(), "Host " + host);
    }
    audited("host_not_allowed", "GET /topics");
    noEventFrom("rebound");
  }

  @Test
  void aForeignPagePostingToTheApiIsRefused() throws Exception {
    assertRefused(raw("POST", "/events/publish", "127.0.0.1:" + port, "https://evil.example", event("csrf")),
        "origin_not_allowed");
    assertEquals(200, raw("POST", "/events/publish", "127.0.0.1:" + port, "http://127.0.0.1:" + port,
        event("console")).status(), "the console's own origin");
    audited("origin_not_allowed", "POST /events/publish");
    noEventFrom("csrf");
  }
}
