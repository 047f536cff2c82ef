package com.necpgame.mesh.store;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.kafka.GroupConsumer;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.config.ConfigResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the {@link StoreWriter}: its consumer group, the topics it indexes, the shared pool, the database probe; and
 * the {@link PartitionMaintenance} of the store's day partitions, at start and every {@code store.maintenance_ms}.
 */
public final class EventStoreVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(EventStoreVerticle.class);

  private final MeshContext mesh;
  private GroupConsumer writer;
  private PartitionMaintenance maintenance;
  private long timer;

  public EventStoreVerticle(MeshContext mesh) {
    this.mesh = mesh;
  }

  @Override
  public Future<?> start() {
    MeshConfig.Store config = mesh.config().store();
    // A pattern subscription sees new topics at each metadata refresh: every few seconds, not Kafka's 5 minutes.
    writer = new GroupConsumer("store-writer", () -> mesh.kafka().consumer("store", config.group(), "earliest",
        Map.of("metadata.max.age.ms", mesh.kafka().patternMetadataMaxAgeMs())),
        GroupConsumer.Source.pattern(config.topics()),
        GroupConsumer.Policy.batches(Duration.ofMillis(config.retryPauseMs()),
            Database.probe(mesh.pool()), "store"),
        mesh.producer(), mesh.metrics(), new StoreWriter(new EventStore(mesh.pool()), mesh.metrics())).start();
    maintenance = new PartitionMaintenance(mesh.pool());
    maintain();
    timer = vertx.setPeriodic(config.maintenanceMs(), id -> maintain());
    return Future.fromCompletionStage(writer.ready(), context).onSuccess(v ->
        LOG.info("event store writer consuming /{}/ as group {}", config.topics(), config.group()));
  }

  /** One maintenance run of the day partitions (one process at a time: PartitionMaintenance). */
  private void maintain() {
    Instant now = Instant.now();
    retention().compose(retention -> maintenance.run(now, retention).compose(outcome -> {
      if (!outcome.created().isEmpty() || !outcome.dropped().isEmpty() || outcome.defaultRowsDeleted() > 0) {
        LOG.info("event store partitions: created {}, dropped {}, {} old row(s) of the default partitions deleted",
            outcome.created(), outcome.dropped(), outcome.defaultRowsDeleted());
      }
      // the subscription states of the events dropped, by the same rule, by the process that maintained
      return !outcome.ran() || retention.isEmpty() ? Future.succeededFuture()
          : maintenance.pruneStates(now, retention.get()).onSuccess(pruned -> {
            if (pruned > 0) {
              LOG.info("event store: {} subscription state row(s) past the retention deleted", pruned);
            }
          }).mapEmpty();
    })).onFailure(e -> LOG.warn("event store partition maintenance failed (tried again in {} ms): {}",
        mesh.config().store().maintenanceMs(), e.toString()));
  }

  /**
   * {@code store.retention_hours}, or when 0 the longest {@code retention.ms} of the topics the store indexes (a day
   * partition holds events of every topic); empty (nothing dropped) when one of them keeps events for ever, when there
   * is none, or when Kafka did not answer.
   */
  private Future<Optional<Duration>> retention() {
    MeshConfig.Store config = mesh.config().store();
    if (config.retentionHours() > 0) {
      return Future.succeededFuture(Optional.of(Duration.ofHours(config.retentionHours())));
    }
    long timeout = mesh.config().kafka().requestTimeoutMs();
    return vertx.<Optional<Duration>>executeBlocking(() -> {
      List<ConfigResource> topics = mesh.admin().listTopics().names().get(timeout, TimeUnit.MILLISECONDS).stream()
          .filter(t -> config.topics().matcher(t).matches())
          .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
      long longest = -2;
      for (var c : mesh.admin().describeConfigs(topics).all().get(timeout, TimeUnit.MILLISECONDS).values()) {
        var entry = c.get("retention.ms");
        long ms = entry == null || entry.value() == null ? -1 : Long.parseLong(entry.value());
        longest = ms < 0 || longest == -1 ? -1 : Math.max(longest, ms);
      }
      return longest < 0 ? Optional.<Duration>empty() : Optional.of(Duration.ofMillis(longest));
    }, false).otherwise(e -> {
      LOG.warn("event store retention: Kafka's topic retention could not be read, nothing dropped this time: {}",
          e.toString());
      return Optional.empty();
    });
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return writer == null ? Future.succeededFuture() : Future.fromCompletionStage(writer.stop(), context);
  }
}
