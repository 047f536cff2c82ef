package com.necpgame.mesh.robot;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.config.MatchConfig;
import com.necpgame.mesh.kafka.GroupLoop;
import com.necpgame.mesh.kafka.PoisonRecordException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Robot workers: every command on {@code robot-commands} ({@code generate.response}, {@code generate.vote}) is
 * answered by the {@link ProviderChain} of {@code llm.providers} and published as {@code response.submitted} / {@code
 * vote.submitted} followed by {@code robot.response_complete} on {@code robot-responses}, keyed by match id, by a
 * {@link GroupLoop} (commits and dead letters as it says). Every {@code llm.health_check_ms} each provider is probed
 * and the outcome published as {@code robot.health_check} on the orchestration topic.
 */
public final class RobotWorkerVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(RobotWorkerVerticle.class);
  public static final String SOURCE = RobotCommands.SOURCE;

  private final MeshContext mesh;
  private final MatchConfig games;
  private ProviderChain chain;
  private GroupLoop loop;
  private long probeTimer = -1;

  public RobotWorkerVerticle(MeshContext mesh) {
    this.mesh = mesh;
    this.games = mesh.config().games();
  }

  @Override
  public Future<?> start() {
    MatchConfig.Llm llm = games.llm();
    RobotMetrics metrics = new RobotMetrics(mesh.metrics().registry(), llm);
    chain = ProviderChain.of(vertx, llm, metrics);
    for (RemoteProvider r : chain.remotes()) {
      io.micrometer.core.instrument.Gauge.builder("event_bus_robot_provider_breaker_state", r,
              remote -> switch (remote.state()) {
                case CLOSED -> 0;
                case HALF_OPEN -> 1;
                case OPEN -> 2;
              }).tag("provider", r.name()).description("The remote provider's circuit breaker: 0 closed, 1 half-open, "
              + "2 open").register(mesh.metrics().registry());
    }
    loop = new GroupLoop(mesh.kafka(), mesh.producer(), List.of(games.robots().commandsTopic()),
        games.robots().workerGroup(), games.robots().checkMs(), mesh.metrics(), new GroupLoop.Handler() {
          @Override
          public CompletionStage<List<ProducerRecord<String, byte[]>>> outputs(ConsumerRecord<String, byte[]> record) {
            JsonObject command;
            try {
              command = new JsonObject(new String(record.value(), StandardCharsets.UTF_8));
            } catch (DecodeException | ClassCastException | NullPointerException e) {
              throw new PoisonRecordException("not a JSON object: " + e.getMessage());
            }
            Promise<List<ProducerRecord<String, byte[]>>> answer = Promise.promise();
            context.runOnContext(v -> work(chain, command).onComplete(answer));
            return answer.future().toCompletionStage();
          }

          @Override
          public void step(List<ProducerRecord<String, byte[]>> out) {}
        }, Map.of()).start();
    probeTimer = vertx.setPeriodic(llm.healthCheckMs(), id -> probe(chain, metrics));
    return Future.fromCompletionStage(loop.ready(), context).onSuccess(v -> {
      LOG.info("robot workers answer with the providers {}", llm.providers());
      probe(chain, metrics);
    });
  }

  /**
   * The answer to a command and how it was answered; their event ids are derived from the command's, so an answer
   * written twice is one event to readers.
   */
  private Future<List<ProducerRecord<String, byte[]>>> work(ProviderChain chain, JsonObject command) {
    Task task;
    try {
      task = RobotCommands.task(command);
    } catch (PoisonRecordException e) {
      return Future.failedFuture(e);
    }
    String responses = games.match().responsesTopic();
    return chain.answer(task).map(a -> {
      Instant now = Instant.now();
      return List.of(RobotCommands.answer(responses, command, task, a.text(), now),
          RobotCommands.responseComplete(responses, command, task, a, now));
    }).onFailure(e -> LOG.warn("robot {} could not answer in {}: {}", task.robotId(), task.matchId(), e.toString()));
  }

  /** Probes every provider of the chain and publishes each outcome. */
  private void probe(ProviderChain chain, RobotMetrics metrics) {
    String topic = games.match().orchestrationTopic();
    for (TextProvider p : chain.providers()) {
      long started = System.nanoTime();
      p.probe().onComplete(ar -> {
        metrics.probed(p.name(), ar.succeeded());
        String breaker = p instanceof RemoteProvider r ? r.state().name().toLowerCase() : null;
        ProducerRecord<String, byte[]> record = RobotCommands.healthCheck(topic, mesh.config().nodeId(), p.name(),
            ar.cause(), (System.nanoTime() - started) / 1_000_000, breaker, Instant.now());
        if (ar.failed()) {
          LOG.warn("robot provider {} failed its health check: {}", p.name(), ar.cause().getMessage());
        }
        mesh.producer().send(record, (meta, e) -> {
          if (e != null) {
            LOG.debug("robot.health_check of {} not written: {}", p.name(), e.toString());
          }
        });
      });
    }
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(probeTimer);
    return vertx.executeBlocking(() -> {
      loop.close();
      if (chain != null) {
        chain.close();
      }
      return null;
    });
  }
}
