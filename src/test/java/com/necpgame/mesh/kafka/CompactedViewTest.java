package com.necpgame.mesh.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.necpgame.mesh.MeshMetrics;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The view of a compacted topic on its worker: a failure restarts it where it was, a bad record is skipped. */
class CompactedViewTest {

  private static final Backoff FAST = new Backoff(Duration.ofMillis(1), Duration.ofMillis(2), 0);
  private static final String TOPIC = "match-state";
  private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
  private static final TopicPartition P1 = new TopicPartition(TOPIC, 1);

  private final MeshMetrics metrics = new MeshMetrics();
  private final Queue<MockConsumer<String, byte[]>> lives = new ArrayDeque<>();
  private final List<String> handed = new CopyOnWriteArrayList<>();

  /** The consumer of one life of the view: two partitions holding {@code end0} and {@code end1} records. */
  private MockConsumer<String, byte[]> life(long end0, long end1) {
    MockConsumer<String, byte[]> c = new MockConsumer<>("earliest");
    c.updatePartitions(TOPIC, List.of(info(0), info(1)));
    c.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
    c.updateEndOffsets(Map.of(P0, end0, P1, end1));
    lives.add(c);
    return c;
  }

  private static PartitionInfo info(int partition) {
    return new PartitionInfo(TOPIC, partition, Node.noNode(), new Node[0], new Node[0]);
  }

  /** At the next poll (once the view assigned the partitions) the partition holds offsets 0 to {@code to} - 1. */
  private static void holds(MockConsumer<String, byte[]> c, TopicPartition p, long to) {
    c.schedulePollTask(() -> {
      for (long o = 0; o < to; o++) {
        c.addRecord(new ConsumerRecord<>(TOPIC, p.partition(), o, "m" + o, (p.partition() + "@" + o).getBytes()));
      }
    });
  }

  private CompactedView view(Consumer<ConsumerRecord<String, byte[]>> handler) {
    return new CompactedView(TOPIC, lives::remove, handler, metrics, FAST, Duration.ofSeconds(1));
  }

  private double restarts() {
    var c = metrics.registry().find("event_bus_loop_restarts_total").tag("loop", "view-" + TOPIC).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void anExceptionEscapingAPollRestartsTheViewWhichCatchesUpAgain() throws Exception {
    life(2, 1).setPollException(new KafkaException("Disconnected from node 1"));
    MockConsumer<String, byte[]> second = life(2, 1);
    second.schedulePollTask(() -> {
      second.addRecord(new ConsumerRecord<>(TOPIC, 0, 0, "a", "0@0".getBytes()));
      second.addRecord(new ConsumerRecord<>(TOPIC, 0, 1, "b", "0@1".getBytes()));
      second.addRecord(new ConsumerRecord<>(TOPIC, 1, 0, "c", "1@0".getBytes()));
    });
    try (CompactedView view = view(r -> handed.add(new String(r.value()))).start()) {
      view.caughtUp().get(10, TimeUnit.SECONDS);
      assertEquals(List.of("0@0", "0@1", "1@0"), handed.stream().sorted().toList());
      assertEquals(1.0, restarts(), "the failed life was counted and the view started again");
    }
  }

  @Test
  void aViewThatFailsWhileTailingResumesWhereItWasAndHandsNothingTwice() throws Exception {
    MockConsumer<String, byte[]> first = life(2, 0);
    holds(first, P0, 2);
    first.schedulePollTask(() -> {
      throw new KafkaException("Disconnected from node 1");
    });
    MockConsumer<String, byte[]> second = life(3, 0); // one more record was written meanwhile
    holds(second, P0, 3);
    try (CompactedView view = view(r -> handed.add(new String(r.value()))).start()) {
      view.caughtUp().get(10, TimeUnit.SECONDS);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (handed.size() < 3 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertEquals(List.of("0@0", "0@1", "0@2"), handed);
      assertEquals(1.0, restarts());
    }
  }

  @Test
  void aViewOfATopicNotCreatedYetFollowsItOnceItIs() throws Exception {
    lives.add(new MockConsumer<>("earliest")); // the topic has no partitions yet
    holds(life(1, 0), P0, 1);
    try (CompactedView view = view(r -> handed.add(new String(r.value()))).start()) {
      view.caughtUp().get(10, TimeUnit.SECONDS);
      assertEquals(List.of("0@0"), handed);
      assertEquals(1.0, restarts());
    }
  }

  @Test
  void aRecordTheHandlerCannotUnderstandIsCountedAndSkipped() throws Exception {
    holds(life(3, 0), P0, 3);
    try (CompactedView view = view(r -> {
      if (r.offset() == 1) {
        throw new IllegalArgumentException("not a match");
      }
      handed.add(new String(r.value()));
    }).start()) {
      view.caughtUp().get(10, TimeUnit.SECONDS);
      assertEquals(List.of("0@0", "0@2"), handed);
      assertEquals(1.0, metrics.registry().get("event_bus_view_records_skipped_total").tag("topic", TOPIC).counter()
          .count());
      assertEquals(0.0, restarts(), "a record the handler refuses does not end the view");
    }
  }
}
