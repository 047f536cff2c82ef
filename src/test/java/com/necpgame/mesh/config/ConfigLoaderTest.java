package com.necpgame.mesh.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  @TempDir
  Path dir;

  private Path file(String json) throws Exception {
    Path f = dir.resolve("mesh.json");
    Files.writeString(f, json);
    return f;
  }

  private static String problemsOf(Runnable load) {
    return String.join("\n", assertThrows(ConfigException.class, load::run).problems());
  }

  @Test
  void everyRegisteredVerticleIsEnabledByDefaultAndUnknownOrMultipliedOnesAreRefused() {
    MeshConfig c = ConfigLoader.load(new JsonObject(), Map.of());
    for (com.necpgame.mesh.Verticles v : com.necpgame.mesh.Verticles.values()) {
      assertTrue(c.verticles().get(v.key()).enabled(), v.key());
    }
    assertEquals(Runtime.getRuntime().availableProcessors(), c.verticles().get("gateway").instances(), "one per core");
    ConfigException unknown = assertThrows(ConfigException.class, () -> ConfigLoader.load(new JsonObject()
        .put("verticles", new JsonObject().put("markets", new JsonObject().put("enabled", false))), Map.of()));
    assertTrue(unknown.getMessage().contains("verticles.markets: unknown key"), unknown.getMessage());
    ConfigException twice = assertThrows(ConfigException.class, () -> ConfigLoader.load(new JsonObject()
        .put("verticles", new JsonObject().put("market", new JsonObject().put("instances", 2))), Map.of()));
    assertTrue(twice.getMessage().contains("verticles.market.instances: must be 1"), twice.getMessage());
  }

  @Test
  void defaultsLoadWithEmbeddedKafkaAndDatabase() {
    MeshConfig c = ConfigLoader.load(Optional.empty(), Map.of());
    assertEquals(8080, c.http().port());
    assertTrue(c.kafka().useEmbedded());
    assertEquals("127.0.0.1", c.kafka().embedded().host());
    assertEquals(9092, c.kafka().embedded().port());
    assertTrue(c.database().useEmbedded());
    assertEquals(Path.of("data", "kafka"), c.kafka().embedded().dir());
    assertTrue(c.verticles().get("gateway").enabled());
    assertTrue(c.verticles().get("bridge").enabled());
    assertFalse(c.nodeId().isBlank());
    assertEquals("simulation.event", c.bridge().outbound().get(0).topic());
    assertEquals(com.necpgame.mesh.diplomacy.Relations.DEFAULTS, c.world().diplomacy(),
        "the documented diplomacy model is the configured one");
  }

  @Test
  void fileOverridesDefaultsAndEnvironmentOverridesFile() throws Exception {
    Path f = file("{\"http\":{\"port\":9000,\"host\":\"127.0.0.1\"},\"kafka\":{\"bootstrap_servers\":\"k1:9092\"}}");
    MeshConfig fromFile = ConfigLoader.load(Optional.of(f), Map.of());
    assertEquals(9000, fromFile.http().port());
    assertEquals("127.0.0.1", fromFile.http().host());
    assertEquals("k1:9092", fromFile.kafka().bootstrapServers());
    assertFalse(fromFile.kafka().useEmbedded());
    assertEquals(9092, fromFile.kafka().embedded().port(), "keys the file does not name keep their defaults");

    MeshConfig withEnv = ConfigLoader.load(Optional.of(f),
        Map.of("MESH_HTTP_PORT", "9100", "MESH_KAFKA_BOOTSTRAP_SERVERS", "k2:9092", "MESH_DATA_DIR", "/var/mesh"));
    assertEquals(9100, withEnv.http().port());
    assertEquals("127.0.0.1", withEnv.http().host(), "the environment changes only what it names");
    assertEquals("k2:9092", withEnv.kafka().bootstrapServers());
    assertEquals(Path.of("/var/mesh/postgres"), withEnv.database().embedded().dir());
  }

  @Test
  void invalidValueFailsNamingTheKeyAndTheExpectation() throws Exception {
    String p = problemsOf(() -> ConfigLoader.load(Optional.of(uncheckedFile("{\"http\":{\"port\":70000}}")), Map.of()));
    assertEquals("http.port: expected an integer from 0 to 65535, got 70000", p);
  }

  @Test
  void invalidEnvironmentValueNamesTheKey() {
    String p = problemsOf(() -> ConfigLoader.load(Optional.empty(), Map.of("MESH_HTTP_PORT", "eighty")));
    assertEquals("http.port: expected an integer from 0 to 65535, got \"eighty\"", p);
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    JsonObject bad = new JsonObject()
        .put("log", new JsonObject().put("level", "LOUD"))
        .put("database", new JsonObject().put("pool_size", 0).put("url", "mysql://x"))
        .put("kafka", new JsonObject().put("producer", new JsonObject().put("compression_type", "brotli")));
    String p = problemsOf(() -> ConfigLoader.load(bad, Map.of()));
    assertTrue(p.contains("log.level: expected one of [TRACE, DEBUG, INFO, WARN, ERROR], got \"LOUD\""), p);
    assertTrue(p.contains("database.pool_size: expected an integer from 1 to 1000, got 0"), p);
    assertTrue(p.contains("database.url: expected empty (embedded) or postgresql://"), p);
    assertTrue(p.contains("kafka.producer.compression_type: expected one of"), p);
  }

  @Test
  void shutdownAndLogFormatAreValidatedAndTheFormatComesFromTheEnvironment() {
    MeshConfig config = ConfigLoader.load(new JsonObject(), Map.of("MESH_LOG_FORMAT", "json"));
    assertEquals("json", config.logFormat());
    assertEquals(new MeshConfig.Shutdown(30_000, 0), config.shutdown());
    String p = problemsOf(() -> ConfigLoader.load(new JsonObject()
        .put("log", new JsonObject().put("format", "xml"))
        .put("shutdown", new JsonObject().put("grace_ms", 5000).put("ready_delay_ms", 5000)), Map.of()));
    assertTrue(p.contains("log.format: expected one of [text, json], got \"xml\""), p);
    assertTrue(p.contains("shutdown.ready_delay_ms: must be shorter than shutdown.grace_ms"), p);
    assertTrue(problemsOf(() -> ConfigLoader.load(new JsonObject().put("shutdown",
        new JsonObject().put("grace_ms", 10)), Map.of())).contains("shutdown.grace_ms: expected an integer from 1000"));
  }

  @Test
  void unknownKeyIsAMistakeButClientPropertiesAreFreeForm() {
    assertEquals("htp: unknown key", problemsOf(() -> ConfigLoader.load(new JsonObject().put("htp", 1), Map.of())));
    assertEquals("kafka.embedded.prot: unknown key", problemsOf(() -> ConfigLoader.load(
        new JsonObject().put("kafka", new JsonObject().put("embedded", new JsonObject().put("prot", 1))), Map.of())));
    MeshConfig c = ConfigLoader.load(new JsonObject().put("kafka", new JsonObject()
        .put("properties", new JsonObject().put("security.protocol", "SASL_SSL").put("sasl.jaas.config", "pw=hunter2"))),
        Map.of());
    assertEquals("SASL_SSL", c.kafka().properties().get("security.protocol"));
  }

  @Test
  void wrongTypeNamesTheKey() {
    assertEquals("http.port: expected an integer from 0 to 65535, got \"8080\"",
        problemsOf(() -> ConfigLoader.load(new JsonObject().put("http", new JsonObject().put("port", "8080")), Map.of())));
    assertEquals("topics.create_on_start: expected true or false, got 1", problemsOf(() -> ConfigLoader.load(
        new JsonObject().put("topics", new JsonObject().put("create_on_start", 1)), Map.of())));
  }

  @Test
  void bridgeMappingsAreValidatedAndGetDefaults() {
    JsonObject ok = new JsonObject().put("bridge", new JsonObject()
        .put("inbound", new JsonArray().add(new JsonObject().put("topic", "orders").put("address", "market.orders"))
            .add(new JsonObject().put("topic", "world.tick.hourly").put("address", "market.ticks").put("mode", "broadcast"))));
    MeshConfig c = ConfigLoader.load(ok, Map.of());
    MeshConfig.Inbound shared = c.bridge().inbound().get(0);
    assertEquals(MeshConfig.Mode.SHARED, shared.mode());
    assertEquals("event-mesh.market.orders", shared.group());
    assertEquals(MeshConfig.Start.EARLIEST, shared.start());
    assertEquals(5, shared.maxAttempts());
    assertEquals(MeshConfig.Start.LATEST, c.bridge().inbound().get(1).start());

    JsonObject bad = new JsonObject().put("bridge", new JsonObject()
        .put("outbound", new JsonArray().add(new JsonObject().put("address", "a").put("topic", "bad topic!").put("key_field", "x")))
        .put("inbound", new JsonArray().add(new JsonObject().put("topic", "t").put("address", "b").put("mode", "fanout")
            .put("colour", "red"))));
    String p = problemsOf(() -> ConfigLoader.load(bad, Map.of()));
    assertTrue(p.contains("bridge.outbound[0].topic: expected a Kafka topic name"), p);
    assertTrue(p.contains("bridge.inbound[0].mode: expected one of [shared, broadcast], got \"fanout\""), p);
    assertTrue(p.contains("bridge.inbound[0].colour: unknown key"), p);
  }

  @Test
  void storeIndexesGameTopicsButNotDeadLetters() {
    var store = ConfigLoader.load(Optional.empty(), Map.of()).store();
    assertTrue(store.topics().matcher("game.combat.events").matches());
    assertTrue(store.topics().matcher("simulation.event").matches());
    assertFalse(store.topics().matcher("game.combat.events.dlq").matches());
    assertFalse(store.topics().matcher("match-state").matches(), "compacted state is not an event stream");
    assertEquals("event-mesh.store", store.group());
    assertTrue(problemsOf(() -> ConfigLoader.load(new JsonObject().put("store", new JsonObject().put("topics", "game.(")),
        Map.of())).startsWith("store.topics: expected a regular expression of topic names, got \"game.(\""));
  }

  @Test
  void broadcastMappingNeedsASingleBridgeInstance() {
    JsonObject tree = new JsonObject()
        .put("verticles", new JsonObject().put("bridge", new JsonObject().put("instances", 2)))
        .put("bridge", new JsonObject().put("inbound", new JsonArray()
            .add(new JsonObject().put("topic", "world.tick.daily").put("address", "ticks").put("mode", "broadcast"))));
    assertTrue(problemsOf(() -> ConfigLoader.load(tree, Map.of()))
        .startsWith("verticles.bridge.instances: must be 1 while bridge.inbound has a broadcast mapping"));
    tree.getJsonObject("bridge").getJsonArray("inbound").getJsonObject(0).put("mode", "shared");
    assertEquals(2, ConfigLoader.load(tree, Map.of()).verticles().get("bridge").instances(), "shared splits partitions");
  }

  @Test
  void aBadGameClockOrCronIsReportedByKey() {
    JsonObject tree = new JsonObject().put("world", new JsonObject()
        .put("clock", new JsonObject().put("game_epoch", "year 2077").put("time_scale", 0))
        .put("tick", new JsonObject().put("hourly", "*/30 * * * *").put("daily", "0 0 * *")));
    String problems = problemsOf(() -> ConfigLoader.load(tree, Map.of()));
    for (String key : List.of("world.clock.game_epoch: expected an RFC 3339 time", "world.clock.time_scale: expected",
        "world.tick.hourly: fires more than once per 60 game minutes", "world.tick.daily: not a cron expression")) {
      assertTrue(problems.contains(key), key + " in " + problems);
    }
  }

  @Test
  void aCrowdWhoseStateCannotFitOneStateRecordIsRefused() {
    JsonObject crowd = new JsonObject().put("population", 1_000_000);
    String problems = problemsOf(() -> ConfigLoader.load(new JsonObject().put("world", new JsonObject()
        .put("crowd", crowd)), Map.of()));
    assertTrue(problems.contains("world.crowd.population: expected at most 593533 citizens with 6 commodities"),
        problems);
    JsonObject two = new JsonObject().put("world", new JsonObject()
        .put("crowd", new JsonObject().put("population", 900_000))
        .put("commodities", new JsonObject().put("food", 4).put("ammo", 25)));
    assertEquals(900_000, ConfigLoader.load(two, Map.of()).world().crowd().population(),
        "with two commodities a citizen's state is 64 bytes: 900,000 fit");
  }

  @Test
  void consoleTopicsAreDistinctTopicPatterns() {
    assertEquals(List.of("match-events", "robot-orchestration-events"),
        ConfigLoader.load(new JsonObject(), Map.of()).console().topics());
    JsonObject tree = new JsonObject().put("console", new JsonObject()
        .put("topics", new JsonArray().add("game.*").add("bad topic").add(7).add("game.*")));
    String problems = problemsOf(() -> ConfigLoader.load(tree, Map.of()));
    for (String key : List.of("console.topics[1]: expected a distinct topic pattern", "console.topics[2]: expected",
        "console.topics[3]: expected")) {
      assertTrue(problems.contains(key), key + " in " + problems);
    }
    assertFalse(problems.contains("console.topics[0]"), problems);
  }

  @Test
  void verticlesEnvironmentEnablesExactlyTheNamedOnes() {
    MeshConfig c = ConfigLoader.load(Optional.empty(), Map.of("MESH_VERTICLES", "gateway"));
    assertTrue(c.verticles().get("gateway").enabled());
    assertFalse(c.verticles().get("bridge").enabled());
    assertEquals("MESH_VERTICLES: unknown verticle \"market2\"; known: " + com.necpgame.mesh.Verticles.defaults().fieldNames(),
        problemsOf(() -> ConfigLoader.load(Optional.empty(), Map.of("MESH_VERTICLES", "gateway,market2"))));
  }

  @Test
  void unreadableOrMalformedFileIsReported() throws Exception {
    assertTrue(problemsOf(() -> ConfigLoader.load(Optional.of(dir.resolve("missing.json")), Map.of()))
        .startsWith("config file " + dir.resolve("missing.json") + ": cannot be read"));
    Path broken = file("{\"http\": ");
    assertTrue(problemsOf(() -> ConfigLoader.load(Optional.of(broken), Map.of())).contains("expected a JSON object"));
  }

  @Test
  void secretsAreMaskedWhenTheConfigIsPrinted() {
    MeshConfig c = ConfigLoader.load(new JsonObject()
        .put("database", new JsonObject().put("url", "postgresql://mesh:hunter2@db:5432/mesh"))
        .put("kafka", new JsonObject().put("properties", new JsonObject()
            .put("sasl.jaas.config", "ScramLoginModule required username=\"u\" password=\"hunter2\";")))
        .put("security", new JsonObject().put("secrets", new JsonObject().put("keys", new JsonObject()
            .put("k1", "aHVudGVyMmh1bnRlcjJodW50ZXIyaHVudGVyMmh1bnQ="))))
        , Map.of("MESH_KAFKA_EMBEDDED_SASL_PASSWORD", "hunter2hunter2hunter2",
            "MESH_KAFKA_EMBEDDED_SASL_USERNAME", "u"));
    String printed = c.toString();
    assertFalse(printed.contains("hunter2"), printed);
    assertFalse(printed.contains("aHVudGVy"), printed);
    assertTrue(printed.contains("postgresql://mesh:****@db:5432/mesh"), printed);
  }

  @Test
  void topicCatalogHasTheArchitectureTable() {
    var topics = TopicSpec.load(Optional.empty());
    var combat = topics.stream().filter(t -> t.name().equals("game.combat.events")).findFirst().orElseThrow();
    assertEquals(24, combat.partitions());
    assertEquals(String.valueOf(168 * 3_600_000L), combat.configs().get("retention.ms"));
    var state = topics.stream().filter(t -> t.name().equals("match-state")).findFirst().orElseThrow();
    assertEquals("compact", state.configs().get("cleanup.policy"));
  }

  @Test
  void badTopicCatalogNamesTheEntry() throws Exception {
    Path f = file("{\"topics\":[{\"name\":\"a\",\"partitions\":0},{\"name\":\"a\",\"partitions\":1,\"cleanup_policy\":\"x\"}]}");
    String p = problemsOf(() -> TopicSpec.load(Optional.of(f)));
    assertTrue(p.contains("topics[0].partitions: expected an integer from 1 to 10000, got 0"), p);
    assertTrue(p.contains("topics[1].cleanup_policy: expected one of [delete, compact], got \"x\""), p);
    assertTrue(p.contains("topic \"a\" is declared more than once"), p);
  }

  private Path uncheckedFile(String json) {
    try {
      return file(json);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
