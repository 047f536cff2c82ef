package com.necpgame.mesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.match.MatchVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The match routes' answers to what the match verticle replies (here a stand-in on the event bus): no Kafka. */
class MatchRoutesTest {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static Vertx vertx;
  private static HttpServer server;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    vertx.eventBus().<JsonObject>consumer(MatchVerticle.CREATE, m -> m.fail(503, "this process runs no match partition"));
    vertx.eventBus().<JsonObject>consumer(MatchVerticle.RESPOND, m -> m.reply(new JsonObject().put("accepted", true)
        .put("match", new JsonObject().put("match_id", m.body().getString("match_id")))));
    vertx.eventBus().<JsonObject>consumer(MatchVerticle.LIST, m -> m.reply(new JsonObject().put("asked", m.body())));
    Router router = Router.router(vertx);
    router.route().handler(BodyHandler.create(false));
    new MatchRoutes(vertx).mount(router);
    server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").toCompletionStage()
        .toCompletableFuture().get();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get();
  }

  private static HttpResponse<String> post(String path, String token, JsonObject body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + path))
        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode()));
    if (token != null) {
      b.header(MatchRoutes.TOKEN_HEADER, token);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void answers503WithRetryAfterWhenThisProcessRunsNoPartition() throws Exception {
    HttpResponse<String> r = post("/matches", null, new JsonObject().put("player_id", "p1"));
    assertEquals(503, r.statusCode(), r.body());
    assertTrue(r.headers().firstValue("retry-after").isPresent());
    JsonObject error = new JsonObject(r.body()).getJsonObject("error");
    assertEquals("matches_unavailable", error.getString("code"));
    assertTrue(error.getString("message").contains("no match partition"), error.getString("message"));
  }

  @Test
  void answers202WithTheAcceptanceOfAForwardedAnswer() throws Exception {
    HttpResponse<String> r = post("/matches/match-1/responses", "t", new JsonObject().put("round", 1).put("text", "hi"));
    assertEquals(202, r.statusCode(), r.body());
    JsonObject body = new JsonObject(r.body());
    assertEquals(true, body.getBoolean("accepted"));
    assertEquals("match-1", body.getJsonObject("match").getString("match_id"));
  }

  @Test
  void listsWithTheQueryPassedOnAndRefusesABadOne() throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort()
        + "/matches?state=all&limit=5")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(new JsonObject().put("state", "all").put("limit", 5).put("players", false),
        new JsonObject(r.body()).getJsonObject("asked"), "no principal, no players");
    r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort()
        + "/matches?state=live&limit=99999")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(400, r.statusCode(), r.body());
    JsonObject error = new JsonObject(r.body()).getJsonObject("error");
    assertEquals("invalid_query", error.getString("code"));
    assertEquals(2, error.getJsonArray("details").size(), r.body());
  }
}
