package com.necpgame.mesh.kafka;

import com.necpgame.mesh.config.TopicSpec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;

/**
 * A record that could not be handled, copied to {@code <topic>.dlq} with its key, value and headers unchanged and
 * headers saying why, where from and after how many attempts.
 */
public final class DeadLetters {

  public static final String REASON = "dlq.reason";
  public static final String SOURCE_TOPIC = "dlq.source.topic";
  public static final String SOURCE_PARTITION = "dlq.source.partition";
  public static final String SOURCE_OFFSET = "dlq.source.offset";
  public static final String ATTEMPTS = "dlq.attempts";
  public static final String ADDRESS = "dlq.address";
  public static final String FAILED_AT = "dlq.failed_at";

  private DeadLetters() {}

  public static ProducerRecord<String, byte[]> of(ConsumerRecord<String, byte[]> source, String address, String reason,
      int attempts) {
    ProducerRecord<String, byte[]> dead =
        new ProducerRecord<>(TopicSpec.dlqOf(source.topic()), null, source.key(), source.value());
    for (Header h : source.headers()) {
      if (!h.key().startsWith("dlq.")) {
        dead.headers().add(h);
      }
    }
    add(dead, SOURCE_PARTITION, String.valueOf(source.partition()));
    add(dead, SOURCE_OFFSET, String.valueOf(source.offset()));
    return why(dead, source.topic(), address, reason, attempts);
  }

  /**
   * An event that could not be delivered to {@code address} (a subscription), to the dead-letter topic {@code dlq},
   * keyed by its event id.
   */
  public static ProducerRecord<String, byte[]> undelivered(String dlq, String sourceTopic, String eventId, byte[] value,
      String address, String reason, int attempts) {
    ProducerRecord<String, byte[]> dead = new ProducerRecord<>(dlq, null, eventId, value);
    add(dead, EnvelopeRecords.HEADER_EVENT_ID, eventId);
    return why(dead, sourceTopic, address, reason, attempts);
  }

  private static ProducerRecord<String, byte[]> why(ProducerRecord<String, byte[]> dead, String sourceTopic,
      String address, String reason, int attempts) {
    add(dead, REASON, reason);
    add(dead, SOURCE_TOPIC, sourceTopic);
    add(dead, ATTEMPTS, String.valueOf(attempts));
    add(dead, ADDRESS, address);
    add(dead, FAILED_AT, Instant.now().toString());
    return dead;
  }

  private static void add(ProducerRecord<String, byte[]> record, String name, String value) {
    record.headers().add(name, value.getBytes(StandardCharsets.UTF_8));
  }
}
