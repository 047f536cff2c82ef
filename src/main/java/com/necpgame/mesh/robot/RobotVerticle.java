package com.necpgame.mesh.robot;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.config.MatchConfig;
import com.necpgame.mesh.kafka.GroupLoop;
import com.necpgame.mesh.kafka.StateTopic;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.util.List;

/** Wires the robot {@link Orchestration}: its pool read back from {@code robot-pool-state}, then its loop. */
public final class RobotVerticle extends VerticleBase {

  private final MeshContext mesh;
  private final MatchConfig games;
  private GroupLoop loop;

  public RobotVerticle(MeshContext mesh) {
    this.mesh = mesh;
    this.games = mesh.config().games();
  }

  @Override
  public Future<?> start() {
    Orchestration orchestration = new Orchestration(games.match(), games.robots(), System::currentTimeMillis);
    return vertx.executeBlocking(() -> new StateTopic(mesh.kafka(), games.robots().poolStateTopic())
        .load(null)).map(saved -> {
          orchestration.restore(saved);
          loop = new GroupLoop(mesh.kafka(), mesh.producer(), List.of(games.match().eventsTopic(),
              games.match().responsesTopic()), games.robots().group(), games.robots().checkMs(),
              GroupLoop.Handler.of(orchestration::input, orchestration::step)).start();
          return null;
        });
  }

  @Override
  public Future<?> stop() {
    return vertx.executeBlocking(() -> {
      if (loop != null) {
        loop.close();
      }
      return null;
    });
  }
}
