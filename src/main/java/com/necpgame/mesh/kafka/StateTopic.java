package com.necpgame.mesh.kafka;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * A compacted topic holding the latest state of each key (a simulation shard), written in the same transaction as the
 * shard's outputs and input offsets, so the state read back always matches what was committed. Reads are blocking: a
 * {@link PartitionScan} to the end offsets of now, failing with {@link PartitionScan.Timeout} after ten request timeouts.
 */
public final class StateTopic {

  private final KafkaClients kafka;
  private final String topic;

  public StateTopic(KafkaClients kafka, String topic) {
    this.kafka = kafka;
    this.topic = topic;
  }

  /** The latest committed value of each of {@code keys} present (all keys when null): the whole topic is read. */
  public Map<String, byte[]> load(Set<String> keys) {
    return read(null, keys);
  }

  /** The latest committed value of every key of these partitions, read up to their end offsets of now. */
  public Map<String, byte[]> loadPartitions(Collection<Integer> partitions) {
    return partitions.isEmpty() ? Map.of() : read(partitions, null);
  }

  private Map<String, byte[]> read(Collection<Integer> partitions, Set<String> keys) {
    Map<String, byte[]> latest = new HashMap<>();
    Duration timeout = Duration.ofMillis(kafka.config().requestTimeoutMs());
    try (KafkaConsumer<String, byte[]> c = kafka.consumer("state-" + topic, null, "earliest")) {
      List<TopicPartition> parts = PartitionScan.partitionsOf(c, topic, timeout).stream()
          .filter(p -> partitions == null || partitions.contains(p.partition())).toList();
      PartitionScan.open(c, parts, PartitionScan.BEGINNING, PartitionScan.END, timeout).readAll(
          timeout.multipliedBy(10), r -> {
            if (r.key() != null && (keys == null || keys.contains(r.key()))) {
              if (r.value() == null) {
                latest.remove(r.key());
              } else {
                latest.put(r.key(), r.value());
              }
            }
          });
    }
    return latest;
  }
}
