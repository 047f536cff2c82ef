package com.necpgame.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import com.necpgame.mesh.tick.GameClock;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19's "alive on first start": a mesh with the default world (the default clock, a game hour per real minute;
 * 100,000 citizens; six commodities, eight factions) on topics that hold no tick yet shows a cleared price for every
 * commodity on {@code GET /market/prices} within 90 s of its start. Only the topic and group names are the test's own
 * (fresh ones, so the world is fresh), with the default partitions and topic settings.
 */
class FreshWorldIT {

  private static final long BOUND_MS = 90_000;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @Test
  void aFreshDefaultWorldShowsAClearedPriceForEveryCommodityWithinNinetySeconds(@TempDir Path dir) throws Exception {
    String orders = TestKafka.unique("fresh-orders");
    String marketState = TestKafka.unique("fresh-mstate");
    String state = TestKafka.unique("fresh-state");
    TestKafka.admin().createTopics(List.of(
        new NewTopic(orders, 12, (short) 1).configs(Map.of("message.timestamp.type", "LogAppendTime")),
        new NewTopic(marketState, 12, (short) 1).configs(Map.of("cleanup.policy", "compact",
            "max.message.bytes", "33554432")),
        new NewTopic(state, 1, (short) 1).configs(Map.of("cleanup.policy", "compact",
            "max.message.bytes", "67108864")))).all().get();
    String hourly = TestKafka.createTopic("fresh-hourly", 6);
    String output = TestKafka.createTopic("fresh-sim", 12);
    JsonObject on = new JsonObject().put("enabled", true);
    JsonObject settings = new JsonObject()
        .put("kafka", new JsonObject().put("consumer", new JsonObject().put("group_prefix", TestKafka.unique("fw"))))
        .put("world", new JsonObject()
            .put("output_topic", output).put("state_topic", state)
            .put("tick", new JsonObject().put("topics", new JsonObject().put("hourly", hourly)
                .put("daily", TestKafka.createTopic("fresh-daily", 3))
                .put("leader", TestKafka.createTopic("fresh-leader", 1))))
            .put("market", new JsonObject().put("topics", new JsonObject().put("orders", orders)
                .put("state", marketState)))
            .put("diplomacy", new JsonObject().put("inputs", TestKafka.createTopic("fresh-inputs", 1)
                .replace(".", "\\."))))
        .put("verticles", new JsonObject().put("tick", on).put("market", on).put("diplomacy", on).put("crowd", on));
    int port = TestMesh.freePort();
    var config = TestMesh.config(dir, port, settings);
    GameClock clock = config.world().tick().clock();
    assertEquals(60, clock.scale(), "the default clock: a game hour per real minute");
    Set<String> commodities = config.world().commodities().keySet();

    long started = System.currentTimeMillis();
    Instant gameAtStart = clock.gameAt(Instant.ofEpochMilli(started));
    long readyMs;
    long pricedMs = -1;
    JsonArray prices = null;
    try (Mesh mesh = Mesh.start(config)) {
      readyMs = System.currentTimeMillis() - started;
      for (long end = started + BOUND_MS + 30_000; System.currentTimeMillis() < end; Thread.sleep(250)) {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
            + "/market/prices")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          prices = new JsonObject(r.body()).getJsonArray("prices");
          if (priced(prices).equals(commodities)) {
            pricedMs = System.currentTimeMillis() - started;
            break;
          }
        }
      }
      if (pricedMs < 0) {
        printLoops(); // where the world's loops are, for the failure below
      }
    }
    System.out.printf("fresh default world published (type@game hour: count): %s; %d orders%n",
        TestKafka.envelopes(output).stream().collect(Collectors.groupingBy(e -> e.getString("event_type") + "@"
            + e.getJsonObject("data").getValue("game_hour"), TreeMap::new, Collectors.counting())),
        TestKafka.envelopes(orders).size());
    List<JsonObject> ticks = TestKafka.envelopes(hourly).stream()
        .filter(e -> "world.tick.hourly".equals(e.getString("event_type"))).toList();
    assertTrue(!ticks.isEmpty(), "ticks were emitted");
    JsonObject firstTick = ticks.get(0).getJsonObject("data");
    long hourAtStart = Duration.between(clock.gameEpoch(), gameAtStart).toHours();
    System.out.printf("fresh default world: started %.1f game minutes into game hour %d; ready after %d ms; first "
        + "hourly tick %s (emitted %s); every commodity priced after %d ms (bound %d ms): %s%n",
        (Duration.between(clock.gameEpoch(), gameAtStart).toMillis() % 3_600_000) / 60_000.0, hourAtStart, readyMs,
        firstTick.getString("tick_id"), firstTick.getValue("emitted_at"), pricedMs, BOUND_MS, prices);
    assertTrue(firstTick.getLong("game_hour") <= hourAtStart + 1, "the first tick is the hour the world started in"
        + " (or the next, when the start crossed it), not a later one: " + firstTick);
    assertTrue(pricedMs >= 0, "every commodity had a cleared price: " + prices);
    assertTrue(pricedMs <= BOUND_MS, "within " + BOUND_MS + " ms of the start: " + pricedMs + " ms");
  }

  private static void printLoops() {
    Thread.getAllStackTraces().forEach((thread, stack) -> {
      if (thread.getName().startsWith("loop-")) {
        System.out.println(thread.getName() + " " + thread.getState());
        for (StackTraceElement e : stack) {
          System.out.println("    at " + e);
        }
      }
    });
  }

  private static Set<String> priced(JsonArray prices) {
    Set<String> out = new TreeSet<>();
    for (int i = 0; i < prices.size(); i++) {
      JsonObject p = prices.getJsonObject(i);
      if (p.getValue("price") != null && p.getValue("volume") instanceof Number v && v.longValue() > 0) {
        out.add(p.getString("commodity"));
      }
    }
    return out;
  }
}
