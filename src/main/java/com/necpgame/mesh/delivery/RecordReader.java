package com.necpgame.mesh.delivery;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads given records again from Kafka by their place (topic, partition, offset), with a consumer of its own that
 * has no group ({@code auto.offset.reset=earliest}): one partition at a time, offsets in order, one seek for each run
 * of wanted offsets that one poll does not cover.
 */
final class RecordReader {

  /** Where a record is. */
  record Place(String topic, int partition, long offset) {}

  private static final Duration POLL = Duration.ofMillis(100);

  private final Consumer<String, byte[]> consumer;

  RecordReader(Consumer<String, byte[]> consumer) {
    this.consumer = consumer;
  }

  /**
   * The records at these places: a record found; empty when Kafka no longer has it (the partition was read past its
   * offset: deleted by retention or compaction); no entry when it could not be read before {@code timeout} (the
   * broker did not answer, or the offset is past the partition's end).
   */
  Map<Place, Optional<ConsumerRecord<String, byte[]>>> read(Collection<Place> places, Duration timeout) {
    Map<TopicPartition, TreeSet<Long>> wanted = new TreeMap<>((a, b) -> a.topic().equals(b.topic())
        ? Integer.compare(a.partition(), b.partition()) : a.topic().compareTo(b.topic()));
    places.forEach(p -> wanted.computeIfAbsent(new TopicPartition(p.topic(), p.partition()), k -> new TreeSet<>())
        .add(p.offset()));
    Map<Place, Optional<ConsumerRecord<String, byte[]>>> out = new HashMap<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      for (Map.Entry<TopicPartition, TreeSet<Long>> e : wanted.entrySet()) {
        TopicPartition tp = e.getKey();
        TreeSet<Long> offsets = e.getValue();
        consumer.assign(List.of(tp));
        Long next = offsets.first();
        while (next != null && System.nanoTime() < deadline) {
          consumer.seek(tp, next);
          List<ConsumerRecord<String, byte[]>> got = new ArrayList<>();
          while (got.isEmpty() && System.nanoTime() < deadline) {
            got = consumer.poll(POLL).records(tp);
          }
          if (got.isEmpty()) {
            break; // nothing in time: the rest of this partition is left unread
          }
          Map<Long, ConsumerRecord<String, byte[]>> byOffset = new HashMap<>();
          got.forEach(r -> byOffset.put(r.offset(), r));
          long last = got.get(got.size() - 1).offset();
          if (last < next) { // the offset is past the partition's end (a topic made again): not that record any more
            out.put(new Place(tp.topic(), tp.partition(), next), Optional.empty());
            next = offsets.higher(next);
            continue;
          }
          for (Long offset : offsets.subSet(next, true, last, true)) {
            out.put(new Place(tp.topic(), tp.partition(), offset), Optional.ofNullable(byOffset.get(offset)));
          }
          next = offsets.higher(last);
        }
      }
    } finally {
      consumer.assign(List.of());
    }
    return out;
  }
}
