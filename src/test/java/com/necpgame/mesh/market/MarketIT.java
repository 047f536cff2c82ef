package com.necpgame.mesh.market;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.envelope.EnvelopeValidator;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The market in a mesh with ticks at a game hour per real second: orders over REST, clearings on Kafka, replayable. */
class MarketIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final EnvelopeValidator VALIDATOR = EnvelopeValidator.load(Optional.empty());
  private static Mesh mesh;
  private static int port;
  private static String orders;
  private static String output;
  private static Instant realEpoch;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    String hourly = TestKafka.createTopic("mk-hourly", 6);
    String daily = TestKafka.createTopic("mk-daily", 3);
    String leader = TestKafka.createTopic("mk-leader", 1);
    orders = TestKafka.unique("mk-orders");
    String state = TestKafka.unique("mk-state");
    output = TestKafka.createTopic("mk-sim", 12);
    var admin = TestKafka.admin();
    admin.createTopics(List.of(
        new org.apache.kafka.clients.admin.NewTopic(orders, 4, (short) 1)
            .configs(Map.of("message.timestamp.type", "LogAppendTime")),
        new org.apache.kafka.clients.admin.NewTopic(state, 4, (short) 1)
            .configs(Map.of("cleanup.policy", "compact", "max.message.bytes", "33554432")))).all().get();
    realEpoch = Instant.now();
    port = TestMesh.freePort();
    mesh = Mesh.start(TestMesh.config(dir, port, new JsonObject()
        .put("kafka", new JsonObject().put("consumer", new JsonObject().put("group_prefix", TestKafka.unique("mk"))))
        .put("world", new JsonObject()
            .put("output_topic", output)
            .put("commodities", new JsonObject().put("ore", 10).put("gas", 3.5))
            .put("clock", new JsonObject().put("real_epoch", realEpoch.toString()).put("time_scale", 3600))
            .put("tick", new JsonObject().put("topics", new JsonObject().put("hourly", hourly).put("daily", daily)
                .put("leader", leader)))
            .put("market", new JsonObject().put("topics", new JsonObject().put("orders", orders).put("state", state))))
        .put("verticles", new JsonObject().put("tick", new JsonObject().put("enabled", true))
            .put("market", new JsonObject().put("enabled", true)))));
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  private static HttpResponse<String> send(String method, String path, String body, String type) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (type != null) {
      b.header("content-type", type);
    }
    return HTTP.send(b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonObject order(String commodity, String side, Object price, long quantity) {
    return new JsonObject().put("commodity", commodity).put("side", side).put("limit_price", price)
        .put("quantity", quantity).put("owner", "player-" + side);
  }

  private static String place(JsonObject order) throws Exception {
    HttpResponse<String> r = send("POST", "/market/orders", order.encode(), "application/json");
    assertEquals(202, r.statusCode(), r.body());
    return new JsonObject(r.body()).getString("order_id");
  }

  private static void await(String what, Supplier<Boolean> condition) throws InterruptedException {
    for (long end = System.nanoTime() + 60_000_000_000L; !condition.get(); Thread.sleep(200)) {
      assertTrue(System.nanoTime() < end, "timed out waiting for " + what);
    }
  }

  @Test
  void ordersPlacedOverRestAreClearedOnTheNextTickAndShownOnEveryReadRoute() throws Exception {
    place(order("ore", "buy", 10.5, 30));
    place(order("ore", "sell", 9.75, 20));
    String cancelled = place(order("ore", "sell", 1, 1000));
    assertEquals(202, send("DELETE", "/market/orders/" + cancelled + "?owner=player-sell", null, null).statusCode());
    await("ore cleared", () -> cleared("ore").stream().anyMatch(c -> c.getJsonObject("data").getValue("price") != null));
    JsonObject clearing = cleared("ore").stream().filter(c -> c.getJsonObject("data").getValue("price") != null)
        .findFirst().orElseThrow().getJsonObject("data");
    // 10.5 and 9.75 both execute 20 with a buy surplus of 10: market pressure takes the highest
    assertEquals(10.5, clearing.getDouble("price"));
    assertEquals(20, clearing.getInteger("volume"));
    assertEquals(10, clearing.getInteger("imbalance"));
    assertEquals(1, clearing.getInteger("fills"), "the cancelled sell at 1 took no part");
    await("the view", () -> {
      try {
        JsonObject prices = new JsonObject(send("GET", "/market/prices", null, null).body());
        return prices.getJsonArray("prices").stream().map(p -> (JsonObject) p)
            .anyMatch(p -> "ore".equals(p.getString("commodity")) && p.getValue("price") != null);
      } catch (Exception e) {
        return false;
      }
    });
    JsonObject book = new JsonObject(send("GET", "/market/ore", null, null).body());
    assertEquals(10, book.getJsonObject("book").getLong("buy_quantity"), "10 of the buy carried over");
    assertEquals(10.5, book.getJsonObject("last_clearing").getDouble("price"));
    JsonObject gas = new JsonObject(send("GET", "/market/gas", null, null).body());
    assertEquals(3.5, gas.getDouble("initial_reference_price"));
    assertEquals(404, send("GET", "/market/unobtainium", null, null).statusCode());
  }

  @Test
  void badOrdersGetAClearErrorAndNothingIsSent() throws Exception {
    HttpResponse<String> r = send("POST", "/market/orders", order("ore", "hold", -1, 0).encode(), "application/json");
    assertEquals(400, r.statusCode());
    Set<String> pointers = new HashSet<>();
    new JsonObject(r.body()).getJsonObject("error").getJsonArray("details")
        .forEach(d -> pointers.add(((JsonObject) d).getString("pointer")));
    assertTrue(pointers.containsAll(Set.of("/side", "/quantity")), r.body());
    r = send("POST", "/market/orders", order("unobtainium", "buy", 1, 1).encode(), "application/json");
    assertEquals(400, r.statusCode());
    assertTrue(r.body().contains("/commodity"), r.body());
    assertEquals(400, send("POST", "/market/orders", "{not json", "application/json").statusCode());
    assertEquals(415, send("POST", "/market/orders", "x", "text/plain").statusCode());
    assertEquals(413, send("POST", "/market/orders", "{\"a\":\"" + "x".repeat(1_100_000) + "\"}",
        "application/json").statusCode());
    assertEquals(404, send("DELETE", "/market/orders/not-an-order", null, null).statusCode());
  }

  /** The clearings on the output topic are what a fresh shard computes from the orders topic, byte for byte. */
  @Test
  void replayingTheRecordedOrdersReproducesTheClearingsByteForByte() throws Exception {
    for (int i = 0; i < 20; i++) {
      place(order(i % 2 == 0 ? "gas" : "ore", i % 3 == 0 ? "sell" : "buy", 3 + (i % 5) * 0.25, 5 + i));
      Thread.sleep(100);
    }
    Thread.sleep(3000);
    Map<String, String> live = new TreeMap<>(); // event id -> bytes
    long lastHour = Long.MIN_VALUE;
    for (ConsumerRecord<String, byte[]> r : records(output).values().stream().flatMap(List::stream).toList()) {
      String bytes = new String(r.value(), StandardCharsets.UTF_8);
      JsonObject e = new JsonObject(bytes);
      assertEquals(List.of(), VALIDATOR.validate(e), bytes);
      live.put(e.getString("event_id"), bytes);
      lastHour = Math.max(lastHour, e.getJsonObject("data").getLong("game_hour"));
    }
    long firstHour = live.values().stream().map(JsonObject::new).mapToLong(e -> e.getJsonObject("data")
        .getLong("game_hour")).min().orElseThrow();
    Map<String, String> replayed = new TreeMap<>();
    Map<Integer, List<ConsumerRecord<String, byte[]>>> byPartition = records(orders);
    var clock = mesh.context().config().world().tick().clock();
    for (var partition : byPartition.entrySet()) {
      MarketShard shard = MarketShard.fresh("replay", mesh.context().config().world().commodities(), "unused");
      int next = 0;
      List<ConsumerRecord<String, byte[]>> records = partition.getValue();
      for (long h = firstHour; h <= lastHour; h++) {
        Instant gameTime = clock.gameEpoch().plus(Duration.ofHours(h));
        long cut = clock.realAt(gameTime).toEpochMilli();
        while (next < records.size() && records.get(next).timestamp() < cut) {
          shard.input(new JsonObject(new String(records.get(next++).value(), StandardCharsets.UTF_8)));
        }
        for (JsonObject e : shard.clear(h, gameTime, Instant.ofEpochMilli(cut))) {
          replayed.put(e.getString("event_id"), new String(com.necpgame.mesh.kafka.EnvelopeRecords.utf8(e),
              StandardCharsets.UTF_8));
        }
      }
    }
    assertTrue(live.size() >= 4, "clearings and trades were published: " + live.size());
    assertEquals(live, replayed);
  }

  private static List<JsonObject> cleared(String commodity) {
    List<JsonObject> out = new ArrayList<>();
    for (JsonObject e : TestKafka.envelopes(output)) {
      if ("economy.market.cleared".equals(e.getString("event_type"))
          && commodity.equals(e.getJsonObject("data").getString("commodity"))) {
        out.add(e);
      }
    }
    return out;
  }

  /** Every record of a topic, per partition in offset order. */
  private static Map<Integer, List<ConsumerRecord<String, byte[]>>> records(String topic) {
    Map<Integer, List<ConsumerRecord<String, byte[]>>> out = new TreeMap<>();
    var clients = TestKafka.clients(TestKafka.config(new JsonObject()));
    try (KafkaConsumer<String, byte[]> c = clients.consumer("mk-replay", null, "earliest")) {
      List<TopicPartition> parts = c.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      var ends = c.endOffsets(parts);
      while (parts.stream().anyMatch(p -> c.position(p) < ends.get(p))) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
          out.computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(r);
        }
      }
    }
    return out;
  }
}
