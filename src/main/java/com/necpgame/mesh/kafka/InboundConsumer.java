package com.necpgame.mesh.kafka;

import com.necpgame.mesh.MeshMetrics;
import com.necpgame.mesh.config.MeshConfig.Inbound;
import com.necpgame.mesh.config.MeshConfig.Mode;
import com.necpgame.mesh.config.MeshConfig.Retry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes one topic on its own thread and hands each record to a handler. Records of one partition are handled in
 * order, partitions in parallel. A failed handler is retried with exponential backoff up to the configured attempts,
 * then the record goes to the topic's DLQ (acknowledged by Kafka before it counts as done) and consumption goes on.
 * Offsets are committed only for records that are done, so a restart resumes after the last one handled.
 */
public final class InboundConsumer {

  private static final Logger LOG = LoggerFactory.getLogger(InboundConsumer.class);
  private static final Duration POLL = Duration.ofMillis(200);

  private final Inbound mapping;
  private final MeshMetrics metrics;
  private final Retry retry;
  private final Consumer<String, byte[]> consumer;
  private final Producer<String, byte[]> producer;
  private final Function<ConsumerRecord<String, byte[]>, CompletionStage<Void>> handler;
  private final Thread thread;
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  private final CompletableFuture<Void> ready = new CompletableFuture<>();
  private volatile boolean running = true;

  public InboundConsumer(Inbound mapping, Retry retry, Consumer<String, byte[]> consumer,
      Producer<String, byte[]> producer, MeshMetrics metrics,
      Function<ConsumerRecord<String, byte[]>, CompletionStage<Void>> handler) {
    this.mapping = mapping;
    this.metrics = metrics;
    this.retry = retry;
    this.consumer = consumer;
    this.producer = producer;
    this.handler = handler;
    this.thread = new Thread(this::run, "mesh-inbound-" + mapping.topic());
    this.thread.setDaemon(true);
  }

  /** Starts consuming; the returned stage completes once the consumer subscribed or was assigned its partitions. */
  public CompletionStage<Void> start() {
    thread.start();
    return ready;
  }

  /** Stops after the records in hand are finished or abandoned; commits what was done. */
  public CompletionStage<Void> stop() {
    running = false; // the poll loop notices within one poll; no wakeup, which could break a commit in progress
    return stopped;
  }

  private void run() {
    metrics.workerStarted();
    try {
      join();
      ready.complete(null);
      while (running) {
        ConsumerRecords<String, byte[]> records = consumer.poll(POLL);
        if (!records.isEmpty()) {
          handleBatch(records);
        }
      }
    } catch (RuntimeException e) {
      LOG.error("inbound {} -> {} stopped by an error", mapping.topic(), mapping.address(), e);
      ready.completeExceptionally(e);
    } finally {
      closeQuietly();
      metrics.workerStopped();
      stopped.complete(null);
    }
  }

  private void join() {
    if (mapping.mode() == Mode.SHARED) {
      consumer.subscribe(List.of(mapping.topic()));
      return;
    }
    List<PartitionInfo> partitions = List.of();
    while (running && partitions.isEmpty()) {
      partitions = consumer.partitionsFor(mapping.topic(), Duration.ofSeconds(5));
      if (partitions.isEmpty()) {
        LOG.warn("inbound {}: topic not found yet, waiting", mapping.topic());
        sleep(1000);
      }
    }
    consumer.assign(partitions.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList());
    consumer.assignment().forEach(consumer::position); // fix the start position now, before anything is published
  }

  private void handleBatch(ConsumerRecords<String, byte[]> records) {
    Map<TopicPartition, OffsetAndMetadata> done = new ConcurrentHashMap<>();
    Map<TopicPartition, CompletableFuture<Void>> chains = new java.util.HashMap<>();
    for (TopicPartition tp : records.partitions()) {
      CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
      for (ConsumerRecord<String, byte[]> r : records.records(tp)) {
        chain = chain.thenCompose(v -> attempt(r, 1))
            .thenRun(() -> done.put(tp, new OffsetAndMetadata(r.offset() + 1)));
      }
      chains.put(tp, chain);
    }
    try {
      CompletableFuture.allOf(chains.values().toArray(CompletableFuture[]::new)).join();
    } catch (CompletionException e) {
      // a partition stopped early (shutting down, or its dead-letter write failed): handled below
    }
    if (mapping.mode() == Mode.SHARED && !done.isEmpty()) {
      consumer.commitSync(done);
    }
    List<TopicPartition> unfinished = new ArrayList<>();
    chains.forEach((tp, chain) -> {
      if (chain.isCompletedExceptionally()) {
        unfinished.add(tp);
        OffsetAndMetadata next = done.get(tp);
        consumer.seek(tp, next != null ? next.offset() : records.records(tp).get(0).offset());
      }
    });
    if (!unfinished.isEmpty() && running) {
      LOG.warn("inbound {}: partitions {} will be retried from their first unfinished record", mapping.topic(), unfinished);
      sleep(retry.maxBackoffMs());
    }
  }

  private CompletableFuture<Void> attempt(ConsumerRecord<String, byte[]> record, int attempt) {
    if (!running) {
      return CompletableFuture.failedFuture(new IllegalStateException("stopping"));
    }
    CompletableFuture<Void> result;
    try {
      result = handler.apply(record).toCompletableFuture();
    } catch (RuntimeException e) {
      result = CompletableFuture.failedFuture(e);
    }
    return result.handle((ok, error) -> {
      if (error == null) {
        metrics.consumed(record.topic(), EnvelopeRecords.header(record.headers(), EnvelopeRecords.HEADER_EVENT_TYPE),
            true);
        return CompletableFuture.<Void>completedFuture(null);
      }
      Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
      if (!running) {
        return CompletableFuture.<Void>failedFuture(new IllegalStateException("stopping"));
      }
      if (cause instanceof PoisonRecordException || attempt >= mapping.maxAttempts()) {
        return deadLetter(record, cause, attempt);
      }
      LOG.debug("inbound {}-{}@{}: attempt {} failed: {}", record.topic(), record.partition(), record.offset(), attempt,
          cause.getMessage());
      return CompletableFuture.runAsync(() -> {}, CompletableFuture.delayedExecutor(backoff(attempt), TimeUnit.MILLISECONDS))
          .thenCompose(v -> attempt(record, attempt + 1));
    }).thenCompose(f -> f);
  }

  long backoff(int attempt) {
    long delay = retry.backoffMs() << Math.min(attempt - 1, 30);
    return Math.min(delay < 0 ? Long.MAX_VALUE : delay, retry.maxBackoffMs());
  }

  private CompletableFuture<Void> deadLetter(ConsumerRecord<String, byte[]> record, Throwable cause, int attempts) {
    metrics.consumed(record.topic(), EnvelopeRecords.header(record.headers(), EnvelopeRecords.HEADER_EVENT_TYPE), false);
    String reason = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    int handled = cause instanceof PoisonRecordException ? attempts - 1 : attempts;
    LOG.warn("inbound {}-{}@{} (event {}) to dead letters after {} attempt(s): {}", record.topic(), record.partition(),
        record.offset(), EnvelopeRecords.header(record.headers(), EnvelopeRecords.HEADER_EVENT_ID), handled, reason);
    CompletableFuture<Void> sent = new CompletableFuture<>();
    producer.send(DeadLetters.of(record, mapping.address(), reason, handled), (metadata, error) -> {
      if (error == null) {
        sent.complete(null);
      } else {
        LOG.error("inbound {}-{}@{}: dead-letter write failed; the record stays uncommitted", record.topic(),
            record.partition(), record.offset(), error);
        sent.completeExceptionally(error);
      }
    });
    return sent;
  }

  private void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void closeQuietly() {
    try {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    } catch (RuntimeException e) {
      LOG.warn("inbound {}: error closing the consumer", mapping.topic(), e);
    }
  }
}
