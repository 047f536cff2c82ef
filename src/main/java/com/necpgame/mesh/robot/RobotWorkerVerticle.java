package com.necpgame.mesh.robot;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.config.MatchConfig;
import com.necpgame.mesh.envelope.Envelope;
import com.necpgame.mesh.envelope.EventIds;
import com.necpgame.mesh.kafka.EnvelopeRecords;
import com.necpgame.mesh.kafka.GroupLoop;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Robot workers: every command on {@code robot-commands} ({@code generate.response}, {@code generate.vote}) is
 * answered by the configured {@link TextProvider} (the remote one falls back to the local one) and published as
 * {@code response.submitted} / {@code vote.submitted} on {@code robot-responses}, keyed by match id.
 */
public final class RobotWorkerVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(RobotWorkerVerticle.class);
  public static final String SOURCE = "event-mesh.robot-workers";

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
    TextProvider provider = local;
    if (games.llm().provider().equals("openai")) {
      remote = new OpenAiProvider(vertx, games.llm());
      provider = new FallbackProvider(remote, local);
    }
    TextProvider chosen = provider;
    Context ctx = context;
    loop = new GroupLoop(mesh.kafka(), mesh.producer(), List.of(games.robots().commandsTopic()),
        games.robots().workerGroup(), games.robots().checkMs(), GroupLoop.Handler.of((record, out) -> {
          JsonObject command = new JsonObject(new String(record.value(), StandardCharsets.UTF_8));
          ctx.runOnContext(v -> work(chosen, command));
        }, out -> { })).start();
    LOG.info("robot workers answer with the {} provider", games.llm().provider());
    return Future.succeededFuture();
  }

  private void work(TextProvider provider, JsonObject command) {
    JsonObject d = command.getJsonObject("data");
    boolean vote = "generate.vote".equals(command.getString("event_type"));
    Map<String, String> responses = new LinkedHashMap<>();
    JsonObject given = d.getJsonObject("responses", new JsonObject());
    given.fieldNames().stream().sorted().forEach(k -> responses.put(k, given.getString(k)));
    Task task = new Task(vote ? Task.Kind.VOTE : Task.Kind.RESPONSE, d.getString("robot_id"), d.getString("robot_type"),
        d.getString("match_id"), d.getInteger("round"), d.getString("prompt"),
        d.getJsonArray("history").stream().map(String::valueOf).toList(), d.getString("identity"), responses);
    provider.answer(task).onSuccess(text -> {
      JsonObject data = new JsonObject().put("match_id", task.matchId()).put("round", task.round())
          .put("participant", task.robotId()).put("kind", "robot").put("command_id", d.getString("command_id"));
      String type = vote ? "vote.submitted" : "response.submitted";
      data.put(vote ? "voted" : "text", text);
      JsonObject envelope = new Envelope(EventIds.of(type + ":" + d.getString("command_id")), type, Instant.now(),
          Envelope.CURRENT_VERSION, SOURCE, task.matchId(), null, null, data, null).toJson();
      mesh.producer().send(EnvelopeRecords.record(games.match().responsesTopic(), "data.match_id", envelope),
          (meta, e) -> {
            if (e != null) {
              LOG.warn("robot {} answer for {} not written: {}", task.robotId(), task.matchId(), e.toString());
            }
          });
    }).onFailure(e -> LOG.warn("robot {} could not answer in {}: {}", task.robotId(), task.matchId(), e.toString()));
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
