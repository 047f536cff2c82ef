package com.necpgame.mesh.store;

import com.necpgame.mesh.MeshMetrics;
import com.necpgame.mesh.kafka.GroupConsumer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds the event store from Kafka off the publish path, as a {@link GroupConsumer} in batch mode (retries, probe and
 * commits as it says): each poll becomes one batched insert.
 */
public final class StoreWriter implements GroupConsumer.Handler {

  private static final Logger LOG = LoggerFactory.getLogger(StoreWriter.class);

  private final EventStore store;
  private final MeshMetrics metrics;

  public StoreWriter(EventStore store, MeshMetrics metrics) {
    this.store = store;
    this.metrics = metrics;
  }

  @Override
  public CompletionStage<Void> handle(List<ConsumerRecord<String, byte[]>> records) {
    List<EventRow> rows = new ArrayList<>(records.size());
    for (ConsumerRecord<String, byte[]> r : records) {
      EventRow.of(r).ifPresent(rows::add);
    }
    long started = System.nanoTime();
    return store.record(rows).timeout(30, java.util.concurrent.TimeUnit.SECONDS).<Void>map(v -> {
      metrics.storeWrite(Duration.ofNanos(System.nanoTime() - started));
      rows.forEach(r -> metrics.consumed(r.topic(), r.eventType(), true));
      if (rows.size() < records.size()) {
        LOG.debug("event store: {} record(s) were not envelopes and are not indexed", records.size() - rows.size());
      }
      return null;
    }).toCompletionStage();
  }
}
