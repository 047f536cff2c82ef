package com.necpgame.mesh.robot;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.config.MatchConfig;
import com.necpgame.mesh.envelope.Envelope;
import com.necpgame.mesh.kafka.EnvelopeRecords;
import com.necpgame.mesh.kafka.GroupLoop;
import com.necpgame.mesh.kafka.PoisonRecordException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Robot workers: every command on {@code robot-commands} ({@code generate.response}, {@code generate.vote}) is
 * answered by the configured {@link TextProvider} (the remote one falls back to the local one) and published as
 * {@code response.submitted} / {@code vote.submitted} on {@code robot-responses}, keyed by match id, by a
 * {@link GroupLoop} (commits and dead letters as it says).
 */
public final class RobotWorkerVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(RobotWorkerVerticle.class);
  public static final String SOURCE = RobotCommands.SOURCE;

  private final MeshContext mesh;
  private final MatchConfig games;
  private GroupLoop loop;
  private OpenAiProvider remote;

  public RobotWorkerVerticle(MeshContext mesh) {
    this.mesh = mesh;
    this.games = mesh.config().games();
  }

  @Override
  public Future<?> start() {
    LocalProvider local = new LocalProvider(games.llm().seed());
    if (games.llm().provider().equals("openai")) {
      remote = new OpenAiProvider(vertx, games.llm());
    }
    TextProvider provider = remote == null ? local : new FallbackProvider(remote, local);
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
            context.runOnContext(v -> work(provider, command).map(List::of).onComplete(answer));
            return answer.future().toCompletionStage();
          }

          @Override
          public void step(List<ProducerRecord<String, byte[]>> out) {}
        }, Map.of()).start();
    return Future.fromCompletionStage(loop.ready(), context).onSuccess(v ->
        LOG.info("robot workers answer with the {} provider", games.llm().provider()));
  }

  /** The answer to a command; its event id is the command's, so an answer written twice is one event to readers. */
  private Future<ProducerRecord<String, byte[]>> work(TextProvider provider, JsonObject command) {
    Task task;
    try {
      task = RobotCommands.task(command);
    } catch (PoisonRecordException e) {
      return Future.failedFuture(e);
    }
    return provider.answer(task).map(text -> RobotCommands.answer(games.match().responsesTopic(), command, task, text,
        Instant.now()))
        .onFailure(e -> LOG.warn("robot {} could not answer in {}: {}", task.robotId(), task.matchId(), e.toString()));
  }

  @Override
  public Future<?> stop() {
    return vertx.executeBlocking(() -> {
      loop.close();
      if (remote != null) {
        remote.close();
      }
      return null;
    });
  }
}
