package com.necpgame.mesh.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.kafka.PartitionScan.AtOffsets;
import com.necpgame.mesh.kafka.PartitionScan.AtTime;
import com.necpgame.mesh.kafka.PartitionScan.Gap;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The partition scan with Kafka's MockConsumer: where it starts, where it stops, and what a deadline does. */
class PartitionScanTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(1);
  private static final TopicPartition P0 = new TopicPartition("state", 0);
  private static final TopicPartition P1 = new TopicPartition("state", 1);

  /** MockConsumer does not implement offsetsForTimes: this one answers from a table, null where no record is late enough. */
  private static final class TimedConsumer extends MockConsumer<String, String> {
    final Map<TopicPartition, OffsetAndTimestamp> byTime = new HashMap<>();

    TimedConsumer() {
      super("earliest");
    }

    @Override
    public synchronized Map<TopicPartition, OffsetAndTimestamp> offsetsForTimes(Map<TopicPartition, Long> query) {
      Map<TopicPartition, OffsetAndTimestamp> out = new HashMap<>();
      query.keySet().forEach(p -> out.put(p, byTime.get(p)));
      return out;
    }

    @Override
    public Map<TopicPartition, OffsetAndTimestamp> offsetsForTimes(Map<TopicPartition, Long> query, Duration timeout) {
      return offsetsForTimes(query);
    }
  }

  private static TimedConsumer consumer(long begin0, long end0, long begin1, long end1) {
    TimedConsumer c = new TimedConsumer();
    c.updatePartitions("state", List.of(info(0), info(1)));
    c.updateBeginningOffsets(Map.of(P0, begin0, P1, begin1));
    c.updateEndOffsets(Map.of(P0, end0, P1, end1));
    return c;
  }

  private static PartitionInfo info(int partition) {
    return new PartitionInfo("state", partition, Node.noNode(), new Node[0], new Node[0]);
  }

  /** Records appear at the first poll, once the scan assigned the partitions (MockConsumer needs that). */
  private static void onFirstPoll(MockConsumer<String, String> c, TopicPartition p, long from, long to) {
    c.schedulePollTask(() -> {
      for (long o = from; o < to; o++) {
        c.addRecord(new ConsumerRecord<>(p.topic(), p.partition(), o, "k" + o, p.partition() + "@" + o));
      }
    });
  }

  /** A scan of both partitions from their beginning to their end offsets of now. */
  private static PartitionScan<String, String> wholeOf(MockConsumer<String, String> c) {
    return PartitionScan.open(c, List.of(P0, P1), PartitionScan.BEGINNING, PartitionScan.END, TIMEOUT);
  }

  private static List<String> values(List<ConsumerRecord<String, String>> records) {
    return records.stream().map(ConsumerRecord::value).toList();
  }

  @Test
  void readsEveryPartitionFromItsBeginningUpToTheEndOffsetsOfWhenItOpened() {
    TimedConsumer c = consumer(2, 5, 0, 2);
    PartitionScan<String, String> scan = PartitionScan.open(c, PartitionScan.partitionsOf(c, "state", TIMEOUT),
        PartitionScan.BEGINNING, PartitionScan.END, TIMEOUT);
    assertEquals(Map.of(P0, 2L, P1, 0L), scan.positions());
    onFirstPoll(c, P0, 2, 7); // 5 and 6 were written after the scan opened: not part of it
    onFirstPoll(c, P1, 0, 2);
    List<ConsumerRecord<String, String>> read = new ArrayList<>();
    scan.readAll(TIMEOUT, read::add);
    assertEquals(List.of("0@2", "0@3", "0@4"), values(read.stream().filter(r -> r.partition() == 0).toList()));
    assertEquals(List.of("1@0", "1@1"), values(read.stream().filter(r -> r.partition() == 1).toList()));
    assertEquals(Map.of(P0, 5L, P1, 2L), scan.positions());
    assertTrue(scan.reached());
    assertEquals(c.assignment(), c.paused(), "a partition at its stop is fetched no more");
  }

  @Test
  void emptyPartitionsAndMissingTopicsAreReadAtOnce() {
    TimedConsumer c = consumer(4, 4, 0, 0);
    PartitionScan<String, String> scan = wholeOf(c);
    assertTrue(scan.reached());
    List<ConsumerRecord<String, String>> read = new ArrayList<>();
    scan.readAll(Duration.ZERO, read::add);
    assertEquals(List.of(), read);

    assertEquals(List.of(), PartitionScan.partitionsOf(c, "missing", TIMEOUT));
    PartitionScan<String, String> none = PartitionScan.open(c, List.of(), PartitionScan.BEGINNING,
        PartitionScan.END, TIMEOUT);
    none.readAll(Duration.ZERO, read::add);
    assertTrue(none.reached());
    assertEquals(List.of(), read);
  }

  @Test
  void startsByTimeAtTheFirstOffsetAtOrAfterItOrAtTheEndWhenNoRecordIsThatLate() {
    TimedConsumer c = consumer(0, 6, 0, 3);
    c.byTime.put(P0, new OffsetAndTimestamp(4, 1_000));
    PartitionScan<String, String> scan = PartitionScan.open(c, List.of(P0, P1), new AtTime(1_000),
        PartitionScan.END, TIMEOUT);
    assertEquals(Map.of(P0, 4L, P1, 3L), scan.positions());
    onFirstPoll(c, P0, 0, 6);
    onFirstPoll(c, P1, 0, 3);
    List<ConsumerRecord<String, String>> read = new ArrayList<>();
    scan.readAll(TIMEOUT, read::add);
    assertEquals(List.of("0@4", "0@5"), values(read));
  }

  @Test
  void stopsByTimeBeforeTheFirstRecordThatLate() {
    TimedConsumer c = consumer(0, 6, 0, 3);
    c.byTime.put(P0, new OffsetAndTimestamp(2, 5_000));
    PartitionScan<String, String> scan = PartitionScan.open(c, List.of(P0, P1), PartitionScan.BEGINNING,
        new AtTime(5_000), TIMEOUT);
    assertEquals(Map.of(P0, 2L, P1, 3L), scan.stops());
    onFirstPoll(c, P0, 0, 6);
    onFirstPoll(c, P1, 0, 3);
    List<ConsumerRecord<String, String>> read = new ArrayList<>();
    scan.readAll(TIMEOUT, read::add);
    assertEquals(List.of("0@0", "0@1"), values(read.stream().filter(r -> r.partition() == 0).toList()));
    assertEquals(3, read.stream().filter(r -> r.partition() == 1).count());
  }

  @Test
  void startsAtGivenOffsetsAndReportsThoseThePartitionDoesNotHold() {
    TopicPartition p2 = new TopicPartition("state", 2);
    TimedConsumer c = new TimedConsumer();
    c.updateBeginningOffsets(Map.of(P0, 10L, P1, 0L, p2, 0L));
    c.updateEndOffsets(Map.of(P0, 20L, P1, 5L, p2, 7L));
    Map<TopicPartition, Long> asked = Map.of(P0, 3L, P1, 9L);
    PartitionScan<String, String> scan = PartitionScan.open(c, List.of(P0, P1, p2),
        new AtOffsets(asked, PartitionScan.END), PartitionScan.END, TIMEOUT);
    assertEquals(Map.of(P0, 10L, P1, 0L, p2, 7L), scan.positions(), "unlisted partitions start at otherwise");
    assertEquals(List.of(new Gap(P0, 3, 10, "deleted by retention"),
        new Gap(P1, 9, 0, "beyond the end of the partition")), scan.gaps());

    TimedConsumer exact = consumer(0, 9, 0, 9);
    PartitionScan<String, String> resumed = PartitionScan.open(exact, List.of(P0, P1),
        new AtOffsets(Map.of(P0, 6L), PartitionScan.BEGINNING), PartitionScan.END, TIMEOUT);
    assertEquals(Map.of(P0, 6L, P1, 0L), resumed.positions());
    assertEquals(List.of(), resumed.gaps());
  }

  @Test
  void aReadThatDoesNotReachItsStopsInTimeFailsNamingThePartitionBehind() {
    TimedConsumer c = consumer(0, 5, 0, 1);
    PartitionScan<String, String> scan = wholeOf(c);
    onFirstPoll(c, P0, 0, 2); // the end offsets say 5, only 2 ever come
    onFirstPoll(c, P1, 0, 1);
    List<ConsumerRecord<String, String>> read = new ArrayList<>();
    PartitionScan.Timeout e = assertThrows(PartitionScan.Timeout.class,
        () -> scan.readAll(Duration.ofMillis(300), read::add));
    assertTrue(e.getMessage().contains("state-0 at 2 of 5"), e.getMessage());
    assertFalse(e.getMessage().contains("state-1"), e.getMessage());
    assertEquals(3, read.size(), "what was read is handed before the deadline");
  }

  @Test
  void aScanBetweenKnownOffsetsNeverHandsARecordAtOrPastItsStop() {
    TimedConsumer c = consumer(0, 10, 0, 10);
    PartitionScan<String, String> scan = PartitionScan.between(c, Map.of(P0, 3L, P1, 8L), Map.of(P0, 6L, P1, 8L));
    onFirstPoll(c, P0, 0, 10);
    onFirstPoll(c, P1, 0, 10);
    List<ConsumerRecord<String, String>> read = scan.poll(TIMEOUT);
    assertEquals(List.of("0@3", "0@4", "0@5"), values(read));
    assertTrue(scan.reached());
    assertEquals(Map.of(P0, 6L, P1, 8L), scan.positions(), "positions stop at the stops");
    assertEquals(List.of(), scan.poll(TIMEOUT), "a finished scan does not poll");
  }

  @Test
  void aConsumerScansAgainAfterAnEarlierScanPausedTheSamePartition() {
    TimedConsumer c = consumer(0, 10, 0, 10);
    onFirstPoll(c, P0, 0, 3);
    assertEquals(List.of("0@0"), values(PartitionScan.between(c, Map.of(P0, 0L), Map.of(P0, 1L)).poll(TIMEOUT)));
    assertEquals(Set.of(P0), c.paused());
    onFirstPoll(c, P0, 2, 3); // a KafkaConsumer fetches again after a seek; a MockConsumer hands a record once
    List<ConsumerRecord<String, String>> read = new ArrayList<>();
    PartitionScan.between(c, Map.of(P0, 2L), Map.of(P0, 3L)).readAll(TIMEOUT, read::add);
    assertEquals(List.of("0@2"), values(read));
  }

  @Test
  void aScanThenTailedSaysWhenWhatWasThereAtTheStartWasRead() {
    TimedConsumer c = consumer(0, 2, 0, 0);
    PartitionScan<String, String> scan = wholeOf(c);
    assertFalse(scan.reached());
    onFirstPoll(c, P0, 0, 4);
    assertEquals(List.of("0@0", "0@1", "0@2", "0@3"), values(c.poll(TIMEOUT).records(P0)),
        "tailing, the caller polls the consumer and gets every record");
    assertTrue(scan.reached());
  }
}
