package com.necpgame.mesh.store;

import com.necpgame.mesh.MeshMetrics;
import com.necpgame.mesh.kafka.ConsumerLoop;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds the event store from Kafka in its own consumer group (a {@link ConsumerLoop}), off the publish path: each
 * poll becomes one batched insert, and offsets are committed only after PostgreSQL took the batch. While the database
 * is down the same records are retried (after a pause) and nothing is committed, so the store catches up when it
 * returns.
 */
public final class StoreWriter implements ConsumerLoop.Handler {

  private static final Logger LOG = LoggerFactory.getLogger(StoreWriter.class);

  private final EventStore store;
  private final MeshMetrics metrics;

  public StoreWriter(EventStore store, MeshMetrics metrics) {
    this.store = store;
    this.metrics = metrics;
  }

  @Override
  public void handle(ConsumerRecords<String, byte[]> records) throws Exception {
    List<EventRow> rows = new ArrayList<>(records.count());
    for (ConsumerRecord<String, byte[]> r : records) {
      EventRow.of(r).ifPresent(rows::add);
    }
    long started = System.nanoTime();
    store.record(rows).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    metrics.storeWrite(Duration.ofNanos(System.nanoTime() - started));
    rows.forEach(r -> metrics.consumed(r.topic(), r.eventType(), true));
    if (rows.size() < records.count()) {
      LOG.debug("event store: {} record(s) were not envelopes and are not indexed", records.count() - rows.size());
    }
  }
}
