package com.necpgame.mesh.kafka;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads a consumer's partitions up to a time cut, so that a simulation step sees the same inputs however late it runs
 * and however often it is replayed: a step for cut {@code t} takes, per partition in offset order, the records not
 * taken before up to the first whose timestamp is at or after {@code t}; that record and the rest wait for a later
 * cut. A partition is done when such a record was read, or when its end was reached once the wall clock is past
 * {@code t + graceMs} (a record appended later has a later timestamp; for strict cuts give input topics
 * {@code message.timestamp.type=LogAppendTime}). Between steps the partitions are paused, so nothing piles up in
 * memory and polling keeps the consumer in its group. A partition that leaves the consumer during a read (a
 * rebalance in a poll) is dropped from it. One thread only.
 */
public final class CutReader {

  private final Consumer<String, byte[]> consumer;
  private final Map<TopicPartition, ArrayDeque<ConsumerRecord<String, byte[]>>> held = new HashMap<>();

  public CutReader(Consumer<String, byte[]> consumer) {
    this.consumer = consumer;
  }

  /** Polls briefly while paused (group liveness, rebalance callbacks); holds anything a resumed partition returns. */
  public void idle(Duration wait) {
    consumer.pause(consumer.assignment());
    hold(consumer.poll(wait));
  }

  /** Partitions that left this consumer: what was held for them is dropped (their new owner reads it again). */
  public void forget(Collection<TopicPartition> partitions) {
    partitions.forEach(held::remove);
  }

  /**
   * The records before {@code cutMs} of these assigned partitions, per partition in offset order, and where each
   * partition continues: the offset of its first record not taken. The other partitions stay paused.
   */
  public Map<TopicPartition, List<ConsumerRecord<String, byte[]>>> readUntil(Collection<TopicPartition> partitions,
      long cutMs, long graceMs, Map<TopicPartition, Long> nextOffsets) {
    Map<TopicPartition, List<ConsumerRecord<String, byte[]>>> out = new HashMap<>();
    if (partitions.isEmpty()) {
      return out;
    }
    long waitUntil = cutMs + graceMs - System.currentTimeMillis();
    if (waitUntil > 0) {
      sleep(waitUntil);
    }
    Set<TopicPartition> parts = Set.copyOf(partitions);
    Map<TopicPartition, Long> ends = consumer.endOffsets(parts);
    List<TopicPartition> open = new ArrayList<>(parts);
    consumer.pause(consumer.assignment());
    consumer.resume(parts);
    while (!open.isEmpty()) {
      for (var it = open.iterator(); it.hasNext(); ) {
        TopicPartition p = it.next();
        if (!consumer.assignment().contains(p)) {
          out.remove(p);
          it.remove();
          continue;
        }
        List<ConsumerRecord<String, byte[]>> taken = out.computeIfAbsent(p, k -> new ArrayList<>());
        ArrayDeque<ConsumerRecord<String, byte[]>> queue = held.getOrDefault(p, new ArrayDeque<>());
        while (!queue.isEmpty() && queue.peek().timestamp() < cutMs) {
          taken.add(queue.poll());
        }
        boolean reachedCut = !queue.isEmpty();
        boolean atEnd = queue.isEmpty() && consumer.position(p) >= ends.get(p);
        if (reachedCut || atEnd) {
          consumer.pause(List.of(p));
          nextOffsets.put(p, reachedCut ? queue.peek().offset() : consumer.position(p));
          it.remove();
        }
      }
      if (!open.isEmpty()) {
        hold(consumer.poll(Duration.ofMillis(200)));
      }
    }
    consumer.pause(consumer.assignment());
    return out;
  }

  private void hold(Iterable<ConsumerRecord<String, byte[]>> records) {
    for (ConsumerRecord<String, byte[]> r : records) {
      held.computeIfAbsent(new TopicPartition(r.topic(), r.partition()), k -> new ArrayDeque<>()).add(r);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
