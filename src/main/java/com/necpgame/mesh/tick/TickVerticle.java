package com.necpgame.mesh.tick;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.config.WorldConfig;
import com.necpgame.mesh.kafka.Leadership;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The game-time tick emitter. Every process runs one; the {@link Leadership} group picks the one that emits. The
 * leader takes over ({@link TickEmitter#takeOver}: fences the old leader, catches up), then sleeps on a timer until the
 * next firing of any schedule; nothing polls the clock. The emitter's blocking calls run in order on a worker.
 */
public final class TickVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(TickVerticle.class);
  private static final long RETRY_MS = 1000;

  private final MeshContext mesh;
  private final WorldConfig.Tick config;
  private TickEmitter emitter;
  private Leadership leadership;
  private volatile boolean leading;
  /** Bumped on every change of leadership, so a timer or result of an earlier term is ignored. */
  private long term;
  private long timer = -1;

  public TickVerticle(MeshContext mesh) {
    this.mesh = mesh;
    this.config = mesh.config().world().tick();
  }

  @Override
  public Future<?> start() {
    emitter = new TickEmitter(mesh.kafka(), config.group() + ".emitter", config.clock(), List.of(
        new TickEmitter.Channel(config.hourly(), config.hourlyTopic()),
        new TickEmitter.Channel(config.daily(), config.dailyTopic())), config.maxCatchUp());
    leadership = new Leadership(mesh.kafka(), mesh.metrics(), config.group() + ".leader", config.leaderTopic(),
        config.failoverMs(), lead -> context.runOnContext(v -> lead(lead))).start();
    Gauge.builder("event_bus_tick_leader", () -> leading ? 1 : 0)
        .description("1 while this process is the tick leader").register(mesh.metrics().registry());
    return Future.fromCompletionStage(leadership.ready(), context).onSuccess(v -> LOG.info(
        "tick emitter candidate: game clock {} at {} x{}, hourly \"{}\", daily \"{}\"", config.clock().gameEpoch(),
        config.clock().realEpoch(), config.clock().scale(), config.hourly().expression(),
        config.daily().expression()));
  }

  private void lead(boolean lead) {
    if (lead == leading) {
      return;
    }
    leading = lead;
    long now = ++term;
    vertx.cancelTimer(timer);
    if (lead) {
      run(now);
    } else {
      vertx.executeBlocking(() -> {
        emitter.close();
        return null;
      }, true);
    }
  }

  /** Runs an emitter step of a term on the worker, then sleeps until the next firing it answers. */
  private void run(long ofTerm) {
    vertx.executeBlocking(this::emit, true).onComplete(ar -> {
      if (ofTerm != term) {
        return;
      }
      if (ar.succeeded()) {
        long delay = Math.max(1, ar.result().toEpochMilli() - System.currentTimeMillis());
        timer = vertx.setTimer(delay, id -> run(ofTerm));
      } else if (ar.cause() instanceof TickEmitter.Fenced) {
        LOG.error("tick emitter fenced while it thought it led: {}", ar.cause().getMessage());
        leading = false;
        term++;
      } else {
        LOG.warn("tick emission failed, retrying in {} ms: {}", RETRY_MS, ar.cause().toString());
        timer = vertx.setTimer(RETRY_MS, id -> run(ofTerm));
      }
    });
  }

  /**
   * One step: takes over first when the emitter holds no producer (a term's first step, since losing the lead closes
   * it; or a retry after a failure that closed it), then emits what is due.
   */
  private Instant emit() throws TickEmitter.Fenced {
    if (!emitter.ready()) {
      emitter.takeOver();
    }
    return emitter.emitDue(Instant.now());
  }

  @Override
  public Future<?> stop() {
    term++;
    vertx.cancelTimer(timer);
    return vertx.executeBlocking(() -> {
      leadership.close();
      emitter.close();
      return null;
    }, true);
  }
}
