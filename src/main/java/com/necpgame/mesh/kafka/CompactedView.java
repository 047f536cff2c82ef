package com.necpgame.mesh.kafka;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows a compacted state topic on every process (no group, every partition, from the beginning) and hands each
 * committed record to a handler on its own thread: how a process answers reads about state another process owns.
 */
public final class CompactedView implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(CompactedView.class);

  private final KafkaClients kafka;
  private final String topic;
  private final Consumer<ConsumerRecord<String, byte[]>> handler;
  private volatile boolean running = true;
  private volatile KafkaConsumer<String, byte[]> consumer;
  private final CompletableFuture<Void> caughtUp = new CompletableFuture<>();
  private Thread thread;

  public CompactedView(KafkaClients kafka, String topic, Consumer<ConsumerRecord<String, byte[]>> handler) {
    this.kafka = kafka;
    this.topic = topic;
    this.handler = handler;
  }

  public CompactedView start() {
    thread = new Thread(this::run, "view-" + topic);
    thread.setDaemon(true);
    thread.start();
    return this;
  }

  private void run() {
    try (KafkaConsumer<String, byte[]> c = kafka.consumer("view-" + topic, null, "earliest")) {
      consumer = c;
      List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofMillis(kafka.config().requestTimeoutMs()))
          .stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> ends = c.endOffsets(parts);
      while (running) {
        if (!caughtUp.isDone() && parts.stream().allMatch(p -> c.position(p) >= ends.get(p))) {
          caughtUp.complete(null);
        }
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofSeconds(1))) {
          try {
            handler.accept(r);
          } catch (RuntimeException e) {
            LOG.warn("view of {}: record {} at {}-{}/{} not understood: {}", topic, r.key(), r.topic(), r.partition(),
                r.offset(), e.toString());
          }
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (RuntimeException e) {
      LOG.error("view of {} stopped", topic, e);
    }
  }

  /** Completes once every record the topic held at start was handed to the handler. */
  public CompletableFuture<Void> caughtUp() {
    return caughtUp;
  }

  @Override
  public void close() {
    running = false;
    ConsumerThreads.stop(thread, 10_000, consumer);
  }
}
