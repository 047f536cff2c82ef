package com.necpgame.mesh.kafka;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.apache.kafka.common.utils.Utils;

/**
 * The partitions of co-partitioned topics this group member is assigned, and so the keys it owns: a key lives in the
 * partition Kafka's default partitioner gives it (murmur2 of its UTF-8 bytes). Not thread-safe: one thread keeps it.
 */
public final class OwnedPartitions {

  /** Fresh keys tried before giving up on finding one of an owned partition (each misses with at most (n-1)/n). */
  static final int MAX_TRIES = 10_000;

  private final int count;
  private final Set<Integer> owned = new TreeSet<>();

  public OwnedPartitions(int count) {
    if (count < 1) {
      throw new IllegalArgumentException("a topic has at least one partition, not " + count);
    }
    this.count = count;
  }

  /**
   * The partition count topics share, given by topic: they must be co-partitioned (a key in the same partition of
   * each), so a different count stops with a message that names them.
   */
  public static int coPartitioned(Map<String, Integer> counts) {
    if (counts.isEmpty() || new HashSet<>(counts.values()).size() != 1) {
      throw new IllegalStateException("topics " + counts.keySet() + " must have the same number of partitions "
          + "(a key's records and state live in the same partition of each, and one process owns it), but they have "
          + counts + ": give them equal counts (conf/topics.json has 6 for each)");
    }
    return counts.values().iterator().next();
  }

  /** The partition the default partitioner gives a record keyed {@code key} among {@code count}. */
  public static int partitionOf(String key, int count) {
    return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % count;
  }

  public int partitionOf(String key) {
    return partitionOf(key, count);
  }

  public void assigned(Collection<Integer> partitions) {
    owned.addAll(partitions);
  }

  public void revoked(Collection<Integer> partitions) {
    owned.removeAll(partitions);
  }

  public boolean owns(String key) {
    return owned.contains(partitionOf(key));
  }

  public boolean any() {
    return !owned.isEmpty();
  }

  /** A fresh key from {@code keys} that this member owns; empty when it owns no partition. */
  public Optional<String> newKey(Supplier<String> keys) {
    for (int i = 0; i < MAX_TRIES && any(); i++) {
      String key = keys.get();
      if (owns(key)) {
        return Optional.of(key);
      }
    }
    return Optional.empty();
  }
}
