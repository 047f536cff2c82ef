package com.necpgame.mesh.kafka;

import com.necpgame.mesh.MeshMetrics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows a compacted state topic on every process (no group, every partition, from the beginning) and hands each
 * committed record to a handler on its own {@link KafkaWorker}: how a process answers reads about state another
 * process owns. A {@link PartitionScan} to the end offsets of when it started, then tailing.
 *
 * <p>Failures end a life ({@link KafkaWorker}); the next starts at the offsets the view had reached (nothing is handed
 * twice, a deletion is not missed) and catches up to the end offsets of then. A missing topic is such a failure too.
 *
 * <p>A record the handler cannot understand (it throws): logged with its topic, partition, offset and key, counted in
 * {@code event_bus_view_records_skipped_total{topic}}, and the view goes on. A view must never block on one record,
 * and compacted state is not dead-lettered: the next value of the key replaces it.
 */
public final class CompactedView extends WorkerLoop<CompactedView> {

  private static final Logger LOG = LoggerFactory.getLogger(CompactedView.class);
  private static final Duration POLL = Duration.ofSeconds(1);

  private final String topic;
  private final Supplier<org.apache.kafka.clients.consumer.Consumer<String, byte[]>> consumers;
  private final Consumer<ConsumerRecord<String, byte[]>> handler;
  private final Duration timeout;
  /** The next offset to hand on each partition: where a new life of the view starts. */
  private final Map<TopicPartition, Long> next = new ConcurrentHashMap<>();

  /** A view whose meters are kept apart (not exported); pass the process's {@link MeshMetrics} to export them. */
  public CompactedView(KafkaClients kafka, String topic, Consumer<ConsumerRecord<String, byte[]>> handler,
      MeshMetrics metrics) {
    this(topic, () -> kafka.consumer("view-" + topic, null, "earliest"), handler, metrics, Backoff.SUPERVISION,
        Duration.ofMillis(kafka.config().requestTimeoutMs()));
  }

  CompactedView(String topic, Supplier<org.apache.kafka.clients.consumer.Consumer<String, byte[]>> consumers,
      Consumer<ConsumerRecord<String, byte[]>> handler, MeshMetrics metrics, Backoff backoff, Duration timeout) {
    super("view-" + topic, backoff, metrics);
    this.topic = topic;
    this.consumers = consumers;
    this.handler = handler;
    this.timeout = timeout;
  }

  @Override
  void run(KafkaWorker.Life life) {
    try (org.apache.kafka.clients.consumer.Consumer<String, byte[]> c = life.wakes(consumers.get())) {
      List<TopicPartition> parts = PartitionScan.partitionsOf(c, topic, timeout);
      if (parts.isEmpty()) {
        throw new IllegalStateException("topic " + topic + " has no partitions: it does not exist (yet)");
      }
      PartitionScan<String, byte[]> scan = PartitionScan.open(c, parts,
          new PartitionScan.AtOffsets(Map.copyOf(next), PartitionScan.BEGINNING), PartitionScan.END, timeout);
      while (life.running()) {
        if (scan.reached()) {
          life.ready(); // caught up: completes caughtUp() the first time
        }
        for (ConsumerRecord<String, byte[]> r : c.poll(POLL)) {
          hand(r);
          next.put(new TopicPartition(r.topic(), r.partition()), r.offset() + 1);
        }
      }
    }
  }

  private void hand(ConsumerRecord<String, byte[]> r) {
    try {
      handler.accept(r);
    } catch (RuntimeException e) {
      metrics.viewRecordSkipped(topic);
      LOG.warn("view of {}: record {}-{}@{} (key {}) not understood, skipped: {}", topic, r.topic(), r.partition(),
          r.offset(), r.key(), e.toString());
    }
  }

  /**
   * Completes once every record the topic held at start was handed to the handler (after a failure, once a new life
   * caught up); fails if the view is closed before that.
   */
  public CompletableFuture<Void> caughtUp() {
    return ready();
  }

  @Override
  public void close() {
    worker.close(Duration.ofSeconds(10));
  }
}
