package com.necpgame.mesh.store;

import com.necpgame.mesh.MeshMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds the event store from Kafka in its own consumer group, off the publish path: each poll becomes one batched
 * insert, and offsets are committed only after PostgreSQL took the batch. While the database is down the same
 * records are retried (after a pause) and nothing is committed, so the store catches up when it returns.
 */
public final class StoreWriter {

  private static final Logger LOG = LoggerFactory.getLogger(StoreWriter.class);
  private static final Duration POLL = Duration.ofMillis(200);

  private final Consumer<String, byte[]> consumer;
  private final MeshMetrics metrics;
  private final Pattern topics;
  private final EventStore store;
  private final Duration retryPause;
  private final Thread thread;
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  private volatile boolean running = true;

  public StoreWriter(Consumer<String, byte[]> consumer, Pattern topics, EventStore store, Duration retryPause,
      MeshMetrics metrics) {
    this.consumer = consumer;
    this.metrics = metrics;
    this.topics = topics;
    this.store = store;
    this.retryPause = retryPause;
    this.thread = new Thread(this::run, "mesh-store-writer");
    this.thread.setDaemon(true);
  }

  public void start() {
    thread.start();
  }

  public CompletionStage<Void> stop() {
    running = false;
    return stopped;
  }

  private void run() {
    metrics.workerStarted();
    try {
      consumer.subscribe(topics);
      while (running) {
        ConsumerRecords<String, byte[]> records = consumer.poll(POLL);
        if (!records.isEmpty()) {
          write(records);
        }
      }
    } catch (RuntimeException e) {
      LOG.error("event store writer stopped by an error", e);
    } finally {
      try {
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
      } catch (RuntimeException e) {
        LOG.warn("event store writer: error closing the consumer", e);
      }
      metrics.workerStopped();
      stopped.complete(null);
    }
  }

  private void write(ConsumerRecords<String, byte[]> records) {
    List<EventRow> rows = new ArrayList<>(records.count());
    Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
    int skipped = 0;
    for (ConsumerRecord<String, byte[]> r : records) {
      var row = EventRow.of(r);
      if (row.isPresent()) {
        rows.add(row.get());
      } else {
        skipped++;
      }
      next.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
    }
    long started = System.nanoTime();
    try {
      store.record(rows).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      metrics.storeWrite(Duration.ofNanos(System.nanoTime() - started));
    } catch (Exception e) {
      LOG.warn("event store: a batch of {} could not be written ({}); retrying in {} ms", rows.size(), e.toString(),
          retryPause.toMillis());
      for (TopicPartition tp : records.partitions()) {
        consumer.seek(tp, records.records(tp).get(0).offset());
      }
      sleep(retryPause.toMillis());
      return;
    }
    rows.forEach(r -> metrics.consumed(r.topic(), r.eventType(), true));
    if (skipped > 0) {
      LOG.debug("event store: {} record(s) were not envelopes and are not indexed", skipped);
    }
    consumer.commitSync(next);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
