package com.necpgame.mesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Many sockets subscribing at once while events flow (the resume benchmark's shape, smaller): each socket holds a
 * shared subscription and its keyed personal channel, started {@code latest}, {@code earliest} or from offsets
 * ({@code otherwise: earliest}); then half of them leave and all come back at once with their offsets. Every socket
 * gets both {@code subscribed} frames, every reconnect finishes, and every socket ends with every shared event and
 * every event of its player exactly once, in order per partition.
 */
class ManySubscribesIT {

  private static final Logger LOG = LoggerFactory.getLogger(ManySubscribesIT.class);
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final int SOCKETS = 400;
  /** Only bounds the wait (a subscribe the mesh dropped is never answered); the times taken are logged. */
  private static final long WAIT_MS = 90_000;
  private static Mesh mesh;
  private static int port;
  private static Vertx vertx;
  private static WebSocketClient client;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    port = TestMesh.freePort();
    mesh = Mesh.start(TestMesh.config(dir, port, new JsonObject().put("kafka", new JsonObject()
        .put("request_timeout_ms", 60000))));
    vertx = Vertx.vertx();
    client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(2 * SOCKETS)
        .setConnectTimeout(60_000));
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) {
      vertx.close().await(20, TimeUnit.SECONDS);
    }
    if (mesh != null) {
      mesh.close();
    }
  }

  /** One socket, as seen on its event loop (fields read by the test thread are concurrent or volatile). */
  private final class Sock {
    final int index;
    final String player;
    final Map<String, Long> next = new ConcurrentHashMap<>(); // "topic/partition" -> next offset
    final Map<String, Long> personalGot = new ConcurrentHashMap<>(); // event_id -> offset
    final List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
    volatile WebSocket ws;
    volatile CompletableFuture<Long> subscribed;
    private int pending;
    private long since;

    Sock(int index) {
      this.index = index;
      this.player = "p-" + index;
    }

    /**
     * Connects and subscribes twice; completes with the milliseconds from sending the subscribes until both
     * {@code subscribed} frames came.
     */
    CompletableFuture<Long> open(Object sharedStart, Object personalStart) {
      CompletableFuture<Long> done = new CompletableFuture<>();
      subscribed = done;
      client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/ws"))
          .onFailure(done::completeExceptionally)
          .onSuccess(socket -> {
            ws = socket;
            since = System.nanoTime();
            pending = 2;
            socket.textMessageHandler(this::onText);
            socket.closeHandler(v -> done.completeExceptionally(new IllegalStateException("socket " + index
                + " closed: " + socket.closeStatusCode() + " " + socket.closeReason())));
            socket.writeTextMessage(new JsonObject().put("op", "subscribe").put("id", "shared")
                .put("topics", new JsonArray().add(shared)).put("start", sharedStart).encode());
            socket.writeTextMessage(new JsonObject().put("op", "subscribe").put("id", "personal")
                .put("topics", new JsonArray().add(personal)).put("key", new JsonObject().put("player_id", player))
                .put("start", personalStart).encode());
          });
      return done;
    }

    private void onText(String text) {
      JsonObject frame = new JsonObject(text);
      switch (frame.getString("type")) {
        case "subscribed" -> {
          String topic = "shared".equals(frame.getValue("id")) ? shared : personal;
          frame.getJsonObject("positions").getJsonObject(topic, new JsonObject()).forEach(p ->
              next.putIfAbsent(topic + "/" + p.getKey(), ((Number) p.getValue()).longValue()));
          if (!frame.getJsonArray("gaps").isEmpty()) {
            problems.add("gaps " + frame.getJsonArray("gaps"));
          }
          if (--pending == 0) {
            subscribed.complete((System.nanoTime() - since) / 1_000_000);
          }
        }
        case "event" -> {
          String topic = frame.getString("topic");
          String at = topic + "/" + frame.getInteger("partition");
          long offset = frame.getLong("offset");
          Long expected = next.get(at);
          if (expected == null) {
            problems.add("event on " + at + " before its subscribed frame");
            return;
          }
          if (topic.equals(shared) ? offset != expected : offset < expected) {
            problems.add("on " + at + " offset " + offset + " where " + expected + " was next");
          }
          next.put(at, Math.max(expected, offset + 1));
          if (topic.equals(personal)) {
            JsonObject event = frame.getJsonObject("event");
            if (!player.equals(event.getString("player_id"))) {
              problems.add("event of " + event.getString("player_id"));
            }
            if (personalGot.put(event.getString("event_id"), offset) != null) {
              problems.add("duplicate " + event.getString("event_id"));
            }
          }
        }
        default -> problems.add("frame " + text);
      }
    }

    /** Where to resume: every partition of the topic it was told or received, from its next offset. */
    JsonObject resume(String topic) {
      JsonObject offsets = new JsonObject();
      next.forEach((at, n) -> {
        if (at.startsWith(topic + "/")) {
          offsets.put(at.substring(topic.length() + 1), n);
        }
      });
      return new JsonObject().put("offsets", new JsonObject().put(topic, offsets)).put("otherwise", "earliest");
    }
  }

  private String shared;
  private String personal;
  /** Acknowledged offsets: the shared topic's end per partition, and each player's event ids. */
  private final Map<Integer, Long> sharedEnd = new ConcurrentHashMap<>();
  private final Map<String, Map<String, Boolean>> personalFor = new ConcurrentHashMap<>();
  private final AtomicLong published = new AtomicLong();

  private void publishBatch(int sharedCount, int personalCount) throws Exception {
    JsonArray events = new JsonArray();
    List<String> to = new ArrayList<>();
    for (int i = 0; i < sharedCount; i++) {
      events.add(new JsonObject().put("event_type", "game.weather").put("topic", shared).put("source", "many-it")
          .put("payload", new JsonObject().put("n", i)));
      to.add(null);
    }
    for (int i = 0; i < personalCount; i++) {
      String player = "p-" + ThreadLocalRandom.current().nextInt(SOCKETS);
      events.add(new JsonObject().put("event_type", "game.loot").put("topic", personal).put("source", "many-it")
          .put("player_id", player).put("session_id", player).put("payload", new JsonObject().put("n", i)));
      to.add(player);
    }
    HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
        + "/events/publish/batch")).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("events", events).encode())).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    JsonArray results = new JsonObject(response.body()).getJsonArray("results");
    for (int i = 0; i < results.size(); i++) {
      JsonObject r = results.getJsonObject(i);
      if (to.get(i) == null) {
        sharedEnd.merge(r.getInteger("partition"), r.getLong("offset") + 1, Math::max);
      } else {
        personalFor.computeIfAbsent(to.get(i), p -> new ConcurrentHashMap<>()).put(r.getString("event_id"), true);
      }
    }
    published.addAndGet(results.size());
  }

  /** Waits for every socket's subscribe; returns the slowest in ms. Fails naming how many never got both frames. */
  private static long awaitSubscribed(List<Sock> socks, String what) throws Exception {
    long deadline = System.currentTimeMillis() + WAIT_MS;
    long slowest = 0;
    List<String> missing = new ArrayList<>();
    for (Sock s : socks) {
      try {
        slowest = Math.max(slowest, s.subscribed.get(Math.max(1, deadline - System.currentTimeMillis()),
            TimeUnit.MILLISECONDS));
      } catch (java.util.concurrent.TimeoutException e) {
        missing.add("socket " + s.index + ": " + s.pending + " subscribed frame(s) missing");
      } catch (java.util.concurrent.ExecutionException e) {
        missing.add("socket " + s.index + ": " + e.getCause());
      }
    }
    assertTrue(missing.isEmpty(), what + ": " + missing.size() + " of " + socks.size() + " sockets without both "
        + "subscribed frames, e.g. " + missing.subList(0, Math.min(5, missing.size())));
    return slowest;
  }

  @Test
  void manySocketsSubscribingAtOnceWhileEventsFlowAreAllAnsweredAndEveryReconnectFinishes() throws Exception {
    shared = TestKafka.createTopic(TestKafka.unique("many") + ".world", 3);
    personal = TestKafka.createTopic(TestKafka.unique("many") + ".personal", 6);
    publishBatch(30, 60); // something before the sockets: earliest and offsets have history to read
    AtomicBoolean flowing = new AtomicBoolean(true);
    Thread publisher = new Thread(() -> {
      try {
        while (flowing.get()) {
          publishBatch(2, 10);
          Thread.sleep(100);
        }
      } catch (Exception e) {
        LOG.error("publishing failed", e);
        flowing.set(false);
      }
    }, "many-it-publisher");
    publisher.start();
    List<Sock> socks = new ArrayList<>();
    try {
      // every socket at once: shared latest / earliest / from offsets, personal earliest or from (partial) offsets
      for (int i = 0; i < SOCKETS; i++) {
        Sock s = new Sock(i);
        socks.add(s);
        Object sharedStart = switch (i % 3) {
          case 0 -> "latest";
          case 1 -> "earliest";
          default -> new JsonObject().put("offsets", new JsonObject().put(shared, new JsonObject().put("0", 0)))
              .put("otherwise", "earliest");
        };
        Object personalStart = i % 2 == 0 ? "earliest" : new JsonObject().put("offsets", new JsonObject()
            .put(personal, new JsonObject().put("0", 0))).put("otherwise", "earliest");
        s.open(sharedStart, personalStart);
      }
      long first = awaitSubscribed(socks, "first connection");
      LOG.info("{} sockets connected and subscribed twice at once, slowest in {} ms ({} events published so far)",
          SOCKETS, first, published.get());

      // half of them leave, stay away while events flow, and all come back at once with their offsets
      List<Sock> away = socks.stream().filter(s -> s.index % 2 == 1).toList();
      for (Sock s : away) {
        s.ws.close().await(10, TimeUnit.SECONDS);
      }
      Thread.sleep(2000);
      for (Sock s : away) {
        s.open(s.resume(shared), s.resume(personal));
      }
      long back = awaitSubscribed(away, "reconnect");
      LOG.info("{} sockets reconnected and resumed twice at once, slowest in {} ms", away.size(), back);
      assertTrue(flowing.get(), "events were flowing all along");
    } finally {
      flowing.set(false);
      publisher.join(30_000);
    }

    // every socket ends with every shared event and every event of its player, once, in order
    long deadline = System.currentTimeMillis() + 60_000;
    for (Sock s : socks) {
      while (System.currentTimeMillis() < deadline && !complete(s)) {
        Thread.sleep(50);
      }
      assertEquals(List.of(), s.problems, "socket " + s.index);
      assertTrue(complete(s), "socket " + s.index + " has every event: shared at " + s.next + " of " + sharedEnd
          + ", personal " + s.personalGot.size() + " of " + personalFor.getOrDefault(s.player, Map.of()).size());
    }
    LOG.info("{} events published; every socket had its events exactly once", published.get());
    socks.forEach(s -> s.ws.close());
  }

  private boolean complete(Sock s) {
    for (Map.Entry<Integer, Long> end : sharedEnd.entrySet()) {
      if (s.next.getOrDefault(shared + "/" + end.getKey(), -1L) < end.getValue()) {
        return false;
      }
    }
    return s.personalGot.keySet().equals(personalFor.getOrDefault(s.player, Map.of()).keySet());
  }
}
