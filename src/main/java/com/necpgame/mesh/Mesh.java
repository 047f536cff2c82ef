package com.necpgame.mesh;

import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.config.MeshConfig.VerticleSpec;
import com.necpgame.mesh.config.TopicSpec;
import com.necpgame.mesh.envelope.EnvelopeValidator;
import com.necpgame.mesh.kafka.EmbeddedBroker;
import com.necpgame.mesh.kafka.KafkaClients;
import com.necpgame.mesh.kafka.KafkaConnectionCheck;
import com.necpgame.mesh.kafka.TopicInspector;
import com.necpgame.mesh.kafka.TopicProvisioner;
import com.necpgame.mesh.store.Database;
import com.necpgame.mesh.store.EmbeddedDatabase;
import com.necpgame.mesh.store.Migrations;
import com.necpgame.mesh.store.SecretBox;
import com.necpgame.mesh.store.SecretKeys;
import com.necpgame.mesh.store.SecretRotation;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running mesh process: its embedded broker and database when none are configured, Vert.x, the shared Kafka
 * clients and pool, the topics and schema, and the verticles the config enables. {@link #close()} undoes all of it in
 * reverse order, flushing the producer first.
 */
public final class Mesh implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Mesh.class);

  private final MeshConfig config;
  private EmbeddedBroker broker;
  private EmbeddedDatabase database;
  private Vertx vertx;
  private Producer<String, byte[]> producer;
  private Admin admin;
  private Pool pool;
  private MeshContext context;
  private final List<String> deployments = new ArrayList<>();

  private Mesh(MeshConfig config) {
    this.config = config;
  }

  /** Starts everything, or stops what was started and rethrows. */
  public static Mesh start(MeshConfig config) throws Exception {
    Mesh mesh = new Mesh(config);
    try {
      mesh.open();
    } catch (Throwable e) {
      mesh.close();
      throw e;
    }
    return mesh;
  }

  private void open() throws Exception {
    long started = System.nanoTime();
    // The embedded broker and database start side by side: each takes seconds.
    CompletableFuture<EmbeddedDatabase> db = config.database().useEmbedded()
        ? CompletableFuture.supplyAsync(this::startEmbeddedDatabase) : CompletableFuture.completedFuture(null);
    try {
      if (config.kafka().useEmbedded()) {
        broker = EmbeddedBroker.start(config.kafka().embedded());
      }
    } finally {
      database = join(db);
    }
    String bootstrap = broker != null ? broker.bootstrapServers() : config.kafka().bootstrapServers();
    KafkaClients kafka = new KafkaClients(config.kafka(), bootstrap, config.nodeId());
    admin = KafkaConnectionCheck.connect(kafka); // a refused client stops start-up here, saying which setting
    producer = kafka.producer("producer");
    if (config.topics().createOnStart()) {
      new TopicProvisioner(admin, config.topics().defaultReplicationFactor(),
          Duration.ofMillis(config.kafka().requestTimeoutMs()))
          .ensure(TopicProvisioner.withDeadLetters(TopicSpec.load(config.topics().file())));
    }

    vertx = Vertx.builder().with(new VertxOptions().setPreferNativeTransport(config.http().nativeTransport())).build();
    LOG.info("network transport: {}",
        ((VertxInternal) vertx).isNativeTransportEnabled() ? "native (epoll)" : "Java NIO");
    PgConnectOptions pg = database != null ? database.connectOptions() : PgConnectOptions.fromUri(config.database().url());
    pool = Database.pool(vertx, pg, config.database().poolSize());
    List<String> applied = Migrations.run(pool).toCompletionStage().toCompletableFuture()
        .get(60, TimeUnit.SECONDS);
    if (!applied.isEmpty()) {
      LOG.info("applied database migrations {}", applied);
    }
    SecretBox secrets = SecretKeys.load(config);
    int resealed = SecretRotation.run(pool, secrets).toCompletionStage().toCompletableFuture()
        .get(60, TimeUnit.SECONDS);
    if (resealed > 0) {
      LOG.info("encrypted the webhook secrets of {} subscriptions with key {}", resealed, secrets.activeKey());
    }
    context = new MeshContext(config, kafka, producer, admin, pool, EnvelopeValidator.load(config.schemasDir()),
        new MeshMetrics(), secrets);

    watchConsumerLag();
    for (Verticles v : Verticles.values()) {
      VerticleSpec spec = config.verticles().get(v.key());
      if (spec.enabled()) {
        deployments.add(vertx.deployVerticle(() -> v.create(context),
            new DeploymentOptions().setInstances(spec.instances())).toCompletionStage().toCompletableFuture()
            .get(60, TimeUnit.SECONDS));
        LOG.info("deployed {} x{}", v.key(), spec.instances());
      }
    }
    LOG.info("mesh {} ready in {} ms (Kafka {}, PostgreSQL {})", config.nodeId(),
        (System.nanoTime() - started) / 1_000_000, bootstrap,
        database != null ? "embedded on port " + database.port() : "external");
  }

  /**
   * Measures, every {@code metrics.consumer_lag_interval_ms} on a worker, how many brokers answer and the lag of the
   * mesh's consumer groups.
   */
  private void watchConsumerLag() {
    long every = config.metrics().consumerLagIntervalMs();
    if (every == 0) {
      return;
    }
    TopicInspector inspector = new TopicInspector(admin, Duration.ofMillis(config.kafka().requestTimeoutMs()));
    String prefix = config.kafka().consumer().groupPrefix();
    AtomicBoolean busy = new AtomicBoolean();
    vertx.setPeriodic(0, every, id -> {
      if (busy.compareAndSet(false, true)) {
        vertx.executeBlocking(() -> {
          try {
            context.metrics().kafkaBrokers(inspector.brokers());
          } catch (Exception e) {
            context.metrics().kafkaBrokers(0);
            throw e;
          }
          return inspector.groupLag(prefix);
        }, false)
            .onSuccess(context.metrics()::consumerLag)
            .onFailure(e -> LOG.debug("Kafka not measured: {}", e.toString()))
            .onComplete(ar -> busy.set(false));
      }
    });
  }

  private EmbeddedDatabase startEmbeddedDatabase() {
    try {
      return EmbeddedDatabase.start(config.database().embedded().dir(), config.database().embedded().port());
    } catch (Exception e) {
      throw new IllegalStateException("embedded PostgreSQL did not start: " + e.getMessage(), e);
    }
  }

  private static <T> T join(CompletableFuture<T> future) throws Exception {
    try {
      return future.join();
    } catch (java.util.concurrent.CompletionException e) {
      throw e.getCause() instanceof Exception ex ? ex : e;
    }
  }

  public MeshContext context() {
    return context;
  }

  public Vertx vertx() {
    return vertx;
  }

  /**
   * The graceful stop (SIGTERM): {@code /ready} answers 503 at once, the process serves on for
   * {@code shutdown.ready_delay_ms}, then {@link #close()} stops accepting, drains in-flight publishes, commits and
   * closes. True when all of it finished within {@code shutdown.grace_ms}; false when the rest was abandoned.
   */
  public boolean shutdown() {
    MeshConfig.Shutdown settings = config.shutdown();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.graceMs());
    if (context != null) {
      context.metrics().startDraining(settings.graceMs());
      LOG.info("draining: /ready answers 503; serving on for {} ms, then closing within {} ms of the stop request",
          settings.readyDelayMs(), settings.graceMs());
    }
    try {
      Thread.sleep(settings.readyDelayMs());
      Thread closing = new Thread(this::close, "mesh-close");
      closing.setDaemon(true);
      closing.start();
      closing.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      if (closing.isAlive()) {
        LOG.error("not closed within shutdown.grace_ms ({} ms); abandoning the rest", settings.graceMs());
        return false;
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Stops verticles (consumers commit), flushes and closes the producer, then the database and broker. */
  @Override
  public synchronized void close() {
    long started = System.nanoTime();
    if (vertx != null) {
      // Verticles stop first, newest first, while the pool and workers they may still use are open (a replay run
      // saves its progress then); vertx.close() alone may close the pool before a verticle's stop() is done.
      List<String> deployed = new ArrayList<>(deployments);
      Collections.reverse(deployed);
      deployments.clear();
      for (String id : deployed) {
        await("stopping verticle " + id, vertx.undeploy(id).toCompletionStage().toCompletableFuture());
      }
      await("stopping Vert.x", vertx.close().toCompletionStage().toCompletableFuture());
      vertx = null;
    }
    if (producer != null) {
      long left = context == null ? 0 : context.metrics().drainMillisLeft();
      producer.close(Duration.ofMillis(left > 0 ? left : 10_000)); // sends what is buffered first
      producer = null;
    }
    if (admin != null) {
      admin.close(Duration.ofSeconds(5));
      admin = null;
    }
    if (database != null) {
      database.close();
      database = null;
    }
    if (broker != null) {
      broker.close();
      broker = null;
    }
    LOG.info("mesh {} stopped in {} ms", config.nodeId(), (System.nanoTime() - started) / 1_000_000);
  }

  private static void await(String what, CompletableFuture<?> future) {
    try {
      future.get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("{}: {}", what, e.toString());
    }
  }
}
