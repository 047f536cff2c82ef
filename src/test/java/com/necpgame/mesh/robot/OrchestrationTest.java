package com.necpgame.mesh.robot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.config.ConfigLoader;
import com.necpgame.mesh.config.MatchConfig;
import com.necpgame.mesh.envelope.EnvelopeValidator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/** The orchestration's events in and out, on a test clock, with its pool state carried over a restart. */
class OrchestrationTest {

  private static final MatchConfig GAMES = ConfigLoader.load(new JsonObject(), Map.of()).games();
  private static final EnvelopeValidator VALIDATOR = EnvelopeValidator.load(Optional.empty());
  private static final String MATCH = "match-0a1b2c3d-0000-4000-8000-000000000001";

  private final AtomicLong clock = new AtomicLong(1_000);
  private final Map<String, byte[]> poolState = new HashMap<>();

  @Test
  void aRobotIsToldItsEarlierAnswersEvenAfterARestartAndIsReleasedWithTheMatch() {
    Orchestration o = started();
    List<JsonObject> out = feed(o, "match-events", "round.robots_needed", new JsonObject().put("match_id", MATCH)
        .put("round", 1).put("count", 1).put("identities", new JsonArray().add("B")).put("exclude_robots",
            new JsonArray()).put("correlation_id", "robots:" + MATCH + ":1"));
    JsonObject assigned = only(out, "round.robots_assigned");
    String robot = assigned.getJsonObject("data").getJsonArray("robots").getJsonObject(0).getString("id");
    JsonArray robots = new JsonArray().add(new JsonObject().put("id", robot).put("identity", "B"));
    feed(o, "match-events", "round.started", round(1, robots));
    JsonObject answer = new JsonObject().put("match_id", MATCH).put("round", 1).put("participant", robot)
        .put("kind", "robot").put("text", "toast, because it was there");
    feed(o, "robot-responses", "response.submitted", answer);
    feed(o, "robot-responses", "response.submitted", answer); // delivered twice: kept once

    Orchestration restarted = started();
    List<JsonObject> commands = feed(restarted, "match-events", "round.started", round(2, robots));
    assertEquals(List.of("toast, because it was there"), only(commands, "generate.response").getJsonObject("data")
        .getJsonArray("history").getList());

    List<JsonObject> released = feed(restarted, "match-events", "match.completed",
        new JsonObject().put("match_id", MATCH));
    JsonObject r = only(released, "robot.released").getJsonObject("data");
    assertEquals(robot, r.getString("robot_id"));
    assertEquals(MATCH, r.getString("match_id"));
    assertEquals(RobotPool.Status.IDLE, restarted.pool().robot(robot).status());
    assertTrue(restarted.pool().robot(robot).memory().isEmpty(), "a completed match is forgotten");
  }

  @Test
  void aRoundsRobotsGoBackToThePoolWhenTheRoundCompletesAndAnsweringIsTheirSignOfLife() {
    Orchestration o = started();
    JsonObject assigned = only(feed(o, "match-events", "round.robots_needed", new JsonObject().put("match_id", MATCH)
        .put("round", 1).put("count", 2).put("identities", new JsonArray().add("B").add("C"))
        .put("exclude_robots", new JsonArray()).put("correlation_id", "robots:" + MATCH + ":1")),
        "round.robots_assigned");
    JsonArray robots = new JsonArray();
    assigned.getJsonObject("data").getJsonArray("robots").forEach(r -> robots.add(new JsonObject()
        .put("id", ((JsonObject) r).getString("id")).put("identity", ((JsonObject) r).getString("identity"))));
    String robot = robots.getJsonObject(0).getString("id");
    feed(o, "match-events", "round.started", round(1, robots));
    assertTrue(o.pool().robot(robot).awaitingSince() > 0, "commanded: its answer is awaited");
    feed(o, "robot-responses", "robot.response_complete", new JsonObject().put("match_id", MATCH).put("round", 1)
        .put("robot_id", robot));
    assertEquals(0, o.pool().robot(robot).awaitingSince(), "robot.response_complete: it answered");

    List<JsonObject> out = feed(o, "match-events", "round.completed", new JsonObject().put("match_id", MATCH)
        .put("round", 1));
    List<JsonObject> released = out.stream().filter(e -> e.getString("event_type").equals("robot.released")).toList();
    assertEquals(2, released.size());
    released.forEach(e -> assertEquals(1, e.getJsonObject("data").getInteger("round")));
    assertEquals(RobotPool.Status.IDLE, o.pool().robot(robot).status());
    assertEquals(0, o.pool().busy(), "free for any match's next round");
  }

  @Test
  void aRequestReadAgainAfterARestartGetsTheSameAnswer() {
    JsonObject request = new JsonObject().put("match_id", MATCH).put("round", 1).put("count", 3)
        .put("identities", new JsonArray().add("B").add("C").add("D")).put("exclude_robots", new JsonArray())
        .put("correlation_id", "robots:" + MATCH + ":1");
    JsonObject first = only(feed(started(), "match-events", "round.robots_needed", request), "round.robots_assigned");
    Orchestration restarted = started();
    int size = restarted.pool().size();
    JsonObject again = only(feed(restarted, "match-events", "round.robots_needed", request), "round.robots_assigned");
    assertEquals(first.getString("event_id"), again.getString("event_id"));
    assertEquals(first.getJsonObject("data"), again.getJsonObject("data"));
    assertEquals(size, restarted.pool().size(), "no robot taken for it twice");
    assertEquals(3, restarted.pool().busy());
  }

  @Test
  void everyNewRobotAndEveryScalingPassIsAnEvent() {
    Orchestration o = new Orchestration(GAMES.match(), GAMES.robots(), clock::get);
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
    o.step(records);
    List<JsonObject> out = events(records);
    List<JsonObject> born = out.stream().filter(e -> e.getString("event_type").equals("robot.instantiated")).toList();
    assertEquals(6, born.size(), "two idle robots of each of the three types");
    JsonObject scaled = only(out, "robot.pool_scaled").getJsonObject("data");
    assertEquals("scale", scaled.getString("reason"));
    assertEquals(6, scaled.getJsonArray("added").size());
    assertEquals(6, scaled.getInteger("total"));

    List<ProducerRecord<String, byte[]>> again = new ArrayList<>();
    o.step(again);
    assertTrue(events(again).isEmpty(), "nothing changed, nothing told");
  }

  /** An orchestration restored from the pool state written so far, whose outputs keep writing it. */
  private Orchestration started() {
    Orchestration o = new Orchestration(GAMES.match(), GAMES.robots(), clock::get);
    o.restore(poolState);
    return o;
  }

  private static JsonObject round(int round, JsonArray robots) {
    return new JsonObject().put("match_id", MATCH).put("round", round).put("prompt", "What sound reminds you of home?")
        .put("deadline_ms", 60_000L).put("robots", robots);
  }

  /** One input and the step after it, as the loop does; returns the events, each checked against its schema. */
  private List<JsonObject> feed(Orchestration o, String topic, String type, JsonObject data) {
    clock.addAndGet(10);
    JsonObject envelope = new JsonObject().put("event_type", type).put("data", data);
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
    o.input(new ConsumerRecord<>(topic, 0, 0, data.getString("match_id"),
        envelope.encode().getBytes(StandardCharsets.UTF_8)), records);
    o.step(records);
    return events(records);
  }

  private List<JsonObject> events(List<ProducerRecord<String, byte[]>> records) {
    List<JsonObject> events = new ArrayList<>();
    for (ProducerRecord<String, byte[]> r : records) {
      if (r.topic().equals(GAMES.robots().poolStateTopic())) {
        if (r.value() == null) {
          poolState.remove(r.key());
        } else {
          poolState.put(r.key(), r.value());
        }
        continue;
      }
      JsonObject e = new JsonObject(new String(r.value(), StandardCharsets.UTF_8));
      assertTrue(VALIDATOR.validate(e).isEmpty(), e.encode() + " " + VALIDATOR.validate(e));
      events.add(e);
    }
    return events;
  }

  private static JsonObject only(List<JsonObject> events, String type) {
    List<JsonObject> of = events.stream().filter(e -> type.equals(e.getString("event_type"))).toList();
    assertEquals(1, of.size(), type + " in " + events);
    return of.get(0);
  }
}
