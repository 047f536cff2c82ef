package com.necpgame.mesh.kafka;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * A compacted topic holding the latest state of each key (a simulation shard), written in the same transaction as the
 * shard's outputs and input offsets, so the state read back always matches what was committed. Reads are blocking.
 */
public final class StateTopic {

  private final KafkaClients kafka;
  private final String topic;

  public StateTopic(KafkaClients kafka, String topic) {
    this.kafka = kafka;
    this.topic = topic;
  }

  public String topic() {
    return topic;
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
    try (KafkaConsumer<String, byte[]> c = kafka.consumer("state-" + topic, null, "earliest")) {
      List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofMillis(kafka.config().requestTimeoutMs()))
          .stream().filter(p -> partitions == null || partitions.contains(p.partition()))
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> ends = c.endOffsets(parts);
      long deadline = System.currentTimeMillis() + 10L * kafka.config().requestTimeoutMs();
      while (parts.stream().anyMatch(p -> c.position(p) < ends.get(p))) {
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException("reading state topic " + topic + " timed out");
        }
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
          if (r.key() != null && (keys == null || keys.contains(r.key()))) {
            if (r.value() == null) {
              latest.remove(r.key());
            } else {
              latest.put(r.key(), r.value());
            }
          }
        }
      }
    }
    return latest;
  }
}
