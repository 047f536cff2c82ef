package com.necpgame.mesh.delivery;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Replays into a Kafka topic: key, value and headers unchanged, plus {@code replay.id} and where the record was read
 * ({@code replay.source.topic/partition/offset}), through the process's shared producer. Replayed into a kafka
 * subscription's topic, each record also carries the subscription's {@code subscription_id} header, as its live
 * copies do, so the delivery router never routes it again.
 */
public final class TopicTarget implements ReplayTarget {

  private final Producer<String, byte[]> producer;
  private final String topic;
  private final long timeoutMs;
  private final String subscription;

  /** Into the topic of kafka subscription {@code subscription} (null: a plain topic target). */
  public TopicTarget(Producer<String, byte[]> producer, String topic, long timeoutMs, String subscription) {
    this.producer = producer;
    this.topic = topic;
    this.timeoutMs = timeoutMs;
    this.subscription = subscription;
  }

  @Override
  public void deliver(String replayId, List<ConsumerRecord<String, byte[]>> batch) throws Exception {
    List<Future<?>> sent = new ArrayList<>(batch.size());
    for (ConsumerRecord<String, byte[]> record : batch) {
      ProducerRecord<String, byte[]> out = KafkaCopies.copy(record, topic, h -> !h.startsWith("replay.")
          && !(subscription != null && h.equals(DeliveryRouter.HEADER_SUBSCRIPTION)));
      add(out, HEADER_REPLAY_ID, replayId);
      add(out, HEADER_SOURCE_TOPIC, record.topic());
      add(out, HEADER_SOURCE_PARTITION, String.valueOf(record.partition()));
      add(out, HEADER_SOURCE_OFFSET, String.valueOf(record.offset()));
      if (subscription != null) {
        add(out, DeliveryRouter.HEADER_SUBSCRIPTION, subscription);
      }
      sent.add(producer.send(out));
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    for (Future<?> f : sent) {
      f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }
  }

  private static void add(ProducerRecord<String, byte[]> record, String name, String value) {
    record.headers().add(name, value.getBytes(StandardCharsets.UTF_8));
  }
}
