package com.necpgame.mesh.delivery;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.kafka.GroupConsumer;
import com.necpgame.mesh.kafka.TopicProvisioner;
import com.necpgame.mesh.security.StandingRights;
import com.necpgame.mesh.store.Database;
import com.necpgame.mesh.store.EventStatus;
import com.necpgame.mesh.store.SubscriptionRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires delivery to subscriptions: the router in the consumer group shared over the delivered topics, and this
 * process's webhook dispatcher.
 */
public final class DeliveryVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(DeliveryVerticle.class);
  /** Records the router takes per poll: one queue insert and one commit each. */
  private static final int ROUTER_POLL = 5000;

  private final MeshContext mesh;
  private GroupConsumer router;
  private WebhookDispatcher webhooks;

  public DeliveryVerticle(MeshContext mesh) {
    this.mesh = mesh;
  }

  @Override
  public Future<?> start() {
    MeshConfig.Delivery config = mesh.config().delivery();
    Duration timeout = Duration.ofMillis(mesh.config().kafka().requestTimeoutMs());
    // A new group starts at the beginning (nothing before it is skipped); after that its commits say where it is.
    SubscriptionRegistry registry = new SubscriptionRegistry(mesh.pool(), mesh.secrets());
    WebhookQueue queue = new WebhookQueue(mesh.pool());
    OwnerRights rights = new OwnerRights(registry, StandingRights.of(mesh.config()));
    DeliveryRouter routing = new DeliveryRouter(mesh.producer(), copies(registry), mesh.metrics(),
        new TopicProvisioner(mesh.admin(), mesh.config().topics().defaultReplicationFactor(), timeout), rights,
        queue, new EventStatus(mesh.pool()), Duration.ofMillis(config.refreshMs()), config.webhookBatch());
    router = new GroupConsumer("delivery-router", () -> mesh.kafka().consumer("delivery", config.group(), "earliest",
        Map.of("metadata.max.age.ms", mesh.kafka().patternMetadataMaxAgeMs(), "max.poll.records", ROUTER_POLL)),
        GroupConsumer.Source.pattern(config.topics()),
        GroupConsumer.Policy.batches(Duration.ofMillis(config.retryPauseMs()),
            Database.probe(mesh.pool()), "delivery"),
        mesh.producer(), mesh.metrics(), GroupConsumer.Handler.blocking(routing)).start();
    webhooks = new WebhookDispatcher(vertx, queue, registry, rights, mesh.producer(), config, mesh.metrics());
    webhooks.start();
    return Future.all(Future.fromCompletionStage(router.ready(), context), AckSweeper.start(vertx, mesh)).onSuccess(v ->
        LOG.info("delivery consuming /{}/ as group {}", config.topics(), config.group()));
  }

  /** {@link KafkaCopies} that wait a little past the producer's delivery timeout and record pauses in the registry. */
  private KafkaCopies copies(SubscriptionRegistry registry) {
    MeshConfig.Delivery config = mesh.config().delivery();
    return new KafkaCopies(mesh.producer(), config.deadLetterTopic(), config.kafkaCopyAttempts(),
        Duration.ofMillis(config.retryPauseMs()),
        Duration.ofMillis(mesh.config().kafka().producer().deliveryTimeoutMs() + 5_000L),
        (id, reason) -> registry.pause(id, reason).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS),
        (id, permanent, events) -> mesh.metrics().subscriptionPaused(permanent ? "permanent" : "retries_exhausted",
            events));
  }

  @Override
  public Future<?> stop() {
    return Future.join(router == null ? Future.succeededFuture() : Future.fromCompletionStage(router.stop(), context),
        webhooks == null ? Future.succeededFuture() : webhooks.stop(),
        AckSweeper.stop(vertx, mesh));
  }
}
