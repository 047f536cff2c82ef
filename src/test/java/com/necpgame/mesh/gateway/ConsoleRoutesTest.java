package com.necpgame.mesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.MeshMetrics;
import com.necpgame.mesh.config.ConfigLoader;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The console's page, files and settings as the gateway serves them: types, caching, errors. No Kafka, no database. */
class ConsoleRoutesTest {

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static Vertx vertx;
  private static HttpServer server;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    MeshContext mesh = new MeshContext(ConfigLoader.load(new JsonObject()
        .put("world", new JsonObject().put("factions", new JsonArray().add("arasaka").add("militech"))
            .put("commodities", new JsonObject().put("ore", 10).put("gas", 3.5)))
        .put("console", new JsonObject().put("topics", new JsonArray().add("game.*"))), Map.of()),
        null, null, null, null, null, new MeshMetrics());
    server = vertx.createHttpServer().requestHandler(GatewayVerticle.router(vertx, vertx.getOrCreateContext(), mesh))
        .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get();
  }

  private static HttpResponse<String> send(String method, String path, Map<String, String> headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + path));
    headers.forEach(b::header);
    return HTTP.send(b.method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return send("GET", path, Map.of());
  }

  /** A request the JDK's client would refuse to send (a malformed escape); the whole answer as text. */
  private static String rawGet(String path) throws Exception {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.actualPort())) {
      socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
          .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  private static String header(HttpResponse<?> r, String name) {
    return r.headers().firstValue(name).orElse(null);
  }

  private static void assertError(HttpResponse<String> r, int status, String code) {
    assertEquals(status, r.statusCode(), r.body());
    assertEquals("application/json", header(r, "content-type"));
    assertEquals(code, new JsonObject(r.body()).getJsonObject("error").getString("code"), r.body());
  }

  @Test
  void servesThePageAtTheRootWithItsTypeCachingAndPolicy() throws Exception {
    HttpResponse<String> page = get("/");
    assertEquals(200, page.statusCode());
    assertEquals("text/html; charset=utf-8", header(page, "content-type"));
    assertEquals("no-cache", header(page, "cache-control"));
    assertEquals("nosniff", header(page, "x-content-type-options"));
    assertTrue(header(page, "etag").matches("\"[0-9a-f]{32}\""), header(page, "etag"));
    assertTrue(header(page, "content-security-policy").contains("script-src 'self'"));
    assertTrue(page.body().contains("<script type=\"module\" src=\"/console/console.js\"></script>"), page.body());
    assertEquals(page.body(), get("/console/index.html").body());
  }

  @Test
  void theConsoleUsesTheClientLibraryServedFromTheJar() throws Exception {
    HttpResponse<String> library = get("/console/mesh-client.js");
    assertEquals(200, library.statusCode());
    assertEquals(java.nio.file.Files.readString(java.nio.file.Path.of("clients", "js", "mesh-client.js")),
        library.body(), "the jar serves clients/js/mesh-client.js as it is in the repository");
    assertTrue(get("/console/console.js").body().contains("import { MeshClient } from './mesh-client.js';"));
  }

  @Test
  void everyFileHasItsContentTypeAndRevalidatesTo304() throws Exception {
    Map<String, String> types = Map.of("console.js", "text/javascript; charset=utf-8",
        "chart.js", "text/javascript; charset=utf-8", "console.css", "text/css; charset=utf-8",
        "mesh-client.js", "text/javascript; charset=utf-8");
    for (String file : types.keySet()) {
      HttpResponse<String> first = get("/console/" + file);
      assertEquals(200, first.statusCode(), file);
      assertEquals(types.get(file), header(first, "content-type"), file);
      assertFalse(first.body().isBlank(), file);
      String etag = header(first, "etag");
      for (String ifNoneMatch : List.of(etag, "W/" + etag, "\"stale\", " + etag, "*")) {
        HttpResponse<String> again = send("GET", "/console/" + file, Map.of("If-None-Match", ifNoneMatch));
        assertEquals(304, again.statusCode(), file + " with " + ifNoneMatch);
        assertEquals("", again.body());
        assertEquals(etag, header(again, "etag"));
      }
      HttpResponse<String> stale = send("GET", "/console/" + file, Map.of("If-None-Match", "\"0123\""));
      assertEquals(200, stale.statusCode(), "an old version's tag gets the file");
      assertEquals(first.body(), stale.body());
    }
  }

  @Test
  void settingsNameWhatTheConsoleStreamsAndShows() throws Exception {
    HttpResponse<String> r = get("/console/settings");
    assertEquals(200, r.statusCode());
    assertEquals("application/json", header(r, "content-type"));
    JsonObject settings = new JsonObject(r.body());
    assertEquals(new JsonObject().put("hourly", "world.tick.hourly").put("daily", "world.tick.daily")
        .put("simulation", "simulation.event").put("orders", "economy.orders")
        .put("other", new JsonArray().add("game.*")), settings.getJsonObject("topics"));
    assertEquals(new JsonObject().put("gas", 3.5).put("ore", 10.0), settings.getJsonObject("commodities"));
    assertEquals(new JsonArray().add("arasaka").add("militech"), settings.getJsonArray("factions"));
    assertEquals(60, settings.getJsonObject("clock").getInteger("time_scale"));
    assertEquals(304, send("GET", "/console/settings", Map.of("If-None-Match", header(r, "etag"))).statusCode());
  }

  @Test
  void unknownMalformedOrTraversingNamesAreErrorsInTheApiShape() throws Exception {
    assertError(get("/console/nothing.js"), 404, "not_found");
    assertError(get("/console/..%2Fopenapi.json"), 404, "not_found");
    assertError(get("/console/..%2F..%2Fconf%2Fdefault.json"), 404, "not_found");
    assertEquals(get("/").body(), get("/console/%2e%2e").body(), "dot segments are resolved before routing: the page");
    assertError(get("/console/"), 404, "not_found");
    assertError(get("/console/console.js/more"), 404, "not_found");
    assertError(get("/console/" + "a".repeat(2000) + ".js"), 404, "not_found");
    assertTrue(get("/console/" + "a".repeat(2000) + ".js").body().length() < 400, "the name is not echoed whole");
    String malformed = rawGet("/console/%zz");
    // Vert.x Web refuses a path it cannot decode before any route runs (a plain-text 400, as for every route)
    assertTrue(malformed.startsWith("HTTP/1.1 400"), malformed);
    String tooLong = rawGet("/console/" + "a".repeat(20_000));
    assertTrue(tooLong.matches("(?s)HTTP/1\\.[01] 414 .*"), "a URI over the server's limit: " + tooLong);
  }

  @Test
  void otherMethodsThanGetAreRefused() throws Exception {
    assertError(send("POST", "/", Map.of()), 405, "method_not_allowed");
    assertError(send("DELETE", "/console/console.js", Map.of()), 405, "method_not_allowed");
    assertError(send("PUT", "/console/settings", Map.of("content-type", "application/json")), 405, "method_not_allowed");
  }
}
