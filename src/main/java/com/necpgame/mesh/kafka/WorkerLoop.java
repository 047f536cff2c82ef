package com.necpgame.mesh.kafka;

import com.necpgame.mesh.MeshMetrics;
import com.necpgame.mesh.config.TopicSpec;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@link GroupConsumer}, {@link GroupLoop}, {@link Leadership} and {@link CompactedView} share: a {@link
 * KafkaWorker} that runs the lives of the loop, its start, readiness and stop; and for the group loops the commit of
 * what is done and a record given up with the reason.
 */
abstract class WorkerLoop<L extends WorkerLoop<L>> implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(WorkerLoop.class);

  final String name;
  final MeshMetrics metrics;
  final KafkaWorker worker;
  /** The cluster's topics, as last listed by the loop's thread. */
  private volatile Set<String> topics = Set.of();

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

  /**
   * Asks the loop to stop without waiting (what it holds is finished or given up, retries cut short, and what was done
   * committed); completes when it ended.
   */
  public CompletableFuture<Void> stop() {
    return worker.stop();
  }

  /** {@link #stop()}, waiting for the loop for at most 30 s. */
  @Override
  public void close() {
    worker.close();
  }

  /** commitSync, through {@link #unwoken}. */
  static void commitSync(Consumer<String, byte[]> consumer, Map<TopicPartition, OffsetAndMetadata> offsets) {
    if (!offsets.isEmpty()) {
      unwoken(() -> {
        consumer.commitSync(offsets);
        return null;
      });
    }
  }

  /**
   * A blocking call on the loop's consumer other than its poll, made again whenever a wake-up meant for the poll (a
   * task handed over, or closing, which the loop sees at its next check) interrupts it. A wake-up is used once, so
   * this ends; letting it escape would end the life and, through a new member, move the group's partitions.
   */
  static <T> T unwoken(Supplier<T> call) {
    while (true) {
      try {
        return call.get();
      } catch (WakeupException e) {
        // meant for the poll: the loop acts on it there
      }
    }
  }

  /** What failed, out of the wrapper of a stage. */
  static Throwable cause(Throwable e) {
    return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
  }

  /** Lists the cluster's topics again when {@code polled} has one not listed yet; on the loop's thread. */
  void listTopics(Consumer<String, byte[]> consumer, Collection<TopicPartition> polled) {
    if (!polled.stream().allMatch(tp -> topics.contains(tp.topic()))) {
      topics = Set.copyOf(unwoken(consumer::listTopics).keySet());
    }
  }

  /**
   * {@code record} given up after {@code attempts}: logged, counted, and its copy for {@code <topic>.dlq}; none (the
   * record skipped, as {@link StepLoop} does) when its topic has no dead-letter topic, which no write could reach.
   */
  Optional<ProducerRecord<String, byte[]>> deadLetter(ConsumerRecord<String, byte[]> record, String address,
      Throwable cause, int attempts) {
    metrics.consumed(record.topic(), EnvelopeRecords.header(record.headers(), EnvelopeRecords.HEADER_EVENT_TYPE),
        false);
    String reason = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    boolean kept = topics.contains(TopicSpec.dlqOf(record.topic()));
    LOG.warn("{}: {}-{}@{} (event {}) {} after {} attempt(s): {}", name, record.topic(), record.partition(),
        record.offset(), EnvelopeRecords.header(record.headers(), EnvelopeRecords.HEADER_EVENT_ID),
        kept ? "to dead letters" : "skipped (the topic has no dead-letter topic)", attempts, reason);
    return kept ? Optional.of(DeadLetters.of(record, address, reason, attempts)) : Optional.empty();
  }
}
