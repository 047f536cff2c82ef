package com.necpgame.mesh.store;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.kafka.GroupConsumer;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Wires the {@link StoreWriter}: its consumer group, the topics it indexes, the shared pool, the database probe. */
public final class EventStoreVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(EventStoreVerticle.class);

  private final MeshContext mesh;
  private GroupConsumer writer;

  public EventStoreVerticle(MeshContext mesh) {
    this.mesh = mesh;
  }

  @Override
  public Future<?> start() {
    MeshConfig.Store config = mesh.config().store();
    // A pattern subscription sees new topics at each metadata refresh: every few seconds, not Kafka's 5 minutes.
    writer = new GroupConsumer("store-writer",
        () -> mesh.kafka().consumer("store", config.group(), "earliest", Map.of("metadata.max.age.ms", 5000)),
        GroupConsumer.Source.pattern(config.topics()),
        GroupConsumer.Policy.batches(Duration.ofMillis(config.retryPauseMs()),
            () -> Database.ping(mesh.pool()).toCompletionStage(), "store"),
        mesh.producer(), mesh.metrics(), new StoreWriter(new EventStore(mesh.pool()), mesh.metrics())).start();
    return Future.fromCompletionStage(writer.ready(), context).onSuccess(v ->
        LOG.info("event store writer consuming /{}/ as group {}", config.topics(), config.group()));
  }

  @Override
  public Future<?> stop() {
    return writer == null ? Future.succeededFuture() : Future.fromCompletionStage(writer.stop(), context);
  }
}
