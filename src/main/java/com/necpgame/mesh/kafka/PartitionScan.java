package com.necpgame.mesh.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * Reads a set of partitions without a consumer group, from chosen positions up to stops fixed when the scan opens: the
 * "assign every partition, position it, snapshot the end offsets, poll until there" under every state load, view,
 * replay, dead-letter listing, tick resume and WebSocket stream. A partition that reached its stop is paused.
 *
 * <p>"Scan, then keep tailing": open the scan, then poll the consumer itself (every record is the caller's) and ask
 * {@link #reached()} when what the partitions held at the start was read. The scan does not own the consumer (its
 * caller closes it) and runs on the consumer's thread.
 */
public final class PartitionScan<K, V> {

  /** Where a scan starts, or stops, on each partition. */
  public sealed interface Position permits Beginning, End, AtTime, AtOffsets {}

  /** The first offset the partition holds. */
  public record Beginning() implements Position {}

  /** The end of the partition when the scan opens (for a read_committed consumer, the last stable offset). */
  public record End() implements Position {}

  /** The first offset whose timestamp is at or after {@code epochMillis}; the end of the partition when none is. */
  public record AtTime(long epochMillis) implements Position {}

  /**
   * These offsets (each the next to read); partitions not listed at {@code otherwise}. An offset before the beginning
   * (deleted by retention) or past the end (the topic was recreated) is replaced by the beginning, and that is
   * reported as a {@link Gap}.
   */
  public record AtOffsets(Map<TopicPartition, Long> next, Position otherwise) implements Position {}

  public static final Position BEGINNING = new Beginning();
  public static final Position END = new End();

  /** An offset asked for that the partition no longer (or not yet) holds, and where the scan starts instead. */
  public record Gap(TopicPartition partition, long requested, long from, String reason) {}

  /** A read did not reach its stops within its deadline. */
  public static final class Timeout extends TimeoutException {
    Timeout(String message) {
      super(message);
    }
  }

  private static final Duration POLL = Duration.ofMillis(200);
  private static final Comparator<TopicPartition> ORDER = Comparator.comparing(TopicPartition::topic)
      .thenComparingInt(TopicPartition::partition);

  private final Consumer<K, V> consumer;
  private final Map<TopicPartition, Long> stops;
  private final List<Gap> gaps;
  /** Partitions not yet read up to their stop. */
  private final Set<TopicPartition> open;

  private PartitionScan(Consumer<K, V> consumer, Map<TopicPartition, Long> starts, Map<TopicPartition, Long> stops,
      List<Gap> gaps) {
    if (!stops.keySet().equals(starts.keySet())) {
      throw new IllegalArgumentException("every partition of a scan needs a start and a stop");
    }
    this.consumer = consumer;
    this.stops = Map.copyOf(stops);
    this.gaps = List.copyOf(gaps);
    this.open = starts.keySet().stream().sorted(ORDER).collect(Collectors.toCollection(LinkedHashSet::new));
    consumer.assign(this.open);
    consumer.resume(this.open); // assigning the same partitions again keeps them paused by an earlier scan
    starts.forEach(consumer::seek);
  }

  /**
   * Assigns {@code parts} to {@code consumer} (replacing what it had), seeks each to {@code from}, and fixes where
   * each stops ({@code to}; {@link #END} is the end offsets of now).
   */
  public static <K, V> PartitionScan<K, V> open(Consumer<K, V> consumer, Collection<TopicPartition> parts,
      Position from, Position to, Duration timeout) {
    List<Gap> gaps = new ArrayList<>();
    Map<TopicPartition, Long> starts = offsets(consumer, parts, from, timeout, gaps);
    return new PartitionScan<>(consumer, starts, offsets(consumer, parts, to, timeout), gaps);
  }

  /** A scan from offsets already known to offsets already known (a resumed job, a window): no look-up. */
  public static <K, V> PartitionScan<K, V> between(Consumer<K, V> consumer, Map<TopicPartition, Long> starts,
      Map<TopicPartition, Long> stops) {
    return new PartitionScan<>(consumer, starts, stops, List.of());
  }

  /** The partitions of {@code topic} in order; none when it does not exist. */
  public static List<TopicPartition> partitionsOf(Consumer<?, ?> consumer, String topic, Duration timeout) {
    List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
    return infos == null ? List.of() : infos.stream().map(i -> new TopicPartition(topic, i.partition())).sorted(ORDER)
        .toList();
  }

  /** Every partition of the topics {@code wanted} accepts, by topic, then partition. */
  public static List<TopicPartition> partitionsOf(Consumer<?, ?> consumer, Predicate<String> wanted,
      Duration timeout) {
    return consumer.listTopics(timeout).entrySet().stream().filter(e -> wanted.test(e.getKey()))
        .flatMap(e -> e.getValue().stream()).map(i -> new TopicPartition(i.topic(), i.partition())).sorted(ORDER)
        .toList();
  }

  /** Where {@code at} is on each of {@code parts}, without moving the consumer. */
  public static Map<TopicPartition, Long> offsets(Consumer<?, ?> consumer, Collection<TopicPartition> parts,
      Position at, Duration timeout) {
    return offsets(consumer, parts, at, timeout, new ArrayList<>());
  }

  private static Map<TopicPartition, Long> offsets(Consumer<?, ?> consumer, Collection<TopicPartition> parts,
      Position at, Duration timeout, List<Gap> gaps) {
    Map<TopicPartition, Long> out = new HashMap<>();
    if (parts.isEmpty()) {
      return out;
    }
    if (at instanceof Beginning) {
      out.putAll(consumer.beginningOffsets(parts, timeout));
    } else if (at instanceof End) {
      out.putAll(consumer.endOffsets(parts, timeout));
    } else if (at instanceof AtTime t) {
      Map<TopicPartition, Long> query = new HashMap<>();
      parts.forEach(p -> query.put(p, t.epochMillis()));
      Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, timeout);
      List<TopicPartition> none = parts.stream().filter(p -> found.get(p) == null).toList();
      out.putAll(offsets(consumer, none, END, timeout, gaps));
      parts.stream().filter(p -> found.get(p) != null).forEach(p -> out.put(p, found.get(p).offset()));
    } else if (at instanceof AtOffsets o) {
      List<TopicPartition> listed = parts.stream().filter(o.next()::containsKey).toList();
      Map<TopicPartition, Long> begins = offsets(consumer, listed, BEGINNING, timeout, gaps);
      Map<TopicPartition, Long> ends = offsets(consumer, listed, END, timeout, gaps);
      for (TopicPartition p : listed) {
        long wanted = o.next().get(p);
        long begin = begins.get(p);
        if (wanted < begin || wanted > ends.get(p)) {
          gaps.add(new Gap(p, wanted, begin, wanted < begin ? "deleted by retention" : "beyond the end of the partition"));
          out.put(p, begin);
        } else {
          out.put(p, wanted);
        }
      }
      out.putAll(offsets(consumer, parts.stream().filter(p -> !o.next().containsKey(p)).toList(), o.otherwise(),
          timeout, gaps));
    }
    return out;
  }

  /** Where each partition stops (exclusive). */
  public Map<TopicPartition, Long> stops() {
    return stops;
  }

  /** Offsets asked for that the partitions did not hold, and where they started instead. */
  public List<Gap> gaps() {
    return gaps;
  }

  /**
   * One poll of the consumer: the records before their partition's stop (those after are dropped); a partition that
   * reached its stop is paused, so nothing more is fetched for it.
   */
  public List<ConsumerRecord<K, V>> poll(Duration timeout) {
    List<ConsumerRecord<K, V>> out = new ArrayList<>();
    if (open.isEmpty()) {
      return out;
    }
    for (ConsumerRecord<K, V> r : consumer.poll(timeout)) {
      if (r.offset() < stops.get(new TopicPartition(r.topic(), r.partition()))) {
        out.add(r);
      }
    }
    List<TopicPartition> done = open.stream().filter(this::atStop).toList();
    if (!done.isEmpty()) {
      consumer.pause(done);
      done.forEach(open::remove);
    }
    return out;
  }

  /** Whether every partition was read up to its stop. */
  public boolean reached() {
    open.removeIf(this::atStop);
    return open.isEmpty();
  }

  /** The next offset of each partition to read: where the consumer is, at most the partition's stop. */
  public Map<TopicPartition, Long> positions() {
    Map<TopicPartition, Long> out = new HashMap<>();
    stops.forEach((p, stop) -> out.put(p, Math.min(consumer.position(p), stop)));
    return out;
  }

  /**
   * Reads every partition up to its stop, handing each record to {@code handler} in order per partition.
   *
   * @throws Timeout when that takes longer than {@code within}
   */
  public void readAll(Duration within, java.util.function.Consumer<ConsumerRecord<K, V>> handler) {
    readWhile(within, () -> true, handler);
  }

  /** As {@link #readAll}, ending early once {@code more} answers false (asked before each poll). */
  public void readWhile(Duration within, BooleanSupplier more,
      java.util.function.Consumer<ConsumerRecord<K, V>> handler) {
    long deadline = System.nanoTime() + within.toNanos();
    while (!reached() && more.getAsBoolean()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new Timeout("reading " + stops.size() + " partition(s) did not reach the stops within "
            + within.toMillis() + " ms: " + open.stream().limit(5)
            .map(p -> p + " at " + consumer.position(p) + " of " + stops.get(p)).collect(Collectors.joining(", "))
            + (open.size() > 5 ? ", ..." : ""));
      }
      poll(Duration.ofNanos(Math.min(left, POLL.toNanos()))).forEach(handler);
    }
  }

  private boolean atStop(TopicPartition p) {
    return consumer.position(p) >= stops.get(p);
  }
}
