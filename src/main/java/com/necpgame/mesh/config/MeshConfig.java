package com.necpgame.mesh.config;

import com.necpgame.mesh.security.AddressPolicy;
import com.necpgame.mesh.security.Cidr;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The validated, typed configuration of one mesh process. Built once at start from the merged JSON tree
 * ({@link ConfigLoader}); every key is described in the README's configuration reference.
 */
public record MeshConfig(
    String nodeId,
    Path dataDir,
    String logLevel,
    String logFormat,
    Http http,
    WebSocket webSocket,
    Kafka kafka,
    Database database,
    Topics topics,
    Optional<Path> schemasDir,
    Bridge bridge,
    Store store,
    Delivery delivery,
    Map<String, VerticleSpec> verticles,
    Replay replay,
    WorldConfig world,
    SecurityConfig security,
    Shutdown shutdown,
    Metrics metrics,
    Console console,
    MatchConfig games,
    SecretsConfig secrets,
    Idempotency idempotency) {


  private static final Pattern FIELD_PATH = Pattern.compile("[a-z_][a-z0-9_]*(\\.[A-Za-z0-9_-]+)*");
  private static final Pattern TOPIC_GLOB = Pattern.compile("[A-Za-z0-9._*?-]{1,249}");
  private static final Pattern ADDRESS = Pattern.compile("[A-Za-z0-9._:/-]{1,200}");
  private static final Set<String> OUTBOUND_KEYS = Set.of("address", "topic", "key_field");
  private static final Set<String> INBOUND_KEYS = Set.of("topic", "address", "mode", "group", "start", "max_attempts");

  public record Http(String host, int port, long maxBodyBytes, int maxBatchEvents, Tls tls, boolean nativeTransport) {}

  /** HTTPS for the gateway from PEM files: the certificate chain and its private key. */
  public record Tls(boolean enabled, Optional<Path> certFile, Optional<Path> keyFile) {}

  /** The {@code /ws} hub: the {@code websocket.*} keys. */
  public record WebSocket(int maxClients, int bufferEvents, long slowClientCloseMs, int maxInFlightPublishes,
      long topicRefreshMs, String engine, int maxSubscriptionsPerSocket, Map<String, String> channelFields,
      History history, int catchUpMaxReaders, long pingIntervalMs, long idleTimeoutMs) {

    /** {@code hub}: one tail per topic per process fanned out to every socket; {@code per_socket}: the old design. */
    public boolean hub() {
      return "hub".equals(engine);
    }
  }

  /** The in-memory window kept per streamed partition for sockets that resume: at most so many events, bytes, ms. */
  public record History(int maxEvents, long maxBytes, long maxAgeMs) {}

  public record Kafka(
      String bootstrapServers,
      String clientId,
      int requestTimeoutMs,
      Map<String, String> properties,
      Producer producer,
      Consumer consumer,
      EmbeddedKafka embedded) {

    /** No bootstrap servers configured: the process starts its own single-node broker. */
    public boolean useEmbedded() {
      return bootstrapServers.isBlank();
    }
  }

  public record Producer(
      int lingerMs,
      int batchSize,
      String compressionType,
      long maxBlockMs,
      int deliveryTimeoutMs,
      long bufferMemory,
      Map<String, String> properties) {}

  /**
   * {@code sessionTimeoutMs} and {@code heartbeatIntervalMs}: how soon a group notices a member that died and gives its
   * partitions to the others (the classic group protocol; Kafka's own default of 45 s would leave them idle that long).
   */
  public record Consumer(String groupPrefix, int maxPollRecords, Map<String, String> properties, int sessionTimeoutMs,
      int heartbeatIntervalMs) {}

  /**
   * The embedded broker. With SASL credentials (required when {@code host} is not a loopback address) its one client
   * listener is SASL_PLAINTEXT with the PLAIN mechanism and that single user, and the mesh's own clients log in as it.
   */
  public record EmbeddedKafka(
      String host,
      int port,
      int controllerPort,
      Path dir,
      int retentionHours,
      long retentionBytesPerPartition,
      int segmentBytes,
      String saslUsername,
      String saslPassword) {

    /** Without SASL: a loopback broker as laptops and tests run it. */
    public EmbeddedKafka(String host, int port, int controllerPort, Path dir, int retentionHours,
        long retentionBytesPerPartition, int segmentBytes) {
      this(host, port, controllerPort, dir, retentionHours, retentionBytesPerPartition, segmentBytes, "", "");
    }

    /** Whether clients must authenticate (SASL/PLAIN) to the broker. */
    public boolean sasl() {
      return !saslPassword.isEmpty();
    }

    /** The login the broker's PLAIN listener accepts, and the one its clients use (a JAAS line). */
    public String jaas(boolean withUsers) {
      String login = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + saslUsername
          + "\" password=\"" + saslPassword + "\"";
      return (withUsers ? login + " user_" + saslUsername + "=\"" + saslPassword + "\"" : login) + ";";
    }

    /** Client properties to reach this broker: empty without SASL. */
    public Map<String, String> clientSecurity() {
      return !sasl() ? Map.of() : Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN",
          "sasl.jaas.config", jaas(false));
    }

    @Override
    public String toString() {
      return "EmbeddedKafka[host=" + host + ", port=" + port + ", controllerPort=" + controllerPort + ", dir=" + dir
          + ", retentionHours=" + retentionHours + ", retentionBytesPerPartition=" + retentionBytesPerPartition
          + ", segmentBytes=" + segmentBytes + ", saslUsername=" + saslUsername + ", saslPassword="
          + (sasl() ? "****" : "") + "]";
    }
  }

  public record Database(String url, int poolSize, EmbeddedDatabase embedded) {
    /** No URL configured: the process starts its own PostgreSQL. */
    public boolean useEmbedded() {
      return url.isBlank();
    }

    @Override
    public String toString() {
      return "Database[url=" + Secrets.maskUrl(url) + ", poolSize=" + poolSize + ", embedded=" + embedded + "]";
    }
  }

  public record EmbeddedDatabase(int port, Path dir) {}

  /** Declared topics; caps of {@code POST /topics}: partitions a topic, a principal's quota (TopicRegistry.Quota). */
  public record Topics(Optional<Path> file, boolean createOnStart, int defaultReplicationFactor,
      int maxPartitionsPerTopic, int maxPerPrincipal, int maxPartitionsPerPrincipal, int defaultPartitions) {}

  public record Retry(int maxAttempts, long backoffMs, long maxBackoffMs) {}

  public record Bridge(int requestTimeoutMs, Retry retry, List<Outbound> outbound, List<Inbound> inbound) {}

  /** Bus address to topic: envelopes sent to {@code address} are produced to {@code topic}, keyed by a field. */
  public record Outbound(String address, String topic, String keyField) {}

  /** Topic to bus address, consumed as a shared group (work divided) or broadcast (every process sees everything). */
  public record Inbound(String topic, String address, Mode mode, String group, Start start, int maxAttempts) {}

  public enum Mode { SHARED, BROADCAST }

  public enum Start { EARLIEST, LATEST }

  /**
   * The event store writer: which topics it indexes (a regular expression) and as which consumer group; how long its
   * day partitions are kept ({@code retentionHours}, 0: the longest Kafka retention of the topics it indexes) and how
   * often they are maintained (store/PartitionMaintenance).
   */
  public record Store(java.util.regex.Pattern topics, String group, long retryPauseMs, int retentionHours,
      long maintenanceMs) {}

  /** Delivery to subscriptions: the {@code delivery.*} keys. */
  public record Delivery(java.util.regex.Pattern topics, String group, long refreshMs, long retryPauseMs,
      int secretOverlapHours, long webhookTimeoutMs, long webhookPollMs, int webhookClaim, int webhookBatch,
      int webhookConnections, int breakerMaxFailures, long breakerResetMs, String deadLetterTopic,
      AddressPolicy webhookAddresses, int kafkaCopyAttempts, long ackSweepMs) {}

  /** Replay jobs: the {@code replay.*} keys. */
  public record Replay(int batchSize, long checkpointMs, long pollMs, long leaseMs, int maxJobs) {}

  /**
   * Stopping on SIGTERM: {@code /ready} answers 503 at once and the process goes on serving for {@code readyDelayMs}
   * (time for a load balancer to take it out), then stops accepting, drains in-flight publishes, commits and closes,
   * all within {@code graceMs} (what is not done by then is abandoned and the process exits with 1).
   */
  public record Shutdown(long graceMs, long readyDelayMs) {}

  /** How often the lag of the mesh's consumer groups is measured for {@code event_bus_consumer_lag}; 0: never. */
  public record Metrics(long consumerLagIntervalMs) {}

  /**
   * The web console at {@code /}: topic patterns (the {@code /ws} glob syntax) it streams besides the world's own
   * topics, for matches, the robot pool and events per second.
   */
  public record Console(List<String> topics) {}

  /**
   * Idempotent publish: the {@code idempotency.*} keys. A key is remembered for {@code windowMs}; a claim not finished
   * for {@code pendingTimeoutMs} is taken for abandoned (its process died) and verified in Kafka before a resend;
   * {@code holdAfterAckMs} is for tests only (0 in production): a pause between Kafka's acknowledgement and recording
   * it, to kill a process in that window.
   */
  public record Idempotency(long windowMs, long pendingTimeoutMs, long inFlightWaitMs, long dbTimeoutMs,
      long recoveryTimeoutMs, long cleanupIntervalMs, int cleanupBatch, long holdAfterAckMs) {}

  /** {@code instances} 0 in config means one per processor. */
  public record VerticleSpec(boolean enabled, int instances) {}

  static MeshConfig from(JsonObject tree) {
    ConfigReader r = new ConfigReader(tree);
    Path dataDir = Path.of(r.nonBlank("data_dir"));
    String nodeId = r.string("node_id");
    if (nodeId.isBlank()) {
      nodeId = defaultNodeId();
    }
    String logLevel = r.oneOf("log.level", List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR"));
    String logFormat = r.oneOf("log.format", List.of("text", "json"));

    Http http = new Http(r.nonBlank("http.host"), r.port("http.port", true),
        r.longIn("http.max_body_bytes", 1024, 1L << 30), r.intIn("http.max_batch_events", 1, 100_000), tls(r),
        r.bool("http.native_transport"));
    WebSocket webSocket = new WebSocket(r.intIn("websocket.max_clients", 1, 1_000_000),
        r.intIn("websocket.buffer_events", 1, 1_000_000), r.longIn("websocket.slow_client_close_ms", 100, 86_400_000),
        r.intIn("websocket.max_in_flight_publishes", 1, 1_000_000),
        r.longIn("websocket.topic_refresh_ms", 100, 86_400_000),
        r.oneOf("websocket.engine", List.of("hub", "per_socket")),
        r.intIn("websocket.max_subscriptions_per_socket", 1, 1000), channelFields(r),
        new History(r.intIn("websocket.history.max_events", 0, 10_000_000),
            r.longIn("websocket.history.max_bytes", 0, 1L << 40),
            r.longIn("websocket.history.max_age_ms", 0, 86_400_000)),
        r.intIn("websocket.catch_up.max_readers", 1, 256), r.longIn("websocket.ping_interval_ms", 100, 3_600_000),
        r.longIn("websocket.idle_timeout_ms", 100, 86_400_000));

    Kafka kafka = new Kafka(
        r.string("kafka.bootstrap_servers").trim(),
        r.nonBlank("kafka.client_id"),
        r.intIn("kafka.request_timeout_ms", 100, 600_000),
        r.properties("kafka.properties"),
        new Producer(
            r.intIn("kafka.producer.linger_ms", 0, 60_000),
            r.intIn("kafka.producer.batch_size", 0, 64 << 20),
            r.oneOf("kafka.producer.compression_type", List.of("none", "gzip", "snappy", "lz4", "zstd")),
            r.longIn("kafka.producer.max_block_ms", 0, 600_000),
            r.intIn("kafka.producer.delivery_timeout_ms", 1000, 3_600_000),
            r.longIn("kafka.producer.buffer_memory", 1 << 20, 1L << 34),
            r.properties("kafka.producer.properties")),
        new Consumer(
            r.nonBlank("kafka.consumer.group_prefix"),
            r.intIn("kafka.consumer.max_poll_records", 1, 100_000),
            r.properties("kafka.consumer.properties"),
            r.intIn("kafka.consumer.session_timeout_ms", 1000, 3_600_000),
            r.intIn("kafka.consumer.heartbeat_interval_ms", 100, 1_200_000)),
        new EmbeddedKafka(
            r.nonBlank("kafka.embedded.host"),
            r.port("kafka.embedded.port", true),
            r.port("kafka.embedded.controller_port", true),
            dataDir.resolve(r.nonBlank("kafka.embedded.dir")),
            r.intIn("kafka.embedded.retention_hours", 1, 100_000),
            r.longIn("kafka.embedded.retention_bytes_per_partition", 1 << 20, 1L << 40),
            r.intIn("kafka.embedded.segment_bytes", 1 << 20, 1 << 30),
            r.string("kafka.embedded.sasl.username").trim(),
            r.string("kafka.embedded.sasl.password")));
    embeddedSasl(r, kafka);
    if (kafka.consumer().heartbeatIntervalMs() * 3L > kafka.consumer().sessionTimeoutMs()) {
      r.problem("kafka.consumer.heartbeat_interval_ms", "must be at most a third of kafka.consumer.session_timeout_ms "
          + "(" + kafka.consumer().sessionTimeoutMs() + "), so a live member is not taken for dead");
    }
    if (kafka.embedded().segmentBytes() > kafka.embedded().retentionBytesPerPartition()) {
      r.problem("kafka.embedded.segment_bytes", "must not exceed kafka.embedded.retention_bytes_per_partition "
          + "(retention deletes whole segments)");
    }

    Database database = new Database(
        r.string("database.url").trim(),
        r.intIn("database.pool_size", 1, 1000),
        new EmbeddedDatabase(r.port("database.embedded.port", true),
            dataDir.resolve(r.nonBlank("database.embedded.dir"))));
    if (!database.useEmbedded() && !database.url().matches("(postgres|postgresql)://.+")) {
      r.problem("database.url", "expected empty (embedded) or postgresql://user:password@host:port/database, got \""
          + Secrets.maskUrl(database.url()) + "\"");
    }

    Topics topics = new Topics(r.optionalPath("topics.file"), r.bool("topics.create_on_start"), r.intIn("topics.default_replication_factor", 1, 32),
        r.intIn("topics.max_partitions_per_topic", 1, 10_000), r.intIn("topics.max_per_principal", 0, 1_000_000),
        r.intIn("topics.max_partitions_per_principal", 0, 10_000_000), r.intIn("topics.default_partitions", 1, 10_000));
    if (topics.defaultPartitions() > topics.maxPartitionsPerTopic()) {
      r.problem("topics.default_partitions", "must be at most topics.max_partitions_per_topic ("
          + topics.maxPartitionsPerTopic() + ")");
    }

    Optional<Path> schemasDir = r.optionalPath("schemas.dir");

    Retry retry = new Retry(r.intIn("bridge.retry.max_attempts", 1, 1000),
        r.longIn("bridge.retry.backoff_ms", 0, 3_600_000), r.longIn("bridge.retry.max_backoff_ms", 0, 3_600_000));
    Bridge bridge = new Bridge(r.intIn("bridge.request_timeout_ms", 1, 3_600_000), retry,
        r.items("bridge.outbound").stream().map(MeshConfig::outbound).toList(),
        r.items("bridge.inbound").stream().map(i -> inbound(i, kafka.consumer().groupPrefix(), retry)).toList());
    duplicates(r, "bridge.outbound", bridge.outbound().stream().map(Outbound::address).toList());
    duplicates(r, "bridge.inbound", bridge.inbound().stream().map(Inbound::address).toList());

    Map<String, String> internal = InternalTopics.named(r);
    Store store = new Store(InternalTopics.readable(r.regex("store.topics"), internal, true),
        r.stringOr("store.group", kafka.consumer().groupPrefix() + ".store"),
        r.longIn("store.retry_pause_ms", 10, 600_000), r.intIn("store.retention_hours", 0, 1_000_000),
        r.longIn("store.maintenance_ms", 1000, 86_400_000));

    Delivery delivery = new Delivery(InternalTopics.readable(r.regex("delivery.topics"), internal, false),
        r.stringOr("delivery.group", kafka.consumer().groupPrefix() + ".delivery"),
        r.longIn("delivery.refresh_ms", 100, 3_600_000), r.longIn("delivery.retry_pause_ms", 10, 600_000),
        r.intIn("delivery.secret_overlap_hours", 0, 24 * 365), r.longIn("delivery.webhook.timeout_ms", 100, 300_000),
        r.longIn("delivery.webhook.poll_ms", 10, 60_000), r.intIn("delivery.webhook.claim", 1, 10_000),
        r.intIn("delivery.webhook.batch_size", 1, 10_000), r.intIn("delivery.webhook.connections", 1, 1000),
        r.intIn("delivery.webhook.breaker_max_failures", 1, 1000),
        r.longIn("delivery.webhook.breaker_reset_ms", 100, 3_600_000), r.topicName("delivery.dead_letter_topic"),
        webhookAddresses(r, http.host()), r.intIn("delivery.kafka_copy_attempts", 1, 100),
        r.longIn("delivery.ack_sweep_ms", 100, 3_600_000));

    Replay replay = new Replay(r.intIn("replay.batch_size", 1, 100_000), r.longIn("replay.checkpoint_ms", 10, 60_000),
        r.longIn("replay.poll_ms", 10, 600_000), r.longIn("replay.lease_ms", 1000, 3_600_000),
        r.intIn("replay.max_jobs", 1, 64));
    if (replay.leaseMs() <= replay.checkpointMs()) {
      r.problem("replay.lease_ms", "must be longer than replay.checkpoint_ms (a running job renews its lease then)");
    }

    Map<String, VerticleSpec> verticles = new LinkedHashMap<>();
    for (String name : r.object("verticles").fieldNames()) {
      int instances = r.intIn("verticles." + name + ".instances", 0, 64);
      verticles.put(name, new VerticleSpec(r.bool("verticles." + name + ".enabled"),
          instances == 0 ? Runtime.getRuntime().availableProcessors() : instances));
    }
    VerticleSpec bridgeSpec = verticles.get("bridge");
    if (bridgeSpec != null && bridgeSpec.instances() > 1
        && bridge.inbound().stream().anyMatch(i -> i.mode() == Mode.BROADCAST)) {
      r.problem("verticles.bridge.instances", "must be 1 while bridge.inbound has a broadcast mapping "
          + "(every instance would deliver every record)");
    }
    for (com.necpgame.mesh.Verticles v : com.necpgame.mesh.Verticles.values()) {
      if (v.perProcess() && verticles.get(v.key()).instances() != 1) {
        r.problem("verticles." + v.key() + ".instances", "must be 1: the " + v.key() + " verticle runs one loop per "
            + "process, and processes share the work through Kafka");
      }
    }
    WorldConfig world = WorldConfig.from(r, kafka.consumer().groupPrefix());
    SecurityConfig security = SecurityConfig.from(r, http.host());
    Shutdown shutdown = new Shutdown(r.longIn("shutdown.grace_ms", 1000, 3_600_000),
        r.longIn("shutdown.ready_delay_ms", 0, 3_600_000));
    if (shutdown.readyDelayMs() >= shutdown.graceMs()) {
      r.problem("shutdown.ready_delay_ms", "must be shorter than shutdown.grace_ms (draining happens after it)");
    }
    Metrics metrics = new Metrics(r.longIn("metrics.consumer_lag_interval_ms", 0, 3_600_000));
    Console console = new Console(r.distinct("console.topics", TOPIC_GLOB,
        "topic pattern (1-249 of a-z A-Z 0-9 . _ - * ?)"));
    MatchConfig games = MatchConfig.from(r, kafka.consumer().groupPrefix());
    SecretsConfig secrets = SecretsConfig.from(r, database.useEmbedded());
    Idempotency idempotency = idempotency(r, kafka);
    r.check();
    return new MeshConfig(nodeId, dataDir, logLevel, logFormat, http, webSocket, kafka, database, topics, schemasDir,
        bridge, store, delivery, verticles, replay, world, security, shutdown, metrics, console, games, secrets,
        idempotency);
  }

  /**
   * {@code idempotency.*}: a pending claim may be taken over only once the send that made it has surely ended, its
   * outcome reported by the producer (at most max.block.ms to hand it over, then delivery.timeout.ms). A {@code
   * pending_timeout_ms} of 0 (the default) is 60 s, or that longest send plus 5 s when the producer's settings make it
   * longer, so raising them never makes the defaults invalid.
   */
  private static Idempotency idempotency(ConfigReader r, Kafka kafka) {
    long send = kafka.producer().maxBlockMs() + Math.max(kafka.producer().deliveryTimeoutMs(),
        kafka.producer().lingerMs() + kafka.requestTimeoutMs());
    long pending = r.longIn("idempotency.pending_timeout_ms", 0, 86_400_000);
    Idempotency i = new Idempotency(r.longIn("idempotency.window_ms", 1000, 365L * 86_400_000),
        pending == 0 ? Math.max(60_000, send + 5_000) : pending,
        r.longIn("idempotency.in_flight_wait_ms", 0, 60_000), r.longIn("idempotency.db_timeout_ms", 100, 60_000),
        r.longIn("idempotency.recovery_timeout_ms", 1000, 600_000),
        r.longIn("idempotency.cleanup_interval_ms", 100, 86_400_000), r.intIn("idempotency.cleanup_batch", 1, 100_000),
        r.longIn("idempotency.hold_after_ack_ms", 0, 600_000));
    if (i.pendingTimeoutMs() <= send) {
      r.problem("idempotency.pending_timeout_ms", "must be longer than kafka.producer.max_block_ms + "
          + "kafka.producer.delivery_timeout_ms (" + send + "): a claim is taken over only once its send has surely "
          + "ended");
    }
    if (i.pendingTimeoutMs() >= i.windowMs()) {
      r.problem("idempotency.pending_timeout_ms", "must be shorter than idempotency.window_ms");
    }
    return i;
  }

  private static final Pattern SASL_USER = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  /**
   * An embedded broker reachable from other machines must ask for credentials: without them anyone on the network
   * could read and write every topic, the audit and dead letters included.
   */
  private static void embeddedSasl(ConfigReader r, Kafka kafka) {
    EmbeddedKafka e = kafka.embedded();
    boolean some = !e.saslUsername().isEmpty() || !e.saslPassword().isEmpty();
    if (kafka.useEmbedded() && !some && !isLoopback(e.host())) {
      r.problem("kafka.embedded.sasl.password", "required (with kafka.embedded.sasl.username) when "
          + "kafka.embedded.host \"" + e.host() + "\" is not a loopback address: the embedded broker then accepts "
          + "only SASL/PLAIN clients with these credentials (MESH_KAFKA_EMBEDDED_SASL_USERNAME / _PASSWORD)");
      return;
    }
    if (some && !SASL_USER.matcher(e.saslUsername()).matches()) {
      r.problem("kafka.embedded.sasl.username", "expected 1-64 of A-Z a-z 0-9 . _ - beside a password, got \""
          + e.saslUsername() + "\"");
    }
    if (some && (e.saslPassword().length() < 16 || e.saslPassword().matches(".*[\"\\\\;\\s].*"))) {
      r.problem("kafka.embedded.sasl.password", "expected at least 16 characters, without quotes, backslashes, "
          + "semicolons or spaces, beside a username");
    }
  }

  /**
   * The addresses webhooks may reach: loopback when {@code delivery.webhook.allow_loopback} is true, or "auto" and
   * {@code http.host} is loopback (a laptop); the blocks {@code delivery.webhook.allowed_cidrs} lists.
   */
  private static AddressPolicy webhookAddresses(ConfigReader r, String httpHost) {
    String key = "delivery.webhook.allow_loopback";
    Object loopback = r.raw(key);
    boolean allowLoopback = false;
    if (loopback instanceof Boolean b) {
      allowLoopback = b;
    } else if ("auto".equals(loopback)) {
      allowLoopback = isLoopback(httpHost);
    } else {
      r.problem(key, "\"auto\", true or false", loopback, null);
    }
    List<Cidr> cidrs = new java.util.ArrayList<>();
    io.vertx.core.json.JsonArray listed = r.array("delivery.webhook.allowed_cidrs");
    for (int i = 0; i < listed.size(); i++) {
      try {
        if (!(listed.getValue(i) instanceof String text)) {
          throw new IllegalArgumentException("expected a CIDR block such as 10.0.0.0/8 or fd00::/8, got "
              + listed.getValue(i));
        }
        cidrs.add(Cidr.parse(text));
      } catch (IllegalArgumentException e) {
        r.problem("delivery.webhook.allowed_cidrs[" + i + "]", e.getMessage());
      }
    }
    return new AddressPolicy(allowLoopback, cidrs);
  }

  private static Tls tls(ConfigReader r) {
    boolean enabled = r.bool("http.tls.enabled");
    Optional<Path> cert = r.optionalPath("http.tls.cert_file");
    Optional<Path> key = r.optionalPath("http.tls.key_file");
    if (enabled) {
      for (var file : List.of(Map.entry("http.tls.cert_file", cert), Map.entry("http.tls.key_file", key))) {
        if (file.getValue().isEmpty() || !java.nio.file.Files.isReadable(file.getValue().get())) {
          r.problem(file.getKey(), "expected a readable PEM file while http.tls.enabled is true, got \""
              + file.getValue().map(Path::toString).orElse("") + "\"");
        }
      }
    }
    return new Tls(enabled, cert, key);
  }

  /** {@code websocket.channel_fields}: channel name to the envelope path it addresses ({@code data.match_id}). */
  private static Map<String, String> channelFields(ConfigReader r) {
    Map<String, String> fields = r.properties("websocket.channel_fields");
    fields.forEach((name, path) -> {
      if (!name.matches("[a-z_][a-z0-9_]{0,63}")) {
        r.problem("websocket.channel_fields." + name, "a channel name is lower case letters, digits and _");
      }
      if (!FIELD_PATH.matcher(path).matches()) {
        r.problem("websocket.channel_fields." + name, "expected an envelope path such as player_id or data.match_id");
      }
    });
    return Map.copyOf(fields);
  }

  private static Outbound outbound(ConfigReader r) {
    r.onlyKeys(OUTBOUND_KEYS);
    Outbound out = new Outbound(address(r), r.topicName("topic"), r.nonBlank("key_field"));
    if (!FIELD_PATH.matcher(out.keyField()).matches()) {
      r.problem("key_field", "expected an envelope field or dotted path such as correlation_id or data.commodity, got \""
          + out.keyField() + "\"");
    }
    return out;
  }

  private static Inbound inbound(ConfigReader r, String groupPrefix, Retry retry) {
    r.onlyKeys(INBOUND_KEYS);
    String address = address(r);
    Mode mode = r.enumOf("mode", Mode.class, Mode.SHARED);
    String group = r.raw("group") == null ? groupPrefix + "." + address : r.nonBlank("group");
    Start start = r.enumOf("start", Start.class, mode == Mode.SHARED ? Start.EARLIEST : Start.LATEST);
    int attempts = r.raw("max_attempts") == null ? retry.maxAttempts() : r.intIn("max_attempts", 1, 1000);
    return new Inbound(r.topicName("topic"), address, mode, group, start, attempts);
  }

  private static String address(ConfigReader r) {
    String address = r.nonBlank("address");
    if (!address.isEmpty() && !ADDRESS.matcher(address).matches()) {
      r.problem("address", "expected an event bus address (letters, digits and . _ : / -), got \"" + address + "\"");
    }
    return address;
  }

  private static void duplicates(ConfigReader r, String key, List<String> addresses) {
    addresses.stream().filter(a -> addresses.indexOf(a) != addresses.lastIndexOf(a)).distinct()
        .forEach(a -> r.problem(key, "address \"" + a + "\" is mapped more than once"));
  }

  /**
   * True for a host only this machine can reach: every address it resolves to is loopback ({@code 127.0.0.1},
   * {@code ::1}, {@code localhost}).
   */
  public static boolean isLoopback(String host) {
    try {
      InetAddress[] all = InetAddress.getAllByName(host);
      return all.length > 0 && Arrays.stream(all).allMatch(InetAddress::isLoopbackAddress);
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static String defaultNodeId() {
    String host = System.getenv().getOrDefault("HOSTNAME", "");
    if (host.isBlank()) {
      try {
        host = java.net.InetAddress.getLocalHost().getHostName();
      } catch (java.io.IOException e) {
        host = "mesh";
      }
    }
    return host + "-" + ProcessHandle.current().pid();
  }
}
