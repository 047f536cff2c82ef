package com.necpgame.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.envelope.EnvelopeValidator;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daily world in one mesh at a game day per real second: faction combat published over REST drives a pair to
 * COLD_WAR, seen on {@code /diplomacy}; a subsidy published over REST reaches the crowd ({@code /crowd}), a malformed
 * one gets a 400 at publish and one naming a commodity the world does not have is dead-lettered by the crowd with the
 * reason; the crowd publishes each commodity's signal every game hour and places its orders; every event valid against
 * its schema.
 */
class WorldIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final EnvelopeValidator VALIDATOR = EnvelopeValidator.load(Optional.empty());

  @Test
  void combatDrivesDiplomacyAndTheCrowdSignalsDaily(@TempDir Path dir) throws Exception {
    String output = TestKafka.createTopic("world-sim", 4);
    String orders = TestKafka.createTopic("world-orders", 4);
    String inputs = TestKafka.createTopic("world-combat", 2);
    TestKafka.admin().createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(inputs + ".dlq", 1, (short) 1)))
        .all().get();
    String state = TestKafka.unique("world-state");
    TestKafka.admin().createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(state, 1, (short) 1)
        .configs(Map.of("cleanup.policy", "compact", "max.message.bytes", "67108864")))).all().get();
    int port = TestMesh.freePort();
    JsonObject on = new JsonObject().put("enabled", true);
    try (Mesh mesh = Mesh.start(TestMesh.config(dir, port, new JsonObject()
        .put("kafka", new JsonObject().put("consumer", new JsonObject().put("group_prefix", TestKafka.unique("w"))))
        .put("world", new JsonObject()
            .put("factions", new JsonArray().add("arasaka").add("militech").add("nomads"))
            .put("commodities", new JsonObject().put("food", 4).put("ammo", 25))
            .put("output_topic", output).put("state_topic", state)
            .put("clock", new JsonObject().put("real_epoch", Instant.now().toString()).put("time_scale", 86400))
            .put("tick", new JsonObject().put("topics", new JsonObject()
                .put("hourly", TestKafka.createTopic("world-hourly", 1)).put("daily", TestKafka.createTopic("world-daily", 1))
                .put("leader", TestKafka.createTopic("world-leader", 1))))
            .put("market", new JsonObject().put("grace_ms", 0).put("topics", new JsonObject().put("orders", orders)
                .put("state", TestKafka.unique("world-mstate"))))
            .put("diplomacy", new JsonObject().put("inputs", inputs.replace(".", "\\.")).put("grace_ms", 0))
            .put("crowd", new JsonObject().put("population", 1000).put("grace_ms", 0)))
        .put("verticles", new JsonObject().put("tick", on).put("diplomacy", on).put("crowd", on))))) {
      for (int i = 0; i < 3; i++) {
        HttpResponse<String> r = post(port, "/events/publish", new JsonObject().put("topic", inputs)
            .put("event_type", "world.faction.combat").put("source", "world-it")
            .put("payload", new JsonObject().put("faction_a", "nomads").put("faction_b", "arasaka").put("intensity", 5)));
        assertEquals(200, r.statusCode(), r.body());
      }
      JsonObject pair = null;
      for (long end = System.currentTimeMillis() + 60_000; System.currentTimeMillis() < end; Thread.sleep(500)) {
        HttpResponse<String> r = get(port, "/diplomacy/arasaka/nomads");
        if (r.statusCode() == 200 && "COLD_WAR".equals(new JsonObject(r.body()).getString("state"))) {
          pair = new JsonObject(r.body());
          break;
        }
      }
      assertTrue(pair != null, "the combat drove arasaka/nomads to COLD_WAR");
      assertEquals("PEACE", pair.getJsonArray("changes").getJsonObject(0).getString("from"));
      JsonObject matrix = new JsonObject(get(port, "/diplomacy").body());
      assertEquals(3, matrix.getJsonArray("pairs").size());
      assertEquals(404, get(port, "/diplomacy/arasaka/nobody").statusCode());
      subsidies(port, inputs);
      Thread.sleep(3000);
      // a game day a second, but a loaded machine (another test class beside this one) may step fewer in 3 s
      for (long end = System.currentTimeMillis() + 60_000; crowdDays(output) < 3 && System.currentTimeMillis() < end; ) {
        Thread.sleep(500);
      }
    }
    List<JsonObject> events = TestKafka.envelopes(output);
    events.forEach(e -> assertEquals(List.of(), VALIDATOR.validate(e), e.encode()));
    Set<String> ids = new HashSet<>();
    events.forEach(e -> assertTrue(ids.add(e.getString("event_id")), "once: " + e.encode()));
    List<JsonObject> changes = events.stream()
        .filter(e -> "world.diplomacy.changed".equals(e.getString("event_type"))).toList();
    assertEquals(1, changes.stream().filter(e -> "arasaka|nomads".equals(e.getJsonObject("data").getString("pair"))
        && "COLD_WAR".equals(e.getJsonObject("data").getString("to"))).count());
    Map<Long, Set<String>> signalsByDay = events.stream()
        .filter(e -> "world.crowd.signal".equals(e.getString("event_type")))
        .collect(Collectors.groupingBy(e -> e.getJsonObject("data").getLong("game_day"),
            Collectors.mapping(e -> e.getJsonObject("data").getString("commodity"), Collectors.toSet())));
    assertTrue(signalsByDay.size() >= 3, "the crowd stepped every day: " + signalsByDay.keySet());
    signalsByDay.values().forEach(c -> assertEquals(Set.of("food", "ammo"), c));
    List<JsonObject> crowdOrders = TestKafka.envelopes(orders);
    assertTrue(!crowdOrders.isEmpty() && crowdOrders.stream().allMatch(e -> "crowd".equals(
        e.getJsonObject("data").getString("owner")) && VALIDATOR.validate(e).isEmpty()), "the crowd placed orders");
  }

  /** A subsidy of food for all factions reaches the crowd; bad ones are refused at publish or dead-lettered. */
  private static void subsidies(int port, String inputs) throws Exception {
    HttpResponse<String> tooMuch = post(port, "/events/publish", subsidy(inputs, "food", 0.95));
    assertEquals(400, tooMuch.statusCode(), tooMuch.body());
    assertTrue(tooMuch.body().contains("/payload/rate"), tooMuch.body());
    HttpResponse<String> water = post(port, "/events/publish", subsidy(inputs, "water", 0.3));
    assertEquals(200, water.statusCode(), "the schema cannot know the world's commodities: " + water.body());
    HttpResponse<String> food = post(port, "/events/publish", subsidy(inputs, "food", 0.3));
    assertEquals(200, food.statusCode(), food.body());
    JsonArray subsidy = null;
    for (long end = System.currentTimeMillis() + 30_000; System.currentTimeMillis() < end; Thread.sleep(200)) {
      JsonArray rows = new JsonObject(get(port, "/crowd").body()).getJsonArray("commodities");
      JsonObject row = rows.stream().map(JsonObject.class::cast).filter(r -> "food".equals(r.getString("commodity")))
          .findFirst().orElse(null);
      if (row != null && !row.getJsonArray("subsidy").isEmpty()) {
        subsidy = row.getJsonArray("subsidy");
        assertEquals(0, rows.stream().map(JsonObject.class::cast).filter(r -> "ammo".equals(r.getString("commodity")))
            .findFirst().orElseThrow().getJsonArray("subsidy").size(), "ammo is not subsidised");
        break;
      }
    }
    assertTrue(subsidy != null, "the crowd took the subsidy");
    assertEquals(List.of("arasaka", "militech", "nomads"), subsidy.stream()
        .map(o -> ((JsonObject) o).getString("faction")).toList(), "every faction's food producers");
    subsidy.forEach(o -> assertEquals(0.3, ((JsonObject) o).getDouble("rate")));
    List<org.apache.kafka.clients.consumer.ConsumerRecord<String, byte[]>> dead = TestKafka.records(inputs + ".dlq");
    assertEquals(1, dead.size(), "the subsidy of water, dead-lettered once");
    String reason = new String(dead.get(0).headers().lastHeader("dlq.reason").value(),
        java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(reason.contains("commodity \"water\" is not one of"), reason);
  }

  private static JsonObject subsidy(String topic, String commodity, double rate) {
    return new JsonObject().put("topic", topic).put("event_type", "economy.subsidy.granted").put("source", "world-it")
        .put("payload", new JsonObject().put("commodity", commodity).put("rate", rate).put("days", 365));
  }

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> post(int port, String path, JsonObject body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The game days the crowd signalled on so far. */
  private static long crowdDays(String topic) {
    return TestKafka.envelopes(topic).stream().filter(e -> "world.crowd.signal".equals(e.getString("event_type")))
        .map(e -> e.getJsonObject("data").getLong("game_day")).distinct().count();
  }
}
