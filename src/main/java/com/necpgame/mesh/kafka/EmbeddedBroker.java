package com.necpgame.mesh.kafka;

import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.config.MeshConfig.EmbeddedKafka;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.internals.Exit;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node KRaft broker (combined broker and controller) running inside this JVM, for laptops and tests. Its data
 * directory survives restarts; retention and segment sizes are bounded so a long-running laptop does not fill its disk.
 */
public final class EmbeddedBroker implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedBroker.class);
  private static final int NODE_ID = 1;

  private final KafkaRaftServer server;
  private final String bootstrapServers;

  private EmbeddedBroker(KafkaRaftServer server, String bootstrapServers) {
    this.server = server;
    this.bootstrapServers = bootstrapServers;
  }

  public static EmbeddedBroker start(EmbeddedKafka config) throws Exception {
    return start(config, java.util.Map.of(), null);
  }

  /**
   * With broker properties that replace or add to the mesh's own, e.g. a SASL listener beside the plain one (tests of
   * the clients' security settings; the bootstrap servers reported stay those of the PLAINTEXT listener), or one node
   * of a cluster (tests of broker faults): {@code overrides} give its {@code node.id} and the {@code
   * controller.quorum.voters} of all nodes, and every node's new storage is formatted with the same {@code clusterId}
   * (null: a random one, a cluster of its own).
   */
  public static EmbeddedBroker start(EmbeddedKafka config, java.util.Map<String, String> overrides, String clusterId)
      throws Exception {
    long started = System.nanoTime();
    guardProcessExit();
    Path logDir = config.dir().toAbsolutePath().resolve("logs");
    Files.createDirectories(logDir);
    int port = config.port() == 0 ? freePort(config.host()) : config.port();
    int controllerPort = config.controllerPort() == 0 ? freePort("127.0.0.1") : config.controllerPort();
    while (config.controllerPort() == 0 && controllerPort == port) { // bind(0) may hand out the port just released
      controllerPort = freePort("127.0.0.1");
    }
    String advertisedHost = isWildcard(config.host()) ? "127.0.0.1" : config.host();

    if (!config.sasl() && !MeshConfig.isLoopback(config.host())) {
      throw new IllegalStateException("the embedded Kafka broker binds " + config.host() + ", not a loopback address, "
          + "without SASL: set kafka.embedded.sasl.username and kafka.embedded.sasl.password");
    }
    // Loopback without credentials: PLAINTEXT as before. Otherwise the one client listener asks for SASL/PLAIN.
    String listener = config.sasl() ? "SASL_PLAINTEXT" : "PLAINTEXT";
    Properties props = new Properties();
    props.put("process.roles", "broker,controller");
    props.put("node.id", String.valueOf(NODE_ID));
    props.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
    props.put("listeners", listener + "://" + config.host() + ":" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
    props.put("advertised.listeners", listener + "://" + advertisedHost + ":" + port);
    props.put("listener.security.protocol.map", listener + ":" + listener + ",CONTROLLER:PLAINTEXT");
    props.put("controller.listener.names", "CONTROLLER");
    props.put("inter.broker.listener.name", listener);
    if (config.sasl()) {
      props.put("sasl.enabled.mechanisms", "PLAIN");
      props.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
      props.put("listener.name.sasl_plaintext.plain.sasl.jaas.config", config.jaas(true));
    }
    props.put("log.dirs", logDir.toString());
    // One node: every internal topic must have replication factor 1 or groups and transactions never work.
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "12");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("transaction.state.log.num.partitions", "12");
    props.put("share.coordinator.state.topic.replication.factor", "1");
    props.put("share.coordinator.state.topic.min.isr", "1");
    props.put("default.replication.factor", "1");
    props.put("min.insync.replicas", "1");
    props.put("group.initial.rebalance.delay.ms", "0");
    props.put("auto.create.topics.enable", "false");
    // Bounded disk use.
    props.put("log.retention.hours", String.valueOf(config.retentionHours()));
    props.put("log.retention.bytes", String.valueOf(config.retentionBytesPerPartition()));
    props.put("log.segment.bytes", String.valueOf(config.segmentBytes()));
    props.put("log.retention.check.interval.ms", "60000");
    // A laptop-sized broker: few threads, a small compaction buffer.
    props.put("num.network.threads", "2");
    props.put("num.io.threads", "4");
    props.put("num.recovery.threads.per.data.dir", "1");
    props.put("log.cleaner.dedupe.buffer.size", String.valueOf(16 * 1024 * 1024));
    props.putAll(overrides);

    if (!Files.exists(logDir.resolve("meta.properties"))) {
      format(logDir, Integer.parseInt(props.getProperty("node.id")),
          clusterId == null ? Uuid.randomUuid().toString() : clusterId);
    }
    KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(props, false), Time.SYSTEM);
    try {
      server.startup();
    } catch (Throwable e) {
      server.shutdown(); // a failed startup leaves non-daemon threads behind
      throw e;
    }
    String bootstrap = advertisedHost + ":" + port;
    LOG.info("embedded Kafka broker started on {} ({}{}, data {}) in {} ms", bootstrap, listener,
        config.sasl() ? " PLAIN as " + config.saslUsername() : "", logDir, (System.nanoTime() - started) / 1_000_000);
    return new EmbeddedBroker(server, bootstrap);
  }

  /** Format only a new directory: formatting a used one fails, and its data must survive restarts. */
  private static void format(Path logDir, int nodeId, String clusterId) throws Exception {
    new Formatter()
        .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
        .setNodeId(nodeId)
        .setClusterId(clusterId)
        .addDirectory(logDir.toString())
        .setMetadataLogDirectory(logDir.toString())
        .setControllerListenerName("CONTROLLER")
        .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
        .setReleaseVersion(MetadataVersion.latestProduction())
        .run();
    LOG.info("formatted new embedded Kafka storage in {}", logDir);
  }

  /** Kafka's fatal-error handlers halt the JVM; in-process that would kill the whole mesh without a shutdown. */
  private static void guardProcessExit() {
    Exit.setHaltProcedure((status, message) -> {
      throw new IllegalStateException("embedded Kafka requested halt(" + status + "): " + message);
    });
    Exit.setExitProcedure((status, message) -> {
      throw new IllegalStateException("embedded Kafka requested exit(" + status + "): " + message);
    });
  }

  private static boolean isWildcard(String host) {
    return host.equals("0.0.0.0") || host.equals("::") || host.isBlank();
  }

  static int freePort(String host) throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(isWildcard(host) ? "0.0.0.0" : host))) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  @Override
  public void close() {
    long started = System.nanoTime();
    server.shutdown();
    server.awaitShutdown();
    LOG.info("embedded Kafka broker stopped in {} ms", (System.nanoTime() - started) / 1_000_000);
  }
}
