package com.necpgame.mesh.store;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.kafka.ConsumerLoop;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Wires the event store writer: its consumer group, the topics it indexes, the shared pool. */
public final class EventStoreVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(EventStoreVerticle.class);

  private final MeshContext mesh;
  private ConsumerLoop writer;

  public EventStoreVerticle(MeshContext mesh) {
    this.mesh = mesh;
  }

  @Override
  public Future<?> start() {
    MeshConfig.Store config = mesh.config().store();
    // A pattern subscription sees new topics at each metadata refresh: every few seconds, not Kafka's 5 minutes.
    var consumer = mesh.kafka().consumer("store", config.group(), "earliest",
        java.util.Map.of("metadata.max.age.ms", 5000));
    writer = new ConsumerLoop("store-writer", consumer, config.topics(), Duration.ofMillis(config.retryPauseMs()),
        mesh.metrics(), new StoreWriter(new EventStore(mesh.pool()), mesh.metrics()));
    writer.start();
    LOG.info("event store writer consuming /{}/ as group {}", config.topics(), config.group());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    return writer == null ? Future.succeededFuture() : Future.fromCompletionStage(writer.stop());
  }
}
