package com.necpgame.mesh.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The seed's environment variables as aliases of the mesh's keys (issue 18, seed compatibility). */
class SeedEnvironmentTest {

  /** Every variable of the seed's "Environment Variables" blocks (event-bus-service.md, kafka-release-notes.md). */
  private static final List<String> SEED_VARIABLES = List.of("EVENT_BUS_PORT", "EVENT_BUS_READ_TIMEOUT",
      "EVENT_BUS_WRITE_TIMEOUT", "EVENT_BUS_IDLE_TIMEOUT", "KAFKA_BROKERS", "KAFKA_CLIENT_ID", "KAFKA_GROUP_ID",
      "KAFKA_SESSION_TIMEOUT", "KAFKA_HEARTBEAT_INTERVAL", "KAFKA_AUTO_OFFSET_RESET", "KAFKA_ENABLE_AUTO_COMMIT",
      "EVENT_BUS_WORKER_POOL_SIZE", "EVENT_BUS_EVENT_BUFFER_SIZE", "EVENT_BUS_BATCH_SIZE",
      "EVENT_BUS_MAX_RETRY_ATTEMPTS", "EVENT_BUS_RETRY_BACKOFF", "EVENT_BUS_DEFAULT_PARTITIONS",
      "EVENT_BUS_DEFAULT_REPLICAS", "EVENT_BUS_EVENT_RETENTION_PERIOD", "EVENT_BUS_DEAD_LETTER_TOPIC",
      "EVENT_BUS_ENCRYPTION_ENABLED", "EVENT_BUS_RATE_LIMIT_EVENTS", "EVENT_BUS_RATE_LIMIT_WINDOW",
      "KAFKA_BOOTSTRAP_SERVERS", "KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_MECHANISM", "KAFKA_SSL_TRUSTSTORE_LOCATION",
      "HTTP_PORT", "METRICS_PORT", "GRACEFUL_SHUTDOWN_TIMEOUT", "COMBAT_CONSUMER_WORKERS", "ECONOMY_CONSUMER_WORKERS",
      "SOCIAL_CONSUMER_WORKERS", "SYSTEM_CONSUMER_WORKERS", "UDP_LISTEN_ADDR", "WEBSOCKET_ADDR", "SPATIAL_GRID_SIZE",
      "ADAPTIVE_TICK_RATE_ENABLED", "DELTA_COMPRESSION_ENABLED", "BATCH_UPDATE_SIZE", "CLIENT_CERT_REQUIRED",
      "RATE_LIMIT_REQUESTS_PER_MINUTE");

  private static MeshConfig load(Map<String, String> env) {
    return ConfigLoader.load(new JsonObject(), env);
  }

  @Test
  void theSeedsKafkaBrokersConnectToThemInsteadOfStartingTheEmbeddedBroker() {
    MeshConfig c = load(Map.of("KAFKA_BROKERS", "kafka-1:9092,kafka-2:9092"));
    assertEquals("kafka-1:9092,kafka-2:9092", c.kafka().bootstrapServers());
    assertFalse(c.kafka().useEmbedded());
    assertTrue(load(Map.of()).kafka().useEmbedded(), "no variable: the embedded broker, as before");
  }

  @Test
  void theSeedsExampleEnvironmentMapsOntoTheMeshsKeys() {
    Map<String, String> env = new HashMap<>();
    env.put("EVENT_BUS_PORT", "8083");
    env.put("KAFKA_BROKERS", "kafka-1:9092");
    env.put("KAFKA_CLIENT_ID", "event-bus-service");
    env.put("KAFKA_GROUP_ID", "event-bus-group");
    env.put("KAFKA_SESSION_TIMEOUT", "10s");
    env.put("KAFKA_HEARTBEAT_INTERVAL", "3s");
    env.put("EVENT_BUS_BATCH_SIZE", "100");
    env.put("EVENT_BUS_MAX_RETRY_ATTEMPTS", "3");
    env.put("EVENT_BUS_RETRY_BACKOFF", "1s");
    env.put("EVENT_BUS_DEFAULT_PARTITIONS", "5");
    env.put("EVENT_BUS_DEFAULT_REPLICAS", "2");
    env.put("EVENT_BUS_EVENT_RETENTION_PERIOD", "168h");
    env.put("EVENT_BUS_DEAD_LETTER_TOPIC", "dead-letter-events-2");
    env.put("EVENT_BUS_RATE_LIMIT_EVENTS", "1000");
    env.put("EVENT_BUS_RATE_LIMIT_WINDOW", "1m");
    env.put("RATE_LIMIT_REQUESTS_PER_MINUTE", "600");
    env.put("GRACEFUL_SHUTDOWN_TIMEOUT", "30s");
    env.put("KAFKA_SECURITY_PROTOCOL", "SASL_SSL");
    env.put("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512");
    MeshConfig c = load(env);
    assertEquals(8083, c.http().port());
    assertEquals("event-bus-service", c.kafka().clientId());
    assertEquals("event-bus-group", c.kafka().consumer().groupPrefix());
    assertEquals(10_000, c.kafka().consumer().sessionTimeoutMs());
    assertEquals(3_000, c.kafka().consumer().heartbeatIntervalMs());
    assertEquals(100, c.delivery().webhookBatch());
    assertEquals(3, c.bridge().retry().maxAttempts());
    assertEquals(1_000, c.bridge().retry().backoffMs());
    assertEquals(5, c.topics().defaultPartitions());
    assertEquals(2, c.topics().defaultReplicationFactor());
    assertEquals(168, c.kafka().embedded().retentionHours());
    assertEquals("dead-letter-events-2", c.delivery().deadLetterTopic());
    assertEquals(17.0, c.security().limits().eventsPerSecond(), "1000 a minute, rounded up per second");
    assertEquals(10.0, c.security().limits().requestsPerSecond());
    assertEquals(30_000, c.shutdown().graceMs());
    assertEquals("SASL_SSL", c.kafka().properties().get("security.protocol"), "a Kafka property keeps its dots");
    assertEquals("SCRAM-SHA-512", c.kafka().properties().get("sasl.mechanism"));
  }

  @Test
  void anExplicitMeshVariableWinsOverItsSeedAlias() {
    MeshConfig c = load(Map.of("KAFKA_BROKERS", "seed:9092", "MESH_KAFKA_BOOTSTRAP_SERVERS", "mesh:9092",
        "EVENT_BUS_PORT", "8083", "MESH_HTTP_PORT", "9000"));
    assertEquals("mesh:9092", c.kafka().bootstrapServers());
    assertEquals(9000, c.http().port());
    List<String> notices = SeedEnvironment.notices(Map.of("KAFKA_BROKERS", "seed:9092",
        "MESH_KAFKA_BOOTSTRAP_SERVERS", "mesh:9092"));
    assertEquals(List.of("KAFKA_BROKERS is ignored: MESH_KAFKA_BOOTSTRAP_SERVERS sets kafka.bootstrap_servers"), notices);
  }

  @Test
  void theFirstListedAliasWinsWhereTwoSetOneKey() {
    assertEquals("a:9092", load(Map.of("KAFKA_BROKERS", "a:9092", "KAFKA_BOOTSTRAP_SERVERS", "b:9092")).kafka()
        .bootstrapServers());
    assertEquals(8083, load(Map.of("HTTP_PORT", "8080", "EVENT_BUS_PORT", "8083")).http().port());
  }

  @Test
  void aKubernetesServiceLinkIsNotTakenForAPort() {
    Map<String, String> env = Map.of("EVENT_BUS_PORT", "tcp://10.0.0.5:8083");
    assertEquals(8080, load(env).http().port());
    assertTrue(SeedEnvironment.notices(env).get(0).contains("Kubernetes service link"), SeedEnvironment.notices(env)
        .toString());
  }

  @Test
  void aValueThatCannotBeReadStopsStartUpNamingTheVariable() {
    ConfigException e = assertThrows(ConfigException.class, () -> load(Map.of("KAFKA_SESSION_TIMEOUT", "10",
        "EVENT_BUS_DEFAULT_PARTITIONS", "three", "EVENT_BUS_ENCRYPTION_ENABLED", "yes")));
    String all = String.join("\n", e.problems());
    assertTrue(all.contains("KAFKA_SESSION_TIMEOUT (alias of kafka.consumer.session_timeout_ms): expected a duration"),
        all);
    assertTrue(all.contains("EVENT_BUS_DEFAULT_PARTITIONS (alias of topics.default_partitions): expected an integer"),
        all);
    assertTrue(all.contains("EVENT_BUS_ENCRYPTION_ENABLED (alias of http.tls.enabled): expected true or false"), all);
  }

  @Test
  void goDurationsAreRead() {
    assertEquals(30_000L, SeedEnvironment.durationMs("30s"));
    assertEquals(5_400_000L, SeedEnvironment.durationMs("1h30m"));
    assertEquals(500L, SeedEnvironment.durationMs("500ms"));
    assertEquals(604_800_000L, SeedEnvironment.durationMs("168h"));
    assertNull(SeedEnvironment.durationMs("30"));
    assertNull(SeedEnvironment.durationMs("soon"));
    assertNull(SeedEnvironment.durationMs("1h 30m"));
  }

  @Test
  void everySeedVariableIsAnAliasOrLoggedAsNotApplicableAndListedInTheReadme() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    for (String v : SEED_VARIABLES) {
      boolean known = SeedEnvironment.ALIASES.stream().anyMatch(a -> a.variable().equals(v))
          || SeedEnvironment.NOT_APPLICABLE.containsKey(v) || v.equals(SeedEnvironment.RATE_EVENTS)
          || v.equals(SeedEnvironment.RATE_WINDOW) || v.equals(SeedEnvironment.RATE_REQUESTS);
      assertTrue(known, v + " is neither an alias nor listed as not applicable");
      assertTrue(readme.contains("`" + v + "`"), v + " is not in the README");
    }
    assertTrue(SeedEnvironment.notices(Map.of("KAFKA_AUTO_OFFSET_RESET", "latest")).get(0)
        .startsWith("KAFKA_AUTO_OFFSET_RESET is ignored: "));
  }
}
