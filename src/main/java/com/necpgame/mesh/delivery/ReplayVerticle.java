package com.necpgame.mesh.delivery;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.delivery.ReplayScanner.Outcome;
import com.necpgame.mesh.store.SubscriptionRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs replay jobs: every {@code replay.poll_ms} (and when {@code POST /replay} says a job was added) it claims jobs
 * from {@link ReplayJobs}, up to {@code replay.max_jobs} at once, and runs each {@link ReplayScanner} on a worker
 * executor of {@code replay.max_jobs} threads. A job is finite, so it is not a supervised {@code KafkaWorker} loop (a
 * worker starts its loop again; a job ends): a run that fails is recorded as FAILED with the error's message, and if
 * even that cannot be saved its lease runs out and a process takes the job up again from its last checkpoint. On stop
 * every run saves its progress and gives its job up, so another process (or this one restarted) resumes it.
 */
public final class ReplayVerticle extends VerticleBase {

  /** Event bus address: a job was added, look for work now. */
  public static final String WAKE = "mesh.replay.wake";
  private static final Logger LOG = LoggerFactory.getLogger(ReplayVerticle.class);

  private final MeshContext mesh;
  private final MeshConfig.Replay config;
  private final String owner;
  private final Set<Run> runs = ConcurrentHashMap.newKeySet();
  private ReplayJobs jobs;
  private WorkerExecutor executor;
  private long timer;
  private boolean claiming;
  private volatile boolean stopping;

  public ReplayVerticle(MeshContext mesh) {
    this.mesh = mesh;
    this.config = mesh.config().replay();
    this.owner = mesh.config().nodeId() + "/" + UUID.randomUUID().toString().substring(0, 8);
  }

  private record Run(ReplayScanner scanner, Future<Void> ended) {}

  @Override
  public Future<?> start() {
    jobs = new ReplayJobs(mesh.pool());
    executor = vertx.createSharedWorkerExecutor("mesh-replay-" + owner, config.maxJobs(), 7, TimeUnit.DAYS);
    timer = vertx.setPeriodic(1, config.pollMs(), id -> claim());
    return vertx.eventBus().<String>consumer(WAKE, m -> claim()).completion()
        .onSuccess(v -> LOG.info("replay runner {} started (at most {} jobs at once)", owner, config.maxJobs()));
  }

  private void claim() {
    if (claiming || stopping || runs.size() >= config.maxJobs()) {
      return;
    }
    claiming = true;
    jobs.claim(owner, config.leaseMs()).onComplete(ar -> {
      claiming = false;
      if (ar.failed()) {
        LOG.warn("replay runner {}: claiming a job failed: {}", owner, ar.cause().toString());
      } else if (ar.result() != null) {
        run(ar.result());
        claim();
      }
    });
  }

  private void run(ReplayJob job) {
    long timeoutMs = mesh.config().kafka().producer().deliveryTimeoutMs() + 5_000L;
    ReplayTarget target = target(job.target(), timeoutMs);
    ReplayScanner scanner = new ReplayScanner(job,
        () -> mesh.kafka().consumer("replay-" + job.id(), null, "earliest",
            Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.max(2000, config.batchSize()),
                ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 << 20,
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 << 20)),
        target,
        (progress, release) -> await(jobs.checkpoint(job.id(), owner, progress, release, config.leaseMs())),
        config.batchSize(), config.checkpointMs(), Duration.ofMillis(mesh.config().kafka().requestTimeoutMs()));
    LOG.info("replay {} of {} [{}, {}) into {} {} by {}", job.id(), job.topic(), job.start(), job.end(), job.target(),
        job.positions() == null ? "starts" : "resumes at " + job.positions(), owner);
    Promise<Void> ended = Promise.promise();
    Run run = new Run(scanner, ended.future());
    runs.add(run);
    executor.executeBlocking(scanner::run, false)
        .compose(outcome -> outcome == Outcome.COMPLETED ? finish(job, scanner, ReplayJob.COMPLETED, null)
            .map(outcome) : Future.succeededFuture(outcome))
        .onSuccess(outcome -> LOG.info("replay {}: {} (scanned {}, matched {}, delivered {})", job.id(), outcome,
            scanner.progress().scanned(), scanner.progress().matched(), scanner.progress().delivered()))
        .recover(e -> {
          LOG.warn("replay {} failed", job.id(), e);
          return finish(job, scanner, ReplayJob.FAILED, e).otherwise(saving -> {
            LOG.warn("replay {}: its failure was not saved ({}); its lease runs out and it is retried", job.id(),
                saving.toString());
            return false;
          }).map(Outcome.STOPPED);
        })
        .onComplete(ar -> {
          runs.remove(run);
          ended.complete();
          if (!stopping) {
            claim();
          }
        });
  }

  /** Records how a run ended: completed, or failed with the error's message. */
  private Future<Boolean> finish(ReplayJob job, ReplayScanner scanner, String state, Throwable error) {
    return jobs.finish(job.id(), owner, state, scanner.progress(),
        error == null ? new JsonArray() : new JsonArray().add(new JsonObject().put("at", Instant.now().toString())
            .put("message", String.valueOf(error.getMessage()))));
  }

  /**
   * Where a job's matches go: its topic, or its subscription's — copied to a kafka subscription's topic, queued for a
   * webhook subscription. A subscription is looked up on the replay's own thread when the first batch is delivered.
   */
  private ReplayTarget target(JsonObject target, long timeoutMs) {
    String subscription = target.getString("subscription");
    if (subscription == null) {
      return new TopicTarget(mesh.producer(), target.getString("topic"), timeoutMs, null);
    }
    ReplayTarget[] resolved = new ReplayTarget[1];
    return (replayId, batch) -> {
      if (resolved[0] == null) {
        JsonObject s = await(new SubscriptionRegistry(mesh.pool(), mesh.secrets()).get(subscription));
        if (s == null) {
          throw new IllegalStateException("subscription " + subscription + " no longer exists");
        }
        resolved[0] = "kafka".equals(s.getString("method"))
            ? new TopicTarget(mesh.producer(), s.getString("endpoint"), timeoutMs, subscription)
            : "webhook".equals(s.getString("method")) ? new WebhookTarget(new WebhookQueue(mesh.pool()), subscription)
            : null;
        if (resolved[0] == null) {
          throw new IllegalStateException("subscription " + subscription + " delivers by " + s.getString("method")
              + "; replays go to kafka and webhook subscriptions");
        }
      }
      resolved[0].deliver(replayId, batch);
    };
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    vertx.cancelTimer(timer);
    runs.forEach(r -> r.scanner().shutdown());
    return Future.join(runs.stream().map(Run::ended).toList()).timeout(30, TimeUnit.SECONDS)
        .transform(ended -> executor.close());
  }
}
