package com.necpgame.mesh.robot;

import com.necpgame.mesh.config.MatchConfig;
import com.necpgame.mesh.envelope.Envelope;
import com.necpgame.mesh.kafka.EnvelopeRecords;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Robot orchestration: answers {@code round.robots_needed} from the {@link RobotPool} with {@code
 * round.robots_assigned} (same correlation id), sends each assigned robot its commands on {@code robot-commands}
 * (keyed by robot id) when its round starts and its voting starts (those events name the round's robots), with its
 * earlier answers in the match, releases a round's robots on {@code round.completed} (and whatever a match still holds
 * on {@code match.completed}, when its robots forget it), scales and health-checks the
 * pool, and writes each changed robot to {@code robot-pool-state} (keyed by robot id; a removed one is a tombstone)
 * with the pool's summary under {@code pool}. Tells of the pool on {@code robot-orchestration-events}: {@code
 * robot.instantiated} for every new robot, {@code robot.released} for every robot a completed round or match frees, {@code
 * robot.pool_scaled} for every scaling or health pass that changed the pool. One thread.
 */
public final class Orchestration {

  public static final String SOURCE = "event-mesh.robots";
  static final String POOL_KEY = "pool";
  private static final Set<String> INPUTS = Set.of("round.robots_needed", "round.started", "round.voting_started",
      "response.submitted", "vote.submitted", "round.completed", "match.completed", "robot.response_complete");

  private final MatchConfig.Match matchConfig;
  private final MatchConfig.Robots config;
  private final LongSupplier clock;
  private RobotPool pool;
  private boolean changed = true;

  public Orchestration(MatchConfig.Match matchConfig, MatchConfig.Robots config, LongSupplier clock) {
    this.matchConfig = matchConfig;
    this.config = config;
    this.clock = clock;
    this.pool = new RobotPool(rules(config));
  }

  public static RobotPool.Rules rules(MatchConfig.Robots c) {
    return new RobotPool.Rules(c.types(), c.minIdlePerType(), c.maxTotal(), c.scaleUpBusyRatio(), c.scaleDownAfterMs(),
        c.healthTimeoutMs());
  }

  /** The pool from {@code robot-pool-state}: one record per robot (keyed by its id) and {@link #POOL_KEY}. */
  public void restore(Map<String, byte[]> saved) {
    byte[] meta = saved.get(POOL_KEY);
    if (meta == null) {
      return;
    }
    List<JsonObject> robots = saved.entrySet().stream().filter(e -> !POOL_KEY.equals(e.getKey()))
        .map(e -> new JsonObject(new String(e.getValue(), StandardCharsets.UTF_8))).toList();
    pool = RobotPool.restore(rules(config), new JsonObject(new String(meta, StandardCharsets.UTF_8))
        .getLong("next_id"), robots);
  }

  public RobotPool pool() {
    return pool;
  }

  public void input(ConsumerRecord<String, byte[]> record, List<ProducerRecord<String, byte[]>> out) {
    String header = EnvelopeRecords.header(record.headers(), EnvelopeRecords.HEADER_EVENT_TYPE);
    if (header != null && !INPUTS.contains(header)) {
      return; // not read: most of what the match topics carry is not for the orchestration
    }
    JsonObject envelope = new JsonObject(new String(record.value(), StandardCharsets.UTF_8));
    JsonObject d = envelope.getJsonObject("data");
    String type = envelope.getString("event_type");
    if (d == null || type == null) {
      return;
    }
    String matchId = d.getString("match_id");
    long now = clock.getAsLong();
    switch (type) {
      case "round.robots_needed" -> assign(d, now, out);
      case "round.started" -> command("generate.response", d, now, out);
      case "round.voting_started" -> command("generate.vote", d, now, out);
      case "response.submitted", "vote.submitted" -> {
        if ("robot".equals(d.getString("kind"))) {
          pool.answered(d.getString("participant"), matchId, d.getInteger("round", 0),
              type.equals("response.submitted") ? d.getString("text") : null);
          changed = true;
        }
      }
      case "robot.response_complete" -> {
        pool.answered(d.getString("robot_id"), matchId, d.getInteger("round", 0), null);
        changed = true;
      }
      case "round.completed" -> {
        int round = d.getInteger("round", 0);
        released(pool.releaseRound(matchId, round, now), matchId, round, now, out);
      }
      case "match.completed" -> released(pool.release(matchId, now), matchId, 0, now, out);
      default -> { }
    }
  }

  /** A {@code robot.released} for every robot a round ({@code round} > 0) or a match freed. */
  private void released(List<RobotPool.Robot> robots, String matchId, int round, long now,
      List<ProducerRecord<String, byte[]>> out) {
    for (RobotPool.Robot r : robots) {
      JsonObject data = new JsonObject().put("robot_id", r.id()).put("robot_type", r.type()).put("match_id", matchId);
      if (round > 0) {
        data.put("round", round);
      }
      robotEvent("robot.released", r.id() + ":" + matchId + (round > 0 ? ":" + round : ""), data, now, out);
    }
    changed = true;
  }

  private void assign(JsonObject d, long now, List<ProducerRecord<String, byte[]>> out) {
    String matchId = d.getString("match_id");
    List<String> exclude = d.getJsonArray("exclude_robots").stream().map(String::valueOf).toList();
    List<String> identities = d.getJsonArray("identities").stream().map(String::valueOf).toList();
    String correlation = d.getString("correlation_id");
    int round = d.getInteger("round");
    // a request seen again (after a restart or a failover) gets the same answer, with the same event id
    List<RobotPool.Assigned> assigned = pool.assignedTo(matchId, round);
    if (assigned.isEmpty()) {
      assigned = pool.assign(matchId, round, identities.subList(0, Math.min(identities.size(), d.getInteger("count"))),
          exclude, now);
      instantiated(now, out);
    }
    JsonArray robots = new JsonArray();
    for (RobotPool.Assigned a : assigned) {
      robots.add(new JsonObject().put("id", a.id()).put("type", a.type()).put("identity", a.identity()));
    }
    changed = true;
    JsonObject data = new JsonObject().put("match_id", matchId).put("round", round)
        .put("correlation_id", correlation).put("robots", robots);
    out.add(EnvelopeRecords.record(matchConfig.orchestrationTopic(), "data.match_id",
        envelope("round.robots_assigned", correlation, matchId, data, now)));
  }

  private void command(String action, JsonObject d, long now, List<ProducerRecord<String, byte[]>> out) {
    String matchId = d.getString("match_id");
    JsonObject responses = new JsonObject();
    d.getJsonArray("responses", new JsonArray()).forEach(o -> {
      JsonObject r = (JsonObject) o;
      responses.put(r.getString("identity"), r.getString("text"));
    });
    for (Object o : d.getJsonArray("robots")) {
      JsonObject robot = (JsonObject) o;
      RobotPool.Robot known = pool.robot(robot.getString("id"));
      RobotPool.Assigned a = new RobotPool.Assigned(robot.getString("id"),
          known != null ? known.type() : config.types().get(0), robot.getString("identity"));
      List<String> history = known != null ? List.copyOf(known.answersIn(matchId).values()) : List.of();
      String commandId = action + ":" + matchId + ":" + d.getInteger("round") + ":" + a.id();
      JsonObject data = new JsonObject().put("command_id", commandId).put("robot_id", a.id())
          .put("robot_type", a.type()).put("action", action).put("match_id", matchId).put("round", d.getInteger("round"))
          .put("identity", a.identity()).put("prompt", d.getString("prompt")).put("history", new JsonArray(history))
          .put("deadline_ms", d.getLong("deadline_ms"));
      if (action.equals("generate.vote")) {
        data.put("responses", responses);
      }
      out.add(EnvelopeRecords.record(config.commandsTopic(), "data.robot_id",
          envelope(action, commandId, matchId, data, now)));
      pool.commanded(a.id(), now);
      changed = true;
    }
  }

  /** Scaling and health, then the pool's state when anything changed. */
  public void step(List<ProducerRecord<String, byte[]>> out) {
    long now = clock.getAsLong();
    scaled("health", pool.checkHealth(now), now, out);
    scaled("scale", pool.scale(now), now, out);
    instantiated(now, out);
    if (changed) {
      pool.drainChanged().forEach((id, robot) -> out.add(new ProducerRecord<>(config.poolStateTopic(), id,
          robot == null ? null : EnvelopeRecords.utf8(robot))));
      out.add(new ProducerRecord<>(config.poolStateTopic(), POOL_KEY, EnvelopeRecords.utf8(new JsonObject()
          .put("next_id", pool.nextId()).put("size", pool.size()).put("busy", pool.busy()))));
      changed = false;
    }
  }

  private void instantiated(long now, List<ProducerRecord<String, byte[]>> out) {
    for (RobotPool.Robot r : pool.drainSpawned()) {
      robotEvent("robot.instantiated", r.id(), new JsonObject().put("robot_id", r.id()).put("robot_type", r.type()),
          now, out);
    }
  }

  private void scaled(String reason, RobotPool.Changes changes, long now, List<ProducerRecord<String, byte[]>> out) {
    if (changes.isEmpty()) {
      return;
    }
    changed = true;
    JsonArray added = new JsonArray(changes.added().stream().map(RobotPool.Robot::id).toList());
    JsonArray removed = new JsonArray(changes.removed().stream().map(RobotPool.Robot::id).toList());
    out.add(EnvelopeRecords.record(matchConfig.orchestrationTopic(), "data.reason", envelope("robot.pool_scaled",
        reason + ":" + now + ":" + added.encode() + removed.encode(), null, new JsonObject().put("reason", reason)
            .put("added", added).put("removed", removed).put("total", pool.size()).put("busy", pool.busy()), now)));
  }

  private void robotEvent(String type, String name, JsonObject data, long now,
      List<ProducerRecord<String, byte[]>> out) {
    out.add(EnvelopeRecords.record(matchConfig.orchestrationTopic(), "data.robot_id", envelope(type, name,
        data.getString("match_id"), data.put("total", pool.size()).put("busy", pool.busy()), now)));
  }

  private static JsonObject envelope(String type, String name, String matchId, JsonObject data, long now) {
    return Envelope.derived(type, name, SOURCE, Instant.ofEpochMilli(now), matchId, data);
  }
}
