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
 * (its event id derived from the command's, so an answer written twice is one event to readers).
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
}
