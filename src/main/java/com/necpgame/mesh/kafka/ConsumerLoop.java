package com.necpgame.mesh.kafka;

import com.necpgame.mesh.MeshMetrics;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
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
 * A consumer group member on a thread of its own that hands each poll to a {@link Handler} and commits the batch only
 * when the handler returned: when it threw, the same records are read again after {@code retryPause}, so what is done
 * with them happens at least once and nothing is skipped.
 */
public final class ConsumerLoop {

  /** Does the batch's work, durably, before returning. */
  public interface Handler {
    void handle(ConsumerRecords<String, byte[]> records) throws Exception;
  }

  private static final Logger LOG = LoggerFactory.getLogger(ConsumerLoop.class);
  private static final Duration POLL = Duration.ofMillis(200);

  private final String name;
  private final Consumer<String, byte[]> consumer;
  private final Pattern topics;
  private final Duration retryPause;
  private final MeshMetrics metrics;
  private final Handler handler;
  private final Thread thread;
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  private volatile boolean running = true;

  public ConsumerLoop(String name, Consumer<String, byte[]> consumer, Pattern topics, Duration retryPause,
      MeshMetrics metrics, Handler handler) {
    this.name = name;
    this.consumer = consumer;
    this.topics = topics;
    this.retryPause = retryPause;
    this.metrics = metrics;
    this.handler = handler;
    this.thread = new Thread(this::run, "mesh-" + name);
    this.thread.setDaemon(true);
  }

  public void start() {
    thread.start();
  }

  /** Stops after the batch in hand; completes once the consumer is closed. */
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
          handle(records);
        }
      }
    } catch (RuntimeException e) {
      LOG.error("{} stopped by an error", name, e);
    } finally {
      try {
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
      } catch (RuntimeException e) {
        LOG.warn("{}: error closing the consumer", name, e);
      }
      metrics.workerStopped();
      stopped.complete(null);
    }
  }

  private void handle(ConsumerRecords<String, byte[]> records) {
    try {
      handler.handle(records);
    } catch (Exception e) {
      LOG.warn("{}: a batch of {} failed ({}); reading it again in {} ms", name, records.count(), e.toString(),
          retryPause.toMillis());
      for (TopicPartition tp : records.partitions()) {
        consumer.seek(tp, records.records(tp).get(0).offset());
      }
      try {
        Thread.sleep(retryPause.toMillis());
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
      }
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
    for (TopicPartition tp : records.partitions()) {
      List<ConsumerRecord<String, byte[]>> part = records.records(tp);
      next.put(tp, new OffsetAndMetadata(part.get(part.size() - 1).offset() + 1));
    }
    consumer.commitSync(next);
  }
}
