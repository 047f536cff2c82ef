package com.necpgame.mesh.robot;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.config.MatchConfig;
import com.necpgame.mesh.kafka.CompactedView;
import com.necpgame.mesh.kafka.GroupLoop;
import com.necpgame.mesh.kafka.Leadership;
import com.necpgame.mesh.kafka.StateTopic;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the robot {@link Orchestration}. The pool is one for the whole cluster, so one process runs it: every process
 * is a candidate in a {@link Leadership} group on {@code robot-pool-state}, and the leader reads the pool back from
 * that topic and runs the orchestration's loop until it stops leading (another process then takes over within
 * {@code robots.failover_ms} and goes on from the loop's committed offsets). Every process follows that topic into a
 * {@link PoolView} to answer {@link #POOL} ({@code GET /robots/pool}).
 */
public final class RobotVerticle extends VerticleBase {

  /** Reply {@link PoolView#summary}: the robots by type (persona), busy and idle. */
  public static final String POOL = "mesh.robots.pool";

  private static final Logger LOG = LoggerFactory.getLogger(RobotVerticle.class);

  private final MeshContext mesh;
  private final MatchConfig games;
  private Leadership leadership;
  private volatile GroupLoop loop;
  private boolean stopped;
  private final PoolView pool = new PoolView();
  private CompactedView view;

  public RobotVerticle(MeshContext mesh) {
    this.mesh = mesh;
    this.games = mesh.config().games();
  }

  @Override
  public Future<?> start() {
    MatchConfig.Robots robots = games.robots();
    leadership = new Leadership(mesh.kafka(), mesh.metrics(), robots.group() + ".leader", robots.poolStateTopic(),
        robots.failoverMs(), lead -> {
          if (lead) {
            lead();
          } else {
            follow();
          }
        }).start();
    Gauge.builder("event_bus_robot_pool_leader", () -> loop != null ? 1 : 0)
        .description("1 while this process runs the robot pool").register(mesh.metrics().registry());
    view = new CompactedView(mesh.kafka(), robots.poolStateTopic(), r -> pool.record(r.key(), r.value()),
        mesh.metrics()).start();
    vertx.eventBus().consumer(POOL, m -> m.reply(pool.summary(robots.types(), robots.maxTotal(),
        robots.minIdlePerType())));
    return Future.all(Future.fromCompletionStage(leadership.ready(), context),
        Future.fromCompletionStage(view.caughtUp(), context));
  }

  /** On the election's thread: the pool from its state topic, then the loop. */
  private synchronized void lead() {
    if (stopped || loop != null) {
      return;
    }
    Orchestration orchestration = new Orchestration(games.match(), games.robots(), System::currentTimeMillis);
    orchestration.restore(new StateTopic(mesh.kafka(), games.robots().poolStateTopic()).load(null));
    loop = new GroupLoop(mesh.kafka(), mesh.producer(), List.of(games.match().eventsTopic(),
        games.match().responsesTopic()), games.robots().group(), games.robots().checkMs(), mesh.metrics(),
        GroupLoop.Handler.of(orchestration::input, orchestration::step), Map.of()).start();
    LOG.info("running the robot pool ({} robots)", orchestration.pool().size());
  }

  /** The loop's last outputs written and its inputs committed, so the next leader goes on where it stopped. */
  private synchronized void follow() {
    if (loop != null) {
      loop.close();
      loop = null;
      LOG.info("no longer running the robot pool");
    }
  }

  @Override
  public Future<?> stop() {
    return vertx.executeBlocking(() -> {
      synchronized (this) {
        stopped = true;
      }
      follow();
      leadership.close();
      view.close();
      return null;
    });
  }
}
