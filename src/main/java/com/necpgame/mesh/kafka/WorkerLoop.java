package com.necpgame.mesh.kafka;

import com.necpgame.mesh.MeshMetrics;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@link GroupConsumer} and {@link GroupLoop} share: a {@link KafkaWorker} that runs the lives of the loop, its
 * start, readiness and stop, the commit of what is done, and a record given up with the reason.
 */
abstract class WorkerLoop<L extends WorkerLoop<L>> implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(WorkerLoop.class);

  final String name;
  final MeshMetrics metrics;
  final KafkaWorker worker;

  WorkerLoop(String name, Backoff supervision, MeshMetrics metrics) {
    this.name = name;
    this.metrics = metrics;
    this.worker = new KafkaWorker(name, supervision, metrics, this::run);
  }

  /** One life of the loop: a consumer of its own, closed when the life ends. */
  abstract void run(KafkaWorker.Life life);

  /** Starts the loop; {@link #ready()} completes once it subscribed (or was assigned its partitions). */
  @SuppressWarnings("unchecked")
  public L start() {
    worker.start();
    return (L) this;
  }

  public CompletableFuture<Void> ready() {
    return worker.ready();
  }

  public CompletableFuture<Void> stopped() {
    return worker.stopped();
  }

  /** Asks the loop to stop (what it holds is finished and committed) without waiting; completes when it ended. */
  public CompletableFuture<Void> stop() {
    return worker.stop();
  }

  /** commitSync, again once if a wake-up meant for a poll came first (closing, or a task handed over). */
  static void commitSync(Consumer<String, byte[]> consumer, Map<TopicPartition, OffsetAndMetadata> offsets) {
    if (offsets.isEmpty()) {
      return;
    }
    try {
      consumer.commitSync(offsets);
    } catch (WakeupException e) {
      consumer.commitSync(offsets);
    }
  }

  /** What failed, out of the wrapper of a stage. */
  static Throwable cause(Throwable e) {
    return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
  }

  /** {@code record} given up after {@code attempts}: logged, counted, and its copy for {@code <topic>.dlq}. */
  ProducerRecord<String, byte[]> deadLetter(ConsumerRecord<String, byte[]> record, String address, Throwable cause,
      int attempts) {
    metrics.consumed(record.topic(), EnvelopeRecords.header(record.headers(), EnvelopeRecords.HEADER_EVENT_TYPE),
        false);
    String reason = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    LOG.warn("{}: {}-{}@{} (event {}) to dead letters after {} attempt(s): {}", name, record.topic(),
        record.partition(), record.offset(), EnvelopeRecords.header(record.headers(), EnvelopeRecords.HEADER_EVENT_ID),
        attempts, reason);
    return DeadLetters.of(record, address, reason, attempts);
  }
}
