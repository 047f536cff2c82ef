package com.necpgame.mesh.testsupport;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A WebSocket client for tests (the JDK's): every text message is queued as JSON. With {@code reading} false it
 * asks for no messages until {@link #read()} (the client stops reading, as a slow one would).
 */
public final class WsClient implements AutoCloseable {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final BlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
  private final CompletableFuture<String> closed = new CompletableFuture<>();
  private final StringBuilder partial = new StringBuilder();
  private final WebSocket ws;
  private volatile boolean reading;

  private WsClient(String url, boolean reading) {
    this.reading = reading;
    this.ws = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
        .buildAsync(URI.create(url), new WebSocket.Listener() {
          @Override
          public void onOpen(WebSocket webSocket) {
            webSocket.request(1);
          }

          @Override
          public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
              frames.add(new JsonObject(partial.toString()));
              partial.setLength(0);
            }
            if (WsClient.this.reading) {
              webSocket.request(1);
            }
            return null;
          }

          @Override
          public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode + " " + reason);
            return null;
          }

          @Override
          public void onError(WebSocket webSocket, Throwable error) {
            closed.complete("error " + error);
          }
        }).join();
  }

  /** Connects to {@code ws://127.0.0.1:<port>/ws}. */
  public static WsClient connect(int port) {
    return new WsClient("ws://127.0.0.1:" + port + "/ws", true);
  }

  /** Connects to {@code ws://127.0.0.1:<port>/ws?<query>} (credentials in {@code access_token}). */
  public static WsClient connect(int port, String query) {
    return new WsClient("ws://127.0.0.1:" + port + "/ws?" + query, true);
  }

  /** Connects but reads one message only, until {@link #read()}. */
  public static WsClient connectNotReading(int port) {
    return new WsClient("ws://127.0.0.1:" + port + "/ws", false);
  }

  public WsClient send(JsonObject frame) {
    ws.sendText(frame.encode(), true).join();
    return this;
  }

  public WsClient sendText(String text) {
    ws.sendText(text, true).join();
    return this;
  }

  public WsClient sendBinary(byte[] bytes) {
    ws.sendBinary(ByteBuffer.wrap(bytes), true).join();
    return this;
  }

  /** Starts reading again, as fast as frames come. */
  public void read() {
    reading = true;
    ws.request(Long.MAX_VALUE);
  }

  /** The next frame, failing after {@code seconds}. */
  public JsonObject next(int seconds) throws InterruptedException {
    JsonObject frame = frames.poll(seconds, TimeUnit.SECONDS);
    if (frame == null) {
      throw new AssertionError("no frame within " + seconds + " s" + (closed.isDone() ? "; closed: " + closed.join() : ""));
    }
    return frame;
  }

  /** The next frame that passes {@code filter}, skipping others. */
  public JsonObject next(Predicate<JsonObject> filter, int seconds) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (true) {
      JsonObject frame = frames.poll(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (frame == null) {
        throw new AssertionError("no matching frame within " + seconds + " s"
            + (closed.isDone() ? "; closed: " + closed.join() : ""));
      }
      if (filter.test(frame)) {
        return frame;
      }
    }
  }

  /** The next frame if one comes within {@code millis}, else null. */
  public JsonObject poll(long millis) throws InterruptedException {
    return frames.poll(millis, TimeUnit.MILLISECONDS);
  }

  /** {@code "<status> <reason>"} once the server closed the socket, failing after {@code seconds}. */
  public String closedWith(int seconds) throws Exception {
    return closed.get(seconds, TimeUnit.SECONDS);
  }

  /** {@code "<status> <reason>"} when the socket was closed (or failed), else null; does not wait. */
  public String closedNow() {
    return closed.getNow(null);
  }

  @Override
  public void close() {
    if (!ws.isOutputClosed()) {
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
    }
    ws.abort();
  }
}
