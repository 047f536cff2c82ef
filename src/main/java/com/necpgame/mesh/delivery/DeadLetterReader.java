package com.necpgame.mesh.delivery;

import com.necpgame.mesh.config.TopicSpec;
import com.necpgame.mesh.kafka.DeadLetters;
import com.necpgame.mesh.kafka.PartitionScan;
import com.necpgame.mesh.kafka.PartitionScan.AtTime;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;

/**
 * Reads the dead letters of a topic ({@code <topic>.dlq}, records written by {@link DeadLetters}) or a dead-letter
 * topic itself (a {@code .dlq} topic, or {@code delivery.dead_letter_topic}, where undeliverable webhook events go),
 * and sends chosen ones back: to the topic they came from, or, for a webhook's dead letter (address
 * {@code subscription:<id>}), to that subscription's delivery queue alone, so its other subscribers do not get the
 * event twice. Blocking: call it off the event loop. Each call uses a consumer of its own, without a group.
 */
public final class DeadLetterReader {

  /** The most dead letters one redrive re-publishes. */
  public static final int MAX_REDRIVE = 10_000;
  
  public static final class NoSuchTopic extends RuntimeException {
    NoSuchTopic(String topic) {
      super("topic " + topic + " does not exist", null, false, false);
    }
  }

  /** A page of dead letters and how many there are in all. */
  public record Page(long total, JsonArray items) {}

  /** A redrive would write a topic the caller may not write: nothing was sent. */
  public static final class Forbidden extends RuntimeException {
    private final String topic;

    Forbidden(String topic) {
      super("may not write " + topic, null, false, false);
      this.topic = topic;
    }

    public String topic() {
      return topic;
    }
  }

  private static final String SUBSCRIPTION = "subscription:";

  private final Supplier<Consumer<String, byte[]>> consumers;
  private final Producer<String, byte[]> producer;
  private final WebhookQueue webhooks;
  private final String deadLetterTopic;
  private final Duration timeout;

  public DeadLetterReader(Supplier<Consumer<String, byte[]>> consumers, Producer<String, byte[]> producer,
      WebhookQueue webhooks, String deadLetterTopic, Duration timeout) {
    this.consumers = consumers;
    this.producer = producer;
    this.webhooks = webhooks;
    this.deadLetterTopic = deadLetterTopic;
    this.timeout = timeout;
  }

  /** Where the dead letters of {@code topic} are: the topic itself when it is a dead-letter topic, else its .dlq. */
  public String dlqOf(String topic) {
    return topic.equals(deadLetterTopic) || topic.endsWith(".dlq") ? topic : TopicSpec.dlqOf(topic);
  }

  /** The subscription a webhook's dead letter was for ({@code dlq.address} {@code subscription:<id>}), or null. */
  public static String subscriptionOf(ConsumerRecord<String, byte[]> r) {
    String address = header(r, DeadLetters.ADDRESS);
    return address != null && address.startsWith(SUBSCRIPTION) ? address.substring(SUBSCRIPTION.length()) : null;
  }

  /**
   * Dead letters of {@code topic} the caller may see ({@code visible}; null: all), ordered by partition, then offset
   * (oldest first within a partition); {@code skip}, {@code limit} and the total count in that order. With a filter
   * every dead letter is read to count those it lets through; without, the count is the offsets' and only the page is
   * read.
   */
  public Page list(String topic, long skip, int limit, Predicate<ConsumerRecord<String, byte[]>> visible) {
    try (Consumer<String, byte[]> c = consumers.get()) {
      Extent dlq = extent(c, dlqOf(topic));
      long total = 0;
      JsonArray items = new JsonArray();
      for (TopicPartition p : dlq.parts()) {
        long begin = dlq.begins().get(p);
        long end = dlq.ends().get(p);
        if (visible == null) {
          long from = begin + Math.max(0, skip - total);
          if (from < end && items.size() < limit) {
            read(c, p, from, end, limit - items.size()).forEach(r -> items.add(describe(r)));
          }
          total += end - begin;
          continue;
        }
        for (long from = begin; from < end; ) {
          List<ConsumerRecord<String, byte[]>> chunk = read(c, p, from, end, 500);
          if (chunk.isEmpty()) {
            break;
          }
          for (ConsumerRecord<String, byte[]> r : chunk.stream().filter(visible).toList()) {
            if (total >= skip && items.size() < limit) {
              items.add(describe(r));
            }
            total++;
          }
          from = chunk.get(chunk.size() - 1).offset() + 1;
        }
      }
      return new Page(total, items);
    }
  }

  /**
   * Sends back the chosen dead letters, those at {@code offsets} ({@code {partition: [offset, ...]}}), or, when null,
   * every one written at or after {@code since}: a webhook's to its subscription's queue, the others re-published to
   * their original topic ({@code dlq.source.topic}) with their key, value and headers but without the {@code dlq.*}
   * ones. Answers {@code {redriven, results, missing}}. Dead letters the caller may not see ({@code visible}) are
   * missing to it, and when one it chose would go back to a topic it may not write ({@code mayWrite}) nothing is sent:
   * {@link Forbidden}.
   */
  public JsonObject redrive(String topic, Map<Integer, List<Long>> offsets, Instant since,
      Predicate<ConsumerRecord<String, byte[]>> visible, Predicate<String> mayWrite) throws Exception {
    String dlq = dlqOf(topic);
    List<ConsumerRecord<String, byte[]>> chosen = new ArrayList<>();
    JsonArray missing = new JsonArray();
    try (Consumer<String, byte[]> c = consumers.get()) {
      Extent extent = extent(c, dlq);
      if (offsets != null) {
        for (Map.Entry<Integer, List<Long>> e : new TreeMap<>(offsets).entrySet()) {
          TopicPartition p = new TopicPartition(dlq, e.getKey());
          for (long offset : e.getValue().stream().distinct().sorted().toList()) {
            List<ConsumerRecord<String, byte[]>> one = extent.holds(p, offset) ? read(c, p, offset, offset + 1, 1)
                : List.of();
            if (one.isEmpty() || one.get(0).offset() != offset || !visible.test(one.get(0))) {
              missing.add(new JsonObject().put("partition", e.getKey()).put("offset", offset));
            } else {
              chosen.add(one.get(0));
            }
          }
        }
      } else {
        Map<TopicPartition, Long> found = PartitionScan.offsets(c, extent.parts(), new AtTime(since.toEpochMilli()),
            timeout);
        for (TopicPartition p : extent.parts()) {
          read(c, p, found.get(p), extent.ends().get(p), MAX_REDRIVE - chosen.size()).stream().filter(visible)
              .forEach(chosen::add);
        }
      }
    }
    List<ProducerRecord<String, byte[]>> copies = new ArrayList<>(); // null for a webhook's: queued instead
    List<WebhookQueue.Message> queued = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> r : chosen) {
      String origin = header(r, DeadLetters.SOURCE_TOPIC);
      String subscription = r.value() == null ? null : subscriptionOf(r);
      if (subscription != null) {
        queued.add(new WebhookQueue.Message(subscription, r.key() != null ? r.key()
            : dlq + "-" + r.partition() + "-" + r.offset(), null, origin == null ? dlq : origin,
            new String(r.value(), StandardCharsets.UTF_8)));
        copies.add(null);
        continue;
      }
      String target = origin == null ? topic : origin;
      if (!mayWrite.test(target)) {
        throw new Forbidden(target); // before anything is sent
      }
      copies.add(KafkaCopies.copy(r, target, h -> !h.startsWith("dlq.")));
    }
    List<Future<RecordMetadata>> sent = copies.stream().map(out -> out == null ? null : producer.send(out)).toList();
    webhooks.enqueue(queued).toCompletionStage().toCompletableFuture()
        .get(timeout.toMillis() * 3, TimeUnit.MILLISECONDS);
    JsonArray results = new JsonArray();
    long deadline = System.nanoTime() + timeout.toNanos() * 3;
    for (int i = 0; i < chosen.size(); i++) {
      JsonObject result = new JsonObject().put("partition", chosen.get(i).partition())
          .put("offset", chosen.get(i).offset());
      if (sent.get(i) == null) {
        result.put("subscription", subscriptionOf(chosen.get(i)));
      } else {
        RecordMetadata m = sent.get(i).get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        result.put("topic", m.topic()).put("new_partition", m.partition()).put("new_offset", m.offset());
      }
      results.add(result);
    }
    return new JsonObject().put("redriven", chosen.size()).put("results", results).put("missing", missing);
  }

  /** A dead-letter topic's partitions, each with its first and end offsets. */
  private record Extent(List<TopicPartition> parts, Map<TopicPartition, Long> begins, Map<TopicPartition, Long> ends) {
    boolean holds(TopicPartition p, long offset) {
      return ends.containsKey(p) && offset >= begins.get(p) && offset < ends.get(p);
    }
  }

  private Extent extent(Consumer<String, byte[]> c, String dlq) {
    List<TopicPartition> parts = PartitionScan.partitionsOf(c, dlq::equals, timeout);
    if (parts.isEmpty()) {
      throw new NoSuchTopic(dlq);
    }
    return new Extent(parts, c.beginningOffsets(parts, timeout), c.endOffsets(parts, timeout));
  }

  /** Up to {@code max} records of one partition from {@code from} until {@code end} (exclusive). */
  private List<ConsumerRecord<String, byte[]>> read(Consumer<String, byte[]> c, TopicPartition p, long from, long end,
      int max) {
    List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
    PartitionScan.between(c, Map.of(p, from), Map.of(p, end)).readWhile(timeout, () -> out.size() < max, r -> {
      if (out.size() < max) {
        out.add(r);
      }
    });
    return out;
  }

  /**
   * {@code {partition, offset, timestamp, key, reason, source_topic, source_partition, source_offset, attempts, address,
   * failed_at, headers, envelope}}; a value that is not a JSON object is given as text in {@code value} instead.
   */
  static JsonObject describe(ConsumerRecord<String, byte[]> r) {
    JsonObject headers = new JsonObject();
    for (Header h : r.headers()) {
      if (!h.key().startsWith("dlq.")) {
        headers.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
      }
    }
    JsonObject out = new JsonObject().put("partition", r.partition()).put("offset", r.offset())
        .put("timestamp", Instant.ofEpochMilli(r.timestamp()).toString()).put("key", r.key())
        .put("reason", header(r, DeadLetters.REASON)).put("source_topic", header(r, DeadLetters.SOURCE_TOPIC))
        .put("source_partition", number(header(r, DeadLetters.SOURCE_PARTITION)))
        .put("source_offset", number(header(r, DeadLetters.SOURCE_OFFSET)))
        .put("attempts", number(header(r, DeadLetters.ATTEMPTS))).put("address", header(r, DeadLetters.ADDRESS))
        .put("failed_at", header(r, DeadLetters.FAILED_AT)).put("headers", headers);
    String text = r.value() == null ? null : new String(r.value(), StandardCharsets.UTF_8);
    try {
      out.put("envelope", new JsonObject(text));
    } catch (RuntimeException e) {
      out.putNull("envelope").put("value", text);
    }
    return out;
  }

  private static String header(ConsumerRecord<String, byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static Long number(String text) {
    try {
      return text == null ? null : Long.parseLong(text);
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
