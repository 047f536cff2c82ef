package com.necpgame.mesh.kafka;

import com.necpgame.mesh.config.MeshConfig;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Kafka client settings for this process, from config: the bootstrap servers (configured or the embedded broker's),
 * the pass-through properties (security lives there), and the mesh's producer and consumer choices.
 */
public final class KafkaClients {

  private final MeshConfig.Kafka config;
  private final String bootstrapServers;
  private final String nodeId;

  public KafkaClients(MeshConfig.Kafka config, String bootstrapServers, String nodeId) {
    this.config = config;
    this.bootstrapServers = bootstrapServers;
    this.nodeId = nodeId;
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  public MeshConfig.Kafka config() {
    return config;
  }

  private Map<String, Object> common(String role) {
    Map<String, Object> props = new HashMap<>(config.useEmbedded() ? config.embedded().clientSecurity() : Map.of());
    props.putAll(config.properties());
    props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(CommonClientConfigs.CLIENT_ID_CONFIG, config.clientId() + "-" + nodeId + "-" + role);
    props.put(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, config.requestTimeoutMs());
    return props;
  }

  /** Idempotent, acks=all: an acknowledged send is durable and a retry never duplicates it. */
  public Map<String, Object> producerProps(String role) {
    MeshConfig.Producer p = config.producer();
    Map<String, Object> props = common(role);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.LINGER_MS_CONFIG, p.lingerMs());
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, p.batchSize());
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, p.compressionType());
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, p.maxBlockMs());
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
        Math.max(p.deliveryTimeoutMs(), p.lingerMs() + config.requestTimeoutMs()));
    props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, p.bufferMemory());
    // Kafka 4 clients "rebootstrap" when every known broker is down, which drops the metadata of every topic; the
    // next send() would then wait up to max.block.ms for it on the calling thread, an event loop here, once per event.
    // Keeping the last-known brokers instead, a send during an outage is queued and fails after delivery.timeout.ms
    // (503) without blocking, and the producer reconnects when they are back. kafka.producer.properties may override.
    props.put(CommonClientConfigs.METADATA_RECOVERY_STRATEGY_CONFIG, "none");
    // The gateway checks a topic once and then sends to it from the event loop; the producer must not forget the
    // metadata of a topic idle for the default 5 minutes, or that send would wait to fetch it again.
    props.put(ProducerConfig.METADATA_MAX_IDLE_CONFIG, 24 * 3600 * 1000L);
    props.putAll(p.properties());
    return props;
  }

  /** Offsets are committed by the mesh after a record was handled, never automatically. */
  public Map<String, Object> consumerProps(String role, String groupId, String autoOffsetReset) {
    Map<String, Object> props = common(role);
    if (groupId != null) {
      props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
      // The classic protocol's member timeouts (Kafka's default session is 45 s: a dead member's partitions would idle
      // that long). Under group.protocol=consumer they are the broker's (group.consumer.session.timeout.ms) and the
      // client refuses them.
      if (!"consumer".equalsIgnoreCase(config.consumer().properties().getOrDefault(
          ConsumerConfig.GROUP_PROTOCOL_CONFIG, config.properties().getOrDefault(ConsumerConfig.GROUP_PROTOCOL_CONFIG,
              "classic")))) {
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, config.consumer().sessionTimeoutMs());
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, config.consumer().heartbeatIntervalMs());
      }
    }
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, autoOffsetReset);
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.consumer().maxPollRecords());
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.putAll(config.consumer().properties());
    return props;
  }

  public KafkaProducer<String, byte[]> producer(String role) {
    return new KafkaProducer<>(producerProps(role), new StringSerializer(), new ByteArraySerializer());
  }

  public KafkaConsumer<String, byte[]> consumer(String role, String groupId, String autoOffsetReset) {
    return consumer(role, groupId, autoOffsetReset, Map.of());
  }

  /**
   * {@code metadata.max.age.ms} of a consumer subscribed by pattern, which sees a new topic only at a metadata refresh:
   * 5 s rather than Kafka's 5 minutes, or the value {@code kafka.consumer.properties} gives (a test reading the topic
   * it created a moment ago need not wait seconds for it).
   */
  public Object patternMetadataMaxAgeMs() {
    return config.consumer().properties().getOrDefault(ConsumerConfig.METADATA_MAX_AGE_CONFIG, "5000");
  }

  /** With extra properties that win over the configured ones. */
  public KafkaConsumer<String, byte[]> consumer(String role, String groupId, String autoOffsetReset,
      Map<String, Object> extra) {
    Map<String, Object> props = consumerProps(role, groupId, autoOffsetReset);
    props.putAll(extra);
    return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
  }

  public Admin admin() {
    return Admin.create(common("admin"));
  }
}
