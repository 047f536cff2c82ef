package com.necpgame.mesh.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.api.Test;

class OwnedPartitionsTest {

  @Test
  void givesAKeyThePartitionOfKafkasDefaultPartitioner() {
    for (int i = 0; i < 1000; i++) {
      String key = "match-" + UUID.randomUUID();
      assertEquals(BuiltInPartitioner.partitionForKey(key.getBytes(StandardCharsets.UTF_8), 6),
          OwnedPartitions.partitionOf(key, 6), key);
    }
  }

  @Test
  void picksOnlyKeysOfOwnedPartitions() {
    OwnedPartitions owned = new OwnedPartitions(6);
    owned.assigned(List.of(1, 4));
    AtomicInteger n = new AtomicInteger();
    for (int i = 0; i < 200; i++) {
      String key = owned.newKey(() -> "match-" + n.incrementAndGet()).orElseThrow();
      assertTrue(Set.of(1, 4).contains(OwnedPartitions.partitionOf(key, 6)), key);
      assertTrue(owned.owns(key));
    }
    owned.revoked(List.of(1));
    for (int i = 0; i < 50; i++) {
      assertEquals(4, OwnedPartitions.partitionOf(owned.newKey(() -> "match-" + n.incrementAndGet()).orElseThrow(), 6));
    }
  }

  @Test
  void picksNothingWithoutPartitions() {
    OwnedPartitions owned = new OwnedPartitions(6);
    AtomicInteger asked = new AtomicInteger();
    assertEquals(Optional.empty(), owned.newKey(() -> "match-" + asked.incrementAndGet()));
    assertEquals(0, asked.get(), "no key is tried when none can be owned");
    owned.assigned(List.of(0, 1, 2, 3, 4, 5));
    assertTrue(owned.any());
    owned.revoked(List.of(0, 1, 2, 3, 4, 5));
    assertFalse(owned.any());
    assertEquals(Optional.empty(), owned.newKey(() -> "match-x"));
  }

  @Test
  void acceptsTopicsOfOneCountAndRefusesDifferentCountsNamingThem() {
    assertEquals(6, OwnedPartitions.coPartitioned(Map.of("a", 6, "b", 6, "c", 6)));
    Map<String, Integer> counts = new LinkedHashMap<>();
    counts.put("robot-orchestration-events", 6);
    counts.put("robot-responses", 6);
    counts.put("match-state", 3);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> OwnedPartitions.coPartitioned(counts));
    assertTrue(e.getMessage().contains("match-state=3"), e.getMessage());
    assertTrue(e.getMessage().contains("same number of partitions"), e.getMessage());
  }
}
