package com.necpgame.mesh.robot;

import com.necpgame.mesh.envelope.Envelope;
import com.necpgame.mesh.kafka.EnvelopeRecords;
import com.necpgame.mesh.kafka.PoisonRecordException;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A robot worker's command and answer, without the wiring: the {@link Task} a {@code generate.response} or {@code
 * generate.vote} command asks for, and the {@code response.submitted} / {@code vote.submitted} record that answers it
 * (its event id derived from the command's, so an answer written twice is one event to readers), the {@code
 * robot.response_complete} that tells how it was answered, and a worker's {@code robot.health_check}.
 */
public final class RobotCommands {

  public static final String SOURCE = "event-mesh.robot-workers";

  private RobotCommands() {}

  /** The task of a command envelope; a command that is not one is a poison record. */
  public static Task task(JsonObject command) {
    try {
      JsonObject d = command.getJsonObject("data");
      boolean vote = "generate.vote".equals(command.getString("event_type"));
      Map<String, String> responses = new LinkedHashMap<>();
      JsonObject given = d.getJsonObject("responses", new JsonObject());
      given.fieldNames().stream().sorted().forEach(k -> responses.put(k, given.getString(k)));
      return new Task(vote ? Task.Kind.VOTE : Task.Kind.RESPONSE, d.getString("robot_id"), d.getString("robot_type"),
          d.getString("match_id"), d.getInteger("round"), d.getString("prompt"),
          d.getJsonArray("history").stream().map(String::valueOf).toList(), d.getString("identity"), responses);
    } catch (RuntimeException e) {
      throw new PoisonRecordException("not a robot command: " + e);
    }
  }

  /** The answer's record on the responses topic, keyed by match id. */
  public static ProducerRecord<String, byte[]> answer(String responsesTopic, JsonObject command, Task task,
      String text, Instant at) {
    boolean vote = task.kind() == Task.Kind.VOTE;
    String commandId = command.getJsonObject("data").getString("command_id");
    JsonObject data = new JsonObject().put("match_id", task.matchId()).put("round", task.round())
        .put("participant", task.robotId()).put("kind", "robot").put("command_id", commandId);
    String type = vote ? "vote.submitted" : "response.submitted";
    data.put(vote ? "voted" : "text", text);
    return EnvelopeRecords.record(responsesTopic, "data.match_id", Envelope.derived(type, commandId, SOURCE, at,
        task.matchId(), data));
  }

  /**
   * {@code robot.response_complete} on the responses topic (keyed by match id, after the answer): which provider
   * answered and which failed first, the time, tokens and estimated cost.
   */
  public static ProducerRecord<String, byte[]> responseComplete(String responsesTopic, JsonObject command, Task task,
      ProviderChain.Answer answer, Instant at) {
    JsonObject d = command.getJsonObject("data");
    String commandId = d.getString("command_id");
    JsonObject data = new JsonObject().put("command_id", commandId).put("robot_id", task.robotId())
        .put("robot_type", task.type()).put("match_id", task.matchId()).put("round", task.round())
        .put("action", command.getString("event_type")).put("provider", answer.provider())
        .put("fallback_from", new io.vertx.core.json.JsonArray(answer.failed())).put("latency_ms", answer.latencyMs())
        .put("tokens_in", answer.tokensIn()).put("tokens_out", answer.tokensOut()).put("cost_usd", answer.costUsd());
    return EnvelopeRecords.record(responsesTopic, "data.match_id", Envelope.derived("robot.response_complete",
        commandId, SOURCE, at, task.matchId(), data));
  }

  /**
   * {@code robot.health_check} on the orchestration topic (keyed by worker): one probe of one provider by one worker,
   * {@code healthy} or {@code unhealthy} with the reason and message of the failure.
   */
  public static ProducerRecord<String, byte[]> healthCheck(String topic, String worker, String provider,
      Throwable failure, long latencyMs, String breaker, Instant at) {
    JsonObject data = new JsonObject().put("worker_id", worker).put("provider", provider)
        .put("status", failure == null ? "healthy" : "unhealthy").put("latency_ms", latencyMs);
    if (breaker != null) {
      data.put("breaker", breaker);
    }
    if (failure != null) {
      data.put("reason", ProviderException.reasonOf(failure)).put("error", String.valueOf(failure.getMessage()));
    }
    return EnvelopeRecords.record(topic, "data.worker_id", Envelope.derived("robot.health_check", worker + ":"
        + provider + ":" + at.toEpochMilli(), SOURCE, at, null, data));
  }
}
