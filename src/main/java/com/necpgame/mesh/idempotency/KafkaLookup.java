package com.necpgame.mesh.idempotency;

import com.necpgame.mesh.kafka.EnvelopeRecords;
import com.necpgame.mesh.kafka.PartitionScan;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Whether an event id is in a topic: every partition read from a time (the key's claim, less a margin for clocks and
 * CreateTime) to the end offsets of when the look-up starts, matching the {@code event_id} header without decoding the
 * value. Blocking: runs on a worker thread with a consumer of its own (no group).
 */
public final class KafkaLookup {

  /**
   * Read this far before the claim: the record's timestamp is the producer's clock, the claim's the database's.
   */
  public static final Duration CLOCK_MARGIN = Duration.ofSeconds(60);

  /** Where the event was found. */
  public record Found(int partition, long offset) {}

  private KafkaLookup() {}

  /**
   * The partition and offset of the first record of {@code topic} whose {@code event_id} header is {@code eventId},
   * from {@code sinceMillis} less {@link #CLOCK_MARGIN} to the end; null when the topic holds none.
   *
   * @throws PartitionScan.Timeout when the read takes longer than {@code within} (nothing is proven then)
   */
  public static Found find(Consumer<String, byte[]> consumer, String topic, String eventId, long sinceMillis,
      Duration within) {
    List<TopicPartition> parts = PartitionScan.partitionsOf(consumer, topic, within);
    if (parts.isEmpty()) {
      return null;
    }
    PartitionScan<String, byte[]> scan = PartitionScan.open(consumer, parts,
        new PartitionScan.AtTime(sinceMillis - CLOCK_MARGIN.toMillis()), PartitionScan.END, within);
    AtomicReference<Found> found = new AtomicReference<>();
    scan.readWhile(within, () -> found.get() == null, (ConsumerRecord<String, byte[]> r) -> {
      if (found.get() == null && eventId.equals(EnvelopeRecords.header(r.headers(), EnvelopeRecords.HEADER_EVENT_ID))) {
        found.set(new Found(r.partition(), r.offset()));
      }
    });
    return found.get();
  }
}
