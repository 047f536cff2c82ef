package com.necpgame.mesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.necpgame.mesh.security.Acl;
import com.necpgame.mesh.security.Principal;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The close both WebSockets ({@code /ws}, {@code /matches/{id}/ws}) arm for a socket opened with a JWT. */
class TokenExpiryTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close();
  }

  private static Principal until(long epochSeconds) {
    return new Principal("p", "jwt", Acl.ALL, null, null, epochSeconds);
  }

  @Test
  void aSocketIsClosedWith1008TokenExpiredWhenItsTokenExpires() throws Exception {
    long exp = System.currentTimeMillis() / 1000 + 2;
    HttpServer server = vertx.createHttpServer().webSocketHandler(ws -> TokenExpiry.closeWhenExpired(vertx, ws,
        until(exp))).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    CompletableFuture<String> closed = new CompletableFuture<>();
    HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + server.actualPort()),
        new WebSocket.Listener() {
          @Override
          public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode + " " + reason);
            return null;
          }
        }).get(30, TimeUnit.SECONDS);
    assertEquals("1008 token expired", closed.get(60, TimeUnit.SECONDS));
    assertEquals(true, System.currentTimeMillis() / 1000 >= exp, "not before the token's exp");
  }

  @Test
  void aCredentialWithoutExpiryArmsNothing() throws Exception {
    AtomicLong timer = new AtomicLong(Long.MIN_VALUE);
    CompletableFuture<Void> armed = new CompletableFuture<>();
    HttpServer server = vertx.createHttpServer().webSocketHandler(ws -> {
      timer.set(TokenExpiry.closeWhenExpired(vertx, ws, until(0)));
      armed.complete(null);
    }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    WebSocket client = HttpClient.newHttpClient().newWebSocketBuilder()
        .buildAsync(URI.create("ws://127.0.0.1:" + server.actualPort()), new WebSocket.Listener() {})
        .get(30, TimeUnit.SECONDS);
    armed.get(30, TimeUnit.SECONDS);
    assertEquals(-1, timer.get(), "an API key or anonymous socket is not closed for expiry");
    client.abort();
  }
}
