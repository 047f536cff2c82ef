package com.necpgame.mesh.testsupport;

import com.necpgame.mesh.config.ConfigLoader;
import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.config.TopicSpec;
import com.necpgame.mesh.kafka.EmbeddedBroker;
import com.necpgame.mesh.kafka.KafkaClients;
import com.necpgame.mesh.kafka.PartitionScan;
import com.necpgame.mesh.kafka.TopicProvisioner;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one Kafka broker of a test JVM, shared by every test: {@code MESH_TEST_KAFKA_BOOTSTRAP} if set, else a
 * Testcontainers broker where a Docker engine answers, else the mesh's own embedded KRaft broker on a free port.
 * Tests keep apart by using {@link #unique(String)} names for their topics and groups.
 */
public final class TestKafka {

  private static final Logger LOG = LoggerFactory.getLogger(TestKafka.class);
  private static String bootstrap;
  private static Admin admin;

  private TestKafka() {}

  public static synchronized String bootstrapServers() {
    if (bootstrap == null) {
      bootstrap = start();
      createMeshTopics();
    }
    return bootstrap;
  }

  /**
   * Creates what every mesh creates at start (the topics of {@code topics.json} and their dead-letter topics) once per
   * test JVM, with a generous bound: on a cold broker of a loaded machine, creating those 29 topics and waiting for
   * their leaders can take longer than the 10 s of a mesh's {@code kafka.request_timeout_ms}, which failed the set-up
   * of whichever test's mesh came first. Failsafe runs the classes in several JVMs, each with a broker of its own, so
   * no one class can be relied on to come first and pay for it.
   */
  private static void createMeshTopics() {
    MeshConfig defaults = ConfigLoader.load(new JsonObject(), Map.of());
    long started = System.nanoTime();
    // an admin of its own whose calls wait as long as the provisioner does (the shared one gives up after 60 s)
    try (Admin patient = Admin.create(Map.of("bootstrap.servers", bootstrap, "default.api.timeout.ms", "120000"))) {
      List<String> created = new TopicProvisioner(patient, defaults.topics().defaultReplicationFactor(),
          Duration.ofSeconds(120)).ensure(TopicProvisioner.withDeadLetters(TopicSpec.load(defaults.topics().file())));
      LOG.info("created the mesh's {} topic(s) on the test broker in {} ms", created.size(),
          (System.nanoTime() - started) / 1_000_000);
    } catch (Exception e) {
      throw new IllegalStateException("cannot create the mesh's topics on the test broker " + bootstrap, e);
    }
  }

  private static String start() {
    String configured = System.getenv("MESH_TEST_KAFKA_BOOTSTRAP");
    if (configured != null && !configured.isBlank()) {
      LOG.info("tests use the Kafka at {}", configured);
      return configured;
    }
    if (Docker.available()) {
      var container = new org.testcontainers.kafka.KafkaContainer("apache/kafka:4.1.0");
      container.start();
      Runtime.getRuntime().addShutdownHook(new Thread(container::stop));
      LOG.info("tests use a Testcontainers Kafka at {}", container.getBootstrapServers());
      return container.getBootstrapServers();
    }
    try {
      Path dir = Files.createTempDirectory("mesh-test-kafka");
      MeshConfig.EmbeddedKafka cfg = ConfigLoader.load(new JsonObject(), Map.of()).kafka().embedded();
      EmbeddedBroker broker = EmbeddedBroker.start(new MeshConfig.EmbeddedKafka("127.0.0.1", 0, 0, dir,
          cfg.retentionHours(), cfg.retentionBytesPerPartition(), cfg.segmentBytes()));
      Runtime.getRuntime().addShutdownHook(new Thread(broker::close, "test-kafka-stop"));
      return broker.bootstrapServers();
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the embedded test broker", e);
    }
  }

  /** A mesh config over the defaults with these overrides, pointing at the test broker. */
  public static MeshConfig config(JsonObject overrides) {
    JsonObject tree = overrides.copy();
    tree.put("kafka", tree.getJsonObject("kafka", new JsonObject()).put("bootstrap_servers", bootstrapServers()));
    return ConfigLoader.load(tree, Map.of());
  }

  public static KafkaClients clients(MeshConfig config) {
    return new KafkaClients(config.kafka(), bootstrapServers(), "test");
  }

  public static synchronized Admin admin() {
    if (admin == null) {
      admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers()));
    }
    return admin;
  }

  /** A name no other test uses: {@code prefix-<random>}. */
  public static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** A new topic with a unique name, usable when this returns. */
  public static String createTopic(String prefix, int partitions) throws Exception {
    String name = unique(prefix);
    new TopicProvisioner(admin(), 1, Duration.ofSeconds(30))
        .ensure(List.of(new TopicSpec(name, partitions, Optional.empty(), Map.of(), false)));
    return name;
  }

  /** Every envelope on a topic, in order (ticks of a schedule share one partition). */
  public static List<JsonObject> envelopes(String topic) {
    return records(topic).stream().map(r -> new JsonObject(new String(r.value(), StandardCharsets.UTF_8))).toList();
  }

  /** Every record on a topic, headers and all, in order per partition. */
  public static List<ConsumerRecord<String, byte[]>> records(String topic) {
    KafkaClients clients = clients(config(new JsonObject()));
    try (KafkaConsumer<String, byte[]> c = clients.consumer("tick-it", null, "earliest")) {
      List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
      Duration timeout = Duration.ofSeconds(30);
      PartitionScan.open(c, PartitionScan.partitionsOf(c, topic, timeout), PartitionScan.BEGINNING,
          PartitionScan.END, timeout).readAll(timeout, out::add);
      return out;
    }
  }
}
