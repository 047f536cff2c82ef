package com.necpgame.mesh.robot;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The robots of the orchestration: instances of personality types, idle or busy in one match for one round. Assigns
 * robots to a round (never an excluded one, types mixed), releases them when their round completes (so one robot
 * plays rounds of many matches, one at a time), and scales by the rules: at least {@code minIdlePerType} idle of every
 * type, never more than {@code maxTotal}, one more of every type when the busy share reaches {@code scaleUpBusyRatio},
 * and an idle robot above the minimum retired after {@code scaleDownAfterMs}. A robot sent a command that stays silent
 * past {@code healthTimeoutMs} is replaced by a new one of its type. A robot remembers its answers in every match it
 * played until that match completes (the last {@link #MEMORY_MATCHES} matches at most), so when it meets a match
 * again it stays the same person. Time is given by the caller, so a test runs it on a fast clock.
 */
public final class RobotPool {

  /** The most matches a robot remembers its answers in; an older one is forgotten first. */
  public static final int MEMORY_MATCHES = 16;

  public enum Status { IDLE, BUSY }

  /**
   * One robot: its type, status, while busy its match and the round and identity letter it was assigned under, since
   * when in that status, since when a command is unanswered, and its answers by match and round (kept with the pool,
   * so they survive a restart).
   */
  public record Robot(String id, String type, Status status, String matchId, int round, String identity, long since,
      long awaitingSince, Map<String, SortedMap<Integer, String>> memory) {
    Robot busy(String match, int inRound, String as, long at) {
      return new Robot(id, type, Status.BUSY, match, inRound, as, at, awaitingSince, memory);
    }

    Robot idle(long at) {
      return new Robot(id, type, Status.IDLE, null, 0, null, at, awaitingSince, memory);
    }

    Robot awaiting(long at) {
      return new Robot(id, type, status, matchId, round, identity, since, at, memory);
    }

    Robot withMemory(long awaitingFrom, Map<String, SortedMap<Integer, String>> remembered) {
      return new Robot(id, type, status, matchId, round, identity, since, awaitingFrom, remembered);
    }

    /** Its answers in a match, by round (none when it never played there, or the match completed). */
    public SortedMap<Integer, String> answersIn(String match) {
      return memory.getOrDefault(match, NO_ANSWERS);
    }

    JsonObject toJson() {
      JsonObject remembered = new JsonObject();
      memory.forEach((match, answers) -> {
        JsonObject byRound = new JsonObject();
        answers.forEach((round, text) -> byRound.put(round.toString(), text));
        remembered.put(match, byRound);
      });
      return new JsonObject().put("id", id).put("type", type).put("status", status.name().toLowerCase())
          .put("match_id", matchId).put("round", round).put("identity", identity).put("since", since)
          .put("awaiting_since", awaitingSince).put("memory", remembered);
    }
  }

  /** A robot given to a round under an identity letter. */
  public record Assigned(String id, String type, String identity) {}

  /** What a scaling or health pass changed. */
  public record Changes(List<Robot> added, List<Robot> removed) {
    public boolean isEmpty() {
      return added.isEmpty() && removed.isEmpty();
    }
  }

  public record Rules(List<String> types, int minIdlePerType, int maxTotal, double scaleUpBusyRatio,
      long scaleDownAfterMs, long healthTimeoutMs) {}

  private static final SortedMap<Integer, String> NO_ANSWERS = Collections.unmodifiableSortedMap(new TreeMap<>());
  private static final Map<String, SortedMap<Integer, String>> NO_MEMORY = Map.of();

  private final Rules rules;
  private final Map<String, Robot> robots = new LinkedHashMap<>();
  /** Robots changed or removed since {@link #drainChanged()}. */
  private final Set<String> changed = new java.util.LinkedHashSet<>();
  /** Indexes kept with {@link #robots}: idle robots of each type (longest idle first), busy ones by match, silent ones. */
  private final Map<String, LinkedHashMap<String, Robot>> idleByType = new java.util.HashMap<>();
  private final Map<String, Set<String>> busyByMatch = new java.util.HashMap<>();
  private final Set<String> awaiting = new java.util.LinkedHashSet<>();
  /** Match id to the robots that remember answers in it. */
  private final Map<String, Set<String>> rememberedBy = new java.util.HashMap<>();
  private final List<Robot> spawned = new ArrayList<>();
  private long busyCount;
  private long nextId = 1;

  public RobotPool(Rules rules) {
    this.rules = rules;
  }

  /**
   * Up to {@code identities.size()} idle robots not in {@code exclude}, one per identity, types taken in turn; grows
   * the pool when idle robots run out and {@code maxTotal} allows. Fewer (or none) when the pool is full.
   */
  public List<Assigned> assign(String matchId, int round, List<String> identities, Collection<String> exclude,
      long now) {
    Set<String> excluded = Set.copyOf(exclude);
    List<Assigned> out = new ArrayList<>();
    int turn = Math.floorMod(matchId.hashCode(), rules.types().size());
    for (String identity : identities) {
      Robot pick = null;
      for (int t = 0; t < rules.types().size() && pick == null; t++) {
        String type = rules.types().get((turn + t) % rules.types().size());
        for (Robot r : idleByType.getOrDefault(type, new LinkedHashMap<>()).values()) {
          if (!excluded.contains(r.id())) {
            pick = r;
            break;
          }
        }
        if (pick == null && robots.size() < rules.maxTotal()) {
          pick = spawn(type, now);
        }
      }
      if (pick == null) {
        break;
      }
      turn++;
      put(pick.id(), pick.busy(matchId, round, identity, now));
      out.add(new Assigned(pick.id(), pick.type(), identity));
    }
    return out;
  }

  /** The robots a round of a match was given, by identity letter (none when it was not given any yet). */
  public List<Assigned> assignedTo(String matchId, int round) {
    return busyByMatch.getOrDefault(matchId, Set.of()).stream().map(robots::get).filter(r -> r.round() == round)
        .sorted(Comparator.comparing(Robot::identity)).map(r -> new Assigned(r.id(), r.type(), r.identity())).toList();
  }

  /** The robots of a match's round become idle (they keep their memory of the match); returns them. */
  public List<Robot> releaseRound(String matchId, int round, long now) {
    List<Robot> released = new ArrayList<>();
    for (String id : List.copyOf(busyByMatch.getOrDefault(matchId, Set.of()))) {
      Robot r = robots.get(id);
      if (r.round() == round) {
        Robot idle = r.idle(now);
        put(id, idle);
        released.add(idle);
      }
    }
    return released;
  }

  /**
   * The match is over: every robot still busy in it becomes idle (returned), and every robot forgets its answers in
   * it.
   */
  public List<Robot> release(String matchId, long now) {
    List<Robot> released = new ArrayList<>();
    for (String id : List.copyOf(busyByMatch.getOrDefault(matchId, Set.of()))) {
      Robot idle = robots.get(id).idle(now);
      put(id, idle);
      released.add(idle);
    }
    for (String id : List.copyOf(rememberedBy.getOrDefault(matchId, Set.of()))) {
      Robot r = robots.get(id);
      Map<String, SortedMap<Integer, String>> memory = new LinkedHashMap<>(r.memory());
      memory.remove(matchId);
      put(id, r.withMemory(r.awaitingSince(), Collections.unmodifiableMap(memory)));
    }
    return released;
  }

  /** A command went to the robot: it must answer within the health timeout. */
  public void commanded(String robotId, long now) {
    Robot r = robots.get(robotId);
    if (r != null && r.awaitingSince() == 0) {
      put(robotId, r.awaiting(now));
    }
  }

  /**
   * The robot answered: a vote ({@code text} null), or its answer to a round of a match, remembered (once) whether or
   * not the round is still under way when the answer is read.
   */
  public void answered(String robotId, String matchId, int round, String text) {
    Robot r = robots.get(robotId);
    if (r == null) {
      return;
    }
    boolean keep = text != null && matchId != null && !r.answersIn(matchId).containsKey(round);
    if (r.awaitingSince() != 0 || keep) {
      Map<String, SortedMap<Integer, String>> memory = r.memory();
      if (keep) {
        memory = new LinkedHashMap<>(memory);
        SortedMap<Integer, String> answers = new TreeMap<>(memory.getOrDefault(matchId, NO_ANSWERS));
        answers.put(round, text);
        memory.remove(matchId); // the match last played goes last, the eldest first out
        memory.put(matchId, Collections.unmodifiableSortedMap(answers));
        while (memory.size() > MEMORY_MATCHES) {
          memory.remove(memory.keySet().iterator().next());
        }
        memory = Collections.unmodifiableMap(memory);
      }
      put(robotId, r.withMemory(0, memory));
    }
  }

  /** Robots silent past the health timeout are removed, each replaced by a new idle robot of its type. */
  public Changes checkHealth(long now) {
    List<Robot> added = new ArrayList<>();
    List<Robot> removed = new ArrayList<>();
    for (String id : awaiting) {
      Robot r = robots.get(id);
      if (now - r.awaitingSince() > rules.healthTimeoutMs()) {
        removed.add(r);
      }
    }
    for (Robot r : removed) {
      remove(r.id());
      added.add(spawn(r.type(), now));
    }
    return new Changes(added, removed);
  }

  public Changes scale(long now) {
    List<Robot> added = new ArrayList<>();
    List<Robot> removed = new ArrayList<>();
    for (String type : rules.types()) {
      while (idle(type) < rules.minIdlePerType() && robots.size() < rules.maxTotal()) {
        added.add(spawn(type, now));
      }
    }
    if (!robots.isEmpty() && busy() >= rules.scaleUpBusyRatio() * robots.size()) {
      for (String type : rules.types()) {
        if (robots.size() < rules.maxTotal()) {
          added.add(spawn(type, now));
        }
      }
    } else {
      for (String type : rules.types()) {
        List<Robot> idle = idleByType.getOrDefault(type, new LinkedHashMap<>()).values().stream()
            .sorted(Comparator.comparingLong(Robot::since)).toList();
        for (int i = 0; i < idle.size() - rules.minIdlePerType(); i++) {
          if (now - idle.get(i).since() >= rules.scaleDownAfterMs()) {
            remove(idle.get(i).id());
            removed.add(idle.get(i));
          }
        }
      }
    }
    return new Changes(added, removed);
  }

  private void put(String id, Robot r) {
    unindex(robots.put(id, r));
    index(r);
    changed.add(id);
  }

  private void remove(String id) {
    unindex(robots.remove(id));
    changed.add(id);
  }

  private void index(Robot r) {
    if (r.status() == Status.IDLE) {
      idleByType.computeIfAbsent(r.type(), t -> new LinkedHashMap<>()).put(r.id(), r);
    } else {
      busyByMatch.computeIfAbsent(r.matchId(), m -> new java.util.HashSet<>()).add(r.id());
      busyCount++;
    }
    if (r.awaitingSince() != 0) {
      awaiting.add(r.id());
    }
    r.memory().keySet().forEach(m -> rememberedBy.computeIfAbsent(m, k -> new java.util.HashSet<>()).add(r.id()));
  }

  private void unindex(Robot r) {
    if (r == null) {
      return;
    }
    if (r.status() == Status.IDLE) {
      idleByType.get(r.type()).remove(r.id());
    } else {
      Set<String> ofMatch = busyByMatch.get(r.matchId());
      ofMatch.remove(r.id());
      if (ofMatch.isEmpty()) {
        busyByMatch.remove(r.matchId());
      }
      busyCount--;
    }
    awaiting.remove(r.id());
    for (String m : r.memory().keySet()) {
      Set<String> of = rememberedBy.get(m);
      of.remove(r.id());
      if (of.isEmpty()) {
        rememberedBy.remove(m);
      }
    }
  }

  /**
   * What changed since the last call, for the compacted state topic: robot id to its JSON, or to null when it is gone
   * (a tombstone).
   */
  public Map<String, JsonObject> drainChanged() {
    Map<String, JsonObject> out = new LinkedHashMap<>();
    changed.forEach(id -> out.put(id, robots.containsKey(id) ? robots.get(id).toJson() : null));
    changed.clear();
    return out;
  }

  public long nextId() {
    return nextId;
  }

  /** A pool from its state records: each robot's JSON, and the next id to give. */
  public static RobotPool restore(Rules rules, long nextId, java.util.Collection<JsonObject> saved) {
    RobotPool pool = new RobotPool(rules);
    pool.nextId = nextId;
    saved.stream().sorted(Comparator.comparingLong(r -> Long.parseLong(r.getString("id").substring("robot-".length()))))
        .forEach(r -> {
          Robot robot = robotOf(r);
          pool.robots.put(robot.id(), robot);
          pool.index(robot);
        });
    return pool;
  }

  private static Robot robotOf(JsonObject r) {
    Map<String, SortedMap<Integer, String>> memory = new LinkedHashMap<>();
    JsonObject saved = r.getJsonObject("memory");
    if (saved != null) {
      saved.forEach(e -> memory.put(e.getKey(), answersOf((JsonObject) e.getValue())));
    } else if (r.getString("match_id") != null && r.getJsonObject("answers") != null) {
      memory.put(r.getString("match_id"), answersOf(r.getJsonObject("answers"))); // written before memory by match
    }
    return new Robot(r.getString("id"), r.getString("type"), Status.valueOf(r.getString("status").toUpperCase()),
        r.getString("match_id"), r.getInteger("round", 0), r.getString("identity"), r.getLong("since"),
        r.getLong("awaiting_since"), Collections.unmodifiableMap(memory));
  }

  private static SortedMap<Integer, String> answersOf(JsonObject json) {
    SortedMap<Integer, String> answers = new TreeMap<>();
    json.forEach(e -> answers.put(Integer.valueOf(e.getKey()), String.valueOf(e.getValue())));
    return Collections.unmodifiableSortedMap(answers);
  }

  private Robot spawn(String type, long now) {
    Robot r = new Robot("robot-" + nextId++, type, Status.IDLE, null, 0, null, now, 0, NO_MEMORY);
    put(r.id(), r);
    spawned.add(r);
    return r;
  }

  /** The robots created since the last call (by an assignment, a scaling or a health pass). */
  public List<Robot> drainSpawned() {
    List<Robot> out = List.copyOf(spawned);
    spawned.clear();
    return out;
  }

  public Rules rules() {
    return rules;
  }

  public int size() {
    return robots.size();
  }

  public long busy() {
    return busyCount;
  }

  public long idle(String type) {
    LinkedHashMap<String, Robot> idle = idleByType.get(type);
    return idle == null ? 0 : idle.size();
  }

  public Robot robot(String id) {
    return robots.get(id);
  }

  public JsonObject toJson() {
    JsonArray all = new JsonArray();
    robots.values().forEach(r -> all.add(r.toJson()));
    return new JsonObject().put("next_id", nextId).put("size", robots.size()).put("busy", busy()).put("robots", all);
  }
}
