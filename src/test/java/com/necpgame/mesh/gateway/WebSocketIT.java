package com.necpgame.mesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.envelope.EventIds;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import com.necpgame.mesh.testsupport.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /ws} on two running meshes sharing a real broker and database: subscribe by pattern and start position,
 * order and resume without gap or duplicate, publish with acks, bad frames, the client limit, slow clients paused
 * and (on the second mesh, with a short limit) closed, and a client on either process seeing every event.
 */
class WebSocketIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final int MAX_CLIENTS = 6;
  private static Mesh mesh;
  private static Mesh other;
  private static int port;
  private static int otherPort;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    port = TestMesh.freePort();
    mesh = Mesh.start(TestMesh.config(dir.resolve("a"), port, new JsonObject()
        .put("http", new JsonObject().put("max_body_bytes", 65536))
        .put("websocket", new JsonObject().put("max_clients", MAX_CLIENTS).put("buffer_events", 200)
            .put("topic_refresh_ms", 500))));
    otherPort = TestMesh.freePort();
    other = Mesh.start(TestMesh.config(dir.resolve("b"), otherPort, new JsonObject()
        .put("websocket", new JsonObject().put("buffer_events", 50).put("slow_client_close_ms", 1500))));
  }

  @AfterAll
  static void stop() {
    if (other != null) {
      other.close();
    }
    if (mesh != null) {
      mesh.close();
    }
  }

  private static JsonObject event(String topic, String type, int n) {
    return new JsonObject().put("event_type", type).put("topic", topic).put("source", "ws-test")
        .put("session_id", "s" + (n % 7)).put("payload", new JsonObject().put("n", n));
  }

  /** Publishes over HTTP; the acknowledgements in order. */
  private static JsonArray publish(List<JsonObject> events) throws Exception {
    HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
        + "/events/publish/batch")).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("events", new JsonArray(events)).encode()))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    return new JsonObject(response.body()).getJsonArray("results");
  }

  private static List<JsonObject> events(String topic, String type, int from, int count) {
    List<JsonObject> out = new ArrayList<>();
    for (int i = from; i < from + count; i++) {
      out.add(event(topic, type, i));
    }
    return out;
  }

  private static JsonObject subscribe(WsClient client, JsonObject request) throws Exception {
    client.send(request.put("op", "subscribe"));
    JsonObject answer = client.next(30);
    assertEquals("subscribed", answer.getString("type"), answer.encode());
    return answer;
  }

  private static List<JsonObject> events(WsClient client, int count) throws Exception {
    List<JsonObject> out = new ArrayList<>();
    while (out.size() < count) {
      JsonObject frame = client.next(30);
      assertEquals("event", frame.getString("type"), frame.encode());
      out.add(frame);
    }
    return out;
  }

  /** Per partition, offsets follow each other without a gap from where the stream started. */
  private static void assertInOrderFrom(JsonObject positions, List<JsonObject> frames) {
    Map<String, Long> next = new HashMap<>();
    positions.forEach(t -> ((JsonObject) t.getValue()).forEach(p -> next.put(t.getKey() + "/" + p.getKey(),
        ((Number) p.getValue()).longValue())));
    for (JsonObject frame : frames) {
      String key = frame.getString("topic") + "/" + frame.getInteger("partition");
      assertEquals(next.get(key), frame.getLong("offset"), "in order and without a gap on " + key);
      next.put(key, frame.getLong("offset") + 1);
    }
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); !condition.getAsBoolean(); Thread.sleep(20)) {
      assertTrue(System.nanoTime() < end, "timed out waiting until " + what);
    }
  }

  @Test
  void subscribeByPatternReceivesMatchingTopicsInOrderWithPartitionsAndOffsets() throws Exception {
    String prefix = TestKafka.unique("wsit");
    String a = TestKafka.createTopic(prefix + ".a", 3);
    String b = TestKafka.createTopic(prefix + ".b", 1);
    String elsewhere = TestKafka.createTopic("wsother", 1);
    try (WsClient client = WsClient.connect(port)) {
      JsonObject subscribed = subscribe(client, new JsonObject().put("id", "s1")
          .put("topics", new JsonArray().add(prefix + ".*")));
      assertEquals("s1", subscribed.getString("id"));
      assertEquals(Set.of(a, b), subscribed.getJsonObject("positions").fieldNames());
      assertEquals(new JsonArray(), subscribed.getJsonArray("gaps"));

      List<JsonObject> sent = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        sent.add(event(i % 2 == 0 ? a : b, "game.kill", i));
      }
      sent.add(event(elsewhere, "game.kill", 99));
      JsonArray acks = publish(sent);
      List<JsonObject> received = events(client, 40);
      assertInOrderFrom(subscribed.getJsonObject("positions"), received);
      Set<String> ids = new HashSet<>();
      for (JsonObject frame : received) {
        JsonObject envelope = frame.getJsonObject("event");
        assertTrue(ids.add(envelope.getString("event_id")), "no duplicate");
        assertEquals(frame.getString("topic"), envelope.getJsonObject("data").getInteger("n") % 2 == 0 ? a : b);
      }
      for (int i = 0; i < 40; i++) {
        assertTrue(ids.contains(acks.getJsonObject(i).getString("event_id")), "every published event arrives");
      }
      assertNull(client.poll(500), "nothing from topics the pattern does not match");
    }
  }

  /**
   * The hub writes every event frame as it encoded it once, past the socket's compression: a client that negotiated
   * permessage-deflate (as browsers do) gets them uncompressed (RSV1 clear, RFC 7692 6), readable as any frame.
   */
  @Test
  void aClientThatNegotiatedCompressionReadsEveryFrame() throws Exception {
    String topic = TestKafka.createTopic("wsit-deflate", 2);
    Vertx vertx = Vertx.vertx();
    try {
      BlockingQueue<String> frames = new LinkedBlockingQueue<>();
      WebSocket ws = vertx.createWebSocketClient(new WebSocketClientOptions()
              .setTryUsePerMessageCompression(true))
          .connect(port, "127.0.0.1", "/ws").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      ws.textMessageHandler(frames::add);
      assertTrue(String.valueOf(ws.headers().get("sec-websocket-extensions")).contains("permessage-deflate"),
          "the mesh agreed to compress: " + ws.headers());
      ws.writeTextMessage(new JsonObject().put("op", "subscribe").put("id", "z").put("topics",
          new JsonArray().add(topic)).encode());
      JsonObject subscribed = new JsonObject(frames.poll(30, TimeUnit.SECONDS));
      assertEquals("subscribed", subscribed.getString("type"), subscribed.encode());
      JsonArray acks = publish(events(topic, "game.kill", 0, 20));
      List<JsonObject> received = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        String text = frames.poll(30, TimeUnit.SECONDS);
        assertNotNull(text, "event " + i + " came");
        received.add(new JsonObject(text));
      }
      assertInOrderFrom(subscribed.getJsonObject("positions"), received);
      Set<String> ids = new HashSet<>();
      received.forEach(f -> ids.add(f.getJsonObject("event").getString("event_id")));
      for (int i = 0; i < 20; i++) {
        assertTrue(ids.contains(acks.getJsonObject(i).getString("event_id")));
      }
      ws.writeTextMessage(new JsonObject().put("op", "unsubscribe").put("id", "z").encode());
      assertEquals("unsubscribed", new JsonObject(frames.poll(30, TimeUnit.SECONDS)).getString("type"));
      ws.close();
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void eventTypesFilterWhatIsSent() throws Exception {
    String topic = TestKafka.createTopic("wsit-types", 2);
    try (WsClient client = WsClient.connect(port)) {
      subscribe(client, new JsonObject().put("topics", new JsonArray().add(topic))
          .put("event_types", new JsonArray().add("game.kill").add("game.loot")));
      List<JsonObject> sent = new ArrayList<>();
      sent.addAll(events(topic, "game.kill", 0, 5));
      sent.addAll(events(topic, "game.chat", 5, 5));
      sent.addAll(events(topic, "game.loot", 10, 5));
      publish(sent);
      Set<String> types = new HashSet<>();
      for (JsonObject frame : events(client, 10)) {
        types.add(frame.getJsonObject("event").getString("event_type"));
      }
      assertEquals(Set.of("game.kill", "game.loot"), types);
      assertNull(client.poll(500), "no game.chat");
    }
  }

  @Test
  void reconnectingFromTheLastOffsetsGetsTheRestWithNoGapAndNoDuplicate() throws Exception {
    String topic = TestKafka.createTopic("wsit-resume", 3);
    JsonArray acks = publish(events(topic, "game.kill", 0, 60));
    Set<String> published = new HashSet<>();
    acks.forEach(ack -> published.add(((JsonObject) ack).getString("event_id")));

    Map<String, Long> resume = new HashMap<>();
    List<String> seen = new ArrayList<>();
    try (WsClient client = WsClient.connect(port)) {
      JsonObject subscribed = subscribe(client, new JsonObject().put("topics", new JsonArray().add(topic))
          .put("start", "earliest"));
      subscribed.getJsonObject("positions").getJsonObject(topic)
          .forEach(p -> resume.put(p.getKey(), ((Number) p.getValue()).longValue()));
      for (JsonObject frame : events(client, 25)) {
        seen.add(frame.getJsonObject("event").getString("event_id"));
        resume.put(String.valueOf(frame.getInteger("partition")), frame.getLong("offset") + 1);
      }
    }
    publish(events(topic, "game.kill", 60, 15)).forEach(ack -> published.add(((JsonObject) ack).getString("event_id")));
    JsonObject offsets = new JsonObject().put(topic, new JsonObject(new HashMap<>(resume)));
    try (WsClient client = WsClient.connect(port)) {
      JsonObject subscribed = subscribe(client, new JsonObject().put("topics", new JsonArray().add(topic))
          .put("start", new JsonObject().put("offsets", offsets)));
      assertEquals(offsets.getJsonObject(topic).getMap().keySet(),
          subscribed.getJsonObject("positions").getJsonObject(topic).getMap().keySet());
      List<JsonObject> rest = events(client, 75 - 25);
      assertInOrderFrom(subscribed.getJsonObject("positions"), rest);
      rest.forEach(frame -> seen.add(frame.getJsonObject("event").getString("event_id")));
      assertNull(client.poll(500), "nothing more");
    }
    assertEquals(75, seen.size());
    assertEquals(published, new HashSet<>(seen), "every event exactly once across the reconnect");
  }

  @Test
  void offsetsBeyondTheEndAreReportedAsAGapAndReadFromTheBeginning() throws Exception {
    String topic = TestKafka.createTopic("wsit-gap", 1);
    publish(events(topic, "game.kill", 0, 3));
    try (WsClient client = WsClient.connect(port)) {
      JsonObject subscribed = subscribe(client, new JsonObject().put("topics", new JsonArray().add(topic))
          .put("start", new JsonObject().put("offsets", new JsonObject().put(topic, new JsonObject().put("0", 500)))));
      JsonObject gap = subscribed.getJsonArray("gaps").getJsonObject(0);
      assertEquals(500L, gap.getLong("requested"));
      assertEquals(0L, gap.getLong("from"));
      assertEquals(0L, events(client, 3).get(0).getLong("offset"));
    }
  }

  @Test
  void startingAtATimestampSkipsWhatCameBefore() throws Exception {
    String topic = TestKafka.createTopic("wsit-time", 2);
    publish(events(topic, "game.kill", 0, 10));
    Thread.sleep(20);
    Instant from = Instant.now();
    Thread.sleep(20);
    Set<String> later = new HashSet<>();
    publish(events(topic, "game.kill", 10, 10)).forEach(ack -> later.add(((JsonObject) ack).getString("event_id")));
    try (WsClient client = WsClient.connect(port)) {
      subscribe(client, new JsonObject().put("topics", new JsonArray().add(topic))
          .put("start", new JsonObject().put("timestamp", from.toString())));
      Set<String> got = new HashSet<>();
      events(client, 10).forEach(frame -> got.add(frame.getJsonObject("event").getString("event_id")));
      assertEquals(later, got);
      assertNull(client.poll(500));
    }
  }

  @Test
  void aBoundedStreamReplaysAWindowToTheSocketThenEnds() throws Exception {
    String topic = TestKafka.createTopic("wsit-replay", 2);
    publish(events(topic, "game.kill", 0, 10));
    Thread.sleep(20);
    Instant from = Instant.now();
    Thread.sleep(20);
    Set<String> window = new HashSet<>();
    publish(events(topic, "game.kill", 10, 10)).forEach(ack -> window.add(((JsonObject) ack).getString("event_id")));
    Thread.sleep(20);
    Instant to = Instant.now();
    Thread.sleep(20);
    publish(events(topic, "game.kill", 20, 10));
    try (WsClient client = WsClient.connect(port)) {
      JsonObject subscribed = subscribe(client, new JsonObject().put("id", "r1")
          .put("topics", new JsonArray().add(topic))
          .put("start", new JsonObject().put("timestamp", from.toString()))
          .put("end", new JsonObject().put("timestamp", to.toString())));
      List<JsonObject> frames = events(client, 10);
      assertInOrderFrom(subscribed.getJsonObject("positions"), frames);
      assertEquals(window, frames.stream().map(f -> f.getJsonObject("event").getString("event_id"))
          .collect(java.util.stream.Collectors.toSet()));
      JsonObject end = client.next(30);
      assertEquals("end", end.getString("type"), end.encode());
      assertEquals("r1", end.getString("id"));
      long ended = end.getJsonObject("positions").getJsonObject(topic).stream()
          .mapToLong(p -> ((Number) p.getValue()).longValue()).sum();
      assertEquals(20, ended, "the end is where the window's last events were: " + end.encode());
      publish(events(topic, "game.kill", 30, 5));
      assertNull(client.poll(500), "nothing after the end");
      // the socket is free again: a stream up to what the topic holds now, with a filter
      subscribe(client, new JsonObject().put("topics", new JsonArray().add(topic)).put("start", "earliest")
          .put("end", "latest").put("filter", new JsonObject().put("data.n", new JsonArray().add(3).add(33))));
      assertEquals(List.of(3, 33), events(client, 2).stream()
          .map(f -> f.getJsonObject("event").getJsonObject("data").getInteger("n")).sorted().toList());
      assertEquals("end", client.next(30).getString("type"));
    }
  }

  @Test
  void topicsCreatedAfterSubscribingAreStreamedFromTheirBeginning() throws Exception {
    String prefix = TestKafka.unique("wsit-new");
    try (WsClient client = WsClient.connect(port)) {
      JsonObject subscribed = subscribe(client, new JsonObject().put("topics", new JsonArray().add(prefix + ".*")));
      assertEquals(new JsonObject(), subscribed.getJsonObject("positions"));
      String topic = TestKafka.createTopic(prefix + ".x", 1);
      publish(events(topic, "game.kill", 0, 4));
      List<JsonObject> frames = events(client, 4);
      assertEquals(List.of(0L, 1L, 2L, 3L), frames.stream().map(f -> f.getLong("offset")).toList());
    }
  }

  @Test
  void publishOverTheSocketIsAcknowledgedPerEventWithItsOffset() throws Exception {
    String topic = TestKafka.createTopic("wsit-pub", 2);
    try (WsClient client = WsClient.connect(port)) {
      JsonObject subscribed = subscribe(client, new JsonObject().put("topics", new JsonArray().add(topic)));
      client.send(new JsonObject().put("op", "publish").put("ref", "one").put("event", event(topic, "game.kill", 1)));
      List<JsonObject> streamed = new ArrayList<>();
      JsonObject ack = null;
      while (ack == null) { // the event may be streamed back before its ack arrives
        JsonObject frame = client.next(30);
        if ("event".equals(frame.getString("type"))) {
          streamed.add(frame);
        } else {
          ack = frame;
        }
      }
      assertEquals("ack", ack.getString("type"), ack.encode());
      assertEquals("one", ack.getString("ref"));
      assertEquals(0, ack.getInteger("index"));
      assertEquals(topic, ack.getString("topic"));
      assertNotNull(ack.getLong("offset"));

      client.send(new JsonObject().put("op", "publish").put("ref", 7).put("events", new JsonArray()
          .add(event(topic, "game.kill", 2)).add(event(topic, "Not A Type", 3)).add(event(topic, "game.kill", 4))));
      Map<Integer, JsonObject> answers = new HashMap<>();
      while (answers.size() < 3 || streamed.size() < 3) {
        JsonObject frame = client.next(30);
        if ("event".equals(frame.getString("type"))) {
          streamed.add(frame);
        } else {
          assertEquals(7, frame.getInteger("ref"), frame.encode());
          answers.put(frame.getInteger("index"), frame);
        }
      }
      assertEquals("ack", answers.get(0).getString("type"));
      assertEquals("error", answers.get(1).getString("type"));
      assertEquals(400, answers.get(1).getInteger("status"));
      assertEquals("/event_type", answers.get(1).getJsonObject("error").getJsonArray("details").getJsonObject(0)
          .getString("pointer"));
      assertEquals("ack", answers.get(2).getString("type"));
      assertInOrderFrom(subscribed.getJsonObject("positions"), streamed);
      Set<String> acked = Set.of(ack.getString("event_id"), answers.get(0).getString("event_id"),
          answers.get(2).getString("event_id"));
      Set<String> got = new HashSet<>();
      for (JsonObject frame : streamed) {
        got.add(frame.getJsonObject("event").getString("event_id"));
        JsonObject matching = ack.getString("event_id").equals(frame.getJsonObject("event").getString("event_id"))
            ? ack : answers.values().stream().filter(a -> frame.getJsonObject("event").getString("event_id")
                .equals(a.getString("event_id"))).findFirst().orElseThrow();
        assertEquals(matching.getLong("offset"), frame.getLong("offset"), "the ack's offset is where the event is");
        assertEquals(matching.getInteger("partition"), frame.getInteger("partition"));
      }
      assertEquals(acked, got, "the acknowledged events are in Kafka, the refused one is not");
    }
  }

  @Test
  void aBatchMayBeAcknowledgedInOneFrame() throws Exception {
    String topic = TestKafka.createTopic("wsit-acks", 2);
    try (WsClient client = WsClient.connect(port)) {
      client.send(new JsonObject().put("op", "publish").put("ref", "b").put("ack", "batch").put("events", new JsonArray()
          .add(event(topic, "game.kill", 0)).add(event(topic, "Bad Type", 1)).add(event(topic, "game.kill", 2))));
      JsonObject acks = client.next(30);
      assertEquals("acks", acks.getString("type"), acks.encode());
      assertEquals("b", acks.getString("ref"));
      assertEquals(2, acks.getInteger("published"));
      assertEquals(1, acks.getInteger("failed"));
      JsonArray results = acks.getJsonArray("results");
      assertEquals(List.of(0, 1, 2), results.stream().map(r -> ((JsonObject) r).getInteger("index")).toList());
      assertNotNull(results.getJsonObject(0).getLong("offset"));
      assertEquals(400, results.getJsonObject(1).getInteger("status"));
      assertNotNull(results.getJsonObject(2).getLong("offset"));
      assertNull(client.poll(300), "one frame for the whole batch");
    }
  }

  @Test
  void badFramesGetAnErrorAndTheSocketStaysUsable() throws Exception {
    try (WsClient client = WsClient.connect(port)) {
      client.sendText("{\"op\": ");
      assertEquals("malformed_json", errorCode(client.next(10)));
      client.sendText("[1,2]");
      assertEquals("malformed_json", errorCode(client.next(10)));
      client.send(new JsonObject().put("op", "explode"));
      assertEquals("unknown_op", errorCode(client.next(10)));
      client.sendBinary(new byte[] {1, 2, 3});
      assertEquals("unsupported_frame", errorCode(client.next(10)));
      client.send(new JsonObject().put("op", "subscribe").put("ref", "x").put("topics", new JsonArray().add("a b").add(3))
          .put("start", "yesterday"));
      JsonObject invalid = client.next(10);
      assertEquals("invalid_subscription", errorCode(invalid));
      assertEquals("x", invalid.getString("ref"));
      assertEquals(List.of("/start", "/topics/0", "/topics/1"), invalid.getJsonObject("error").getJsonArray("details")
          .stream().map(d -> ((JsonObject) d).getString("pointer")).sorted().toList());
      client.send(new JsonObject().put("op", "unsubscribe"));
      assertEquals("not_subscribed", errorCode(client.next(10)));
      client.send(new JsonObject().put("op", "publish").put("ref", "p"));
      assertEquals("invalid_publish", errorCode(client.next(10)));
      JsonArray tooMany = new JsonArray();
      for (int i = 0; i < 1001; i++) {
        tooMany.add(new JsonObject());
      }
      client.send(new JsonObject().put("op", "publish").put("events", tooMany));
      assertEquals("too_many_events", errorCode(client.next(10)));
      client.send(new JsonObject().put("op", "publish").put("event", event(TestKafka.unique("nowhere"), "game.kill", 0)));
      assertEquals("topic_not_found", errorCode(client.next(10)));

      subscribe(client, new JsonObject().put("topics", new JsonArray().add("game.*")));
      client.send(new JsonObject().put("op", "subscribe").put("topics", new JsonArray().add("game.*")));
      assertEquals("already_subscribed", errorCode(client.next(10)));
      client.send(new JsonObject().put("op", "unsubscribe"));
      assertEquals("unsubscribed", client.next(10).getString("type"));
      client.send(new JsonObject().put("op", "ping").put("ref", 1));
      assertEquals("pong", client.next(10).getString("type"), "still open and answering");
    }
  }

  private static String errorCode(JsonObject frame) {
    assertEquals("error", frame.getString("type"), frame.encode());
    return frame.getJsonObject("error").getString("code");
  }

  @Test
  void aFrameOverTheBodyLimitClosesTheSocketWith1009() throws Exception {
    try (WsClient client = WsClient.connect(port)) {
      client.sendText("{\"op\":\"ping\",\"pad\":\"" + "x".repeat(70_000) + "\"}");
      assertTrue(client.closedWith(30).startsWith("1009"), "message too big");
    }
  }

  @Test
  void plainGetIs426AndClientsBeyondTheLimitAre503() throws Exception {
    HttpResponse<String> plain = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ws"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(426, plain.statusCode());
    assertEquals("upgrade_required", new JsonObject(plain.body()).getJsonObject("error").getString("code"));

    await("earlier sockets are closed", () -> mesh.context().metrics().webSockets() == 0);
    List<WsClient> clients = new ArrayList<>();
    try {
      for (int i = 0; i < MAX_CLIENTS; i++) {
        clients.add(WsClient.connect(port));
      }
      Exception refused = assertThrows(Exception.class, () -> WsClient.connect(port));
      assertTrue(refused.getCause() instanceof WebSocketHandshakeException, refused.toString());
      assertEquals(503, ((WebSocketHandshakeException) refused.getCause()).getResponse().statusCode());
    } finally {
      clients.forEach(WsClient::close);
    }
    await("the sockets are counted out", () -> mesh.context().metrics().webSockets() == 0);
    try (WsClient again = WsClient.connect(port)) {
      again.send(new JsonObject().put("op", "ping"));
      assertEquals("pong", again.next(10).getString("type"));
    }
  }

  /** 20 MB of events for a client that stops reading: its stream pauses, and once it reads it gets every event. */
  @Test
  void aSlowClientIsPausedNotDropped() throws Exception {
    String topic = TestKafka.createTopic("wsit-slow", 2);
    int count = 20_000;
    produce(topic, count, 1000);
    try (WsClient client = WsClient.connectNotReading(port)) {
      client.send(new JsonObject().put("op", "subscribe").put("topics", new JsonArray().add(topic))
          .put("start", "earliest"));
      JsonObject subscribed = client.next(30);
      assertEquals("subscribed", subscribed.getString("type"));
      await("the stream pauses", () -> mesh.context().metrics().pausedStreams() >= 1);
      client.read();
      List<JsonObject> frames = events(client, count);
      assertInOrderFrom(subscribed.getJsonObject("positions"), frames);
      Set<Integer> numbers = new HashSet<>();
      frames.forEach(f -> numbers.add(f.getJsonObject("event").getJsonObject("data").getInteger("n")));
      assertEquals(count, numbers.size(), "every event once");
      await("the stream runs again", () -> mesh.context().metrics().pausedStreams() == 0);
    }
  }

  @Test
  void aClientThatStaysBehindPastTheLimitIsClosedWithAReason() throws Exception {
    String topic = TestKafka.createTopic("wsit-tooslow", 1);
    produce(topic, 20_000, 1000);
    try (WsClient client = WsClient.connectNotReading(otherPort)) {
      double before = other.context().metrics().slowCloses();
      client.send(new JsonObject().put("op", "subscribe").put("topics", new JsonArray().add(topic))
          .put("start", "earliest"));
      JsonObject subscribed = client.next(30);
      await("the mesh gives up on the client", () -> other.context().metrics().slowCloses() > before);
      client.read();
      List<JsonObject> frames = new ArrayList<>();
      for (JsonObject frame = client.poll(10_000); frame != null; frame = client.poll(2_000)) {
        frames.add(frame);
      }
      assertTrue(frames.size() < 20_000, "closed before the end: " + frames.size());
      assertInOrderFrom(subscribed.getJsonObject("positions"), frames);
      String closed = client.closedWith(30);
      assertTrue(closed.startsWith("1008 slow consumer:"), closed);
    }
  }

  @Test
  void aClientOnEitherProcessSeesEveryEvent() throws Exception {
    String topic = TestKafka.createTopic("wsit-both", 4);
    try (WsClient here = WsClient.connect(port); WsClient there = WsClient.connect(otherPort)) {
      subscribe(here, new JsonObject().put("topics", new JsonArray().add(topic)));
      subscribe(there, new JsonObject().put("topics", new JsonArray().add(topic)));
      Set<String> published = new HashSet<>();
      publish(events(topic, "game.kill", 0, 50)).forEach(a -> published.add(((JsonObject) a).getString("event_id")));
      for (WsClient client : List.of(here, there)) {
        Set<String> got = new HashSet<>();
        events(client, 50).forEach(f -> got.add(f.getJsonObject("event").getString("event_id")));
        assertEquals(published, got);
      }
    }
  }

  /** Valid envelopes straight to Kafka, {@code size} bytes of data each, numbered in {@code data.n}. */
  private static void produce(String topic, int count, int size) {
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
        TestKafka.bootstrapServers(), "linger.ms", 5), new StringSerializer(), new ByteArraySerializer())) {
      String pad = "x".repeat(size);
      for (int i = 0; i < count; i++) {
        JsonObject envelope = new JsonObject().put("event_id", EventIds.newId().toString()).put("event_type", "game.kill")
            .put("timestamp", Instant.now().toString()).put("version", "1.0.0").put("source", "ws-test")
            .put("data", new JsonObject().put("n", i).put("pad", pad));
        producer.send(new ProducerRecord<>(topic, "k" + i, envelope.encode().getBytes(StandardCharsets.UTF_8)));
      }
      producer.flush();
    }
  }
}
