package com.necpgame.mesh.match;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * One match: a human among robots for a number of rounds; in each round every participant answers a prompt under an
 * identity letter, then everyone votes on which letter is the human. The state machine is driven by inputs
 * ({@link #robotsAssigned}, {@link #response}, {@link #vote}) and by time ({@link #tick}); each step returns the events
 * it emits, in order. Duplicate and out-of-phase inputs change nothing. The whole state round-trips through JSON
 * ({@link #toJson}, {@link #fromJson}) so a restarted process resumes from the compacted {@code match-state} topic.
 */
public final class Match {

  public static final String HUMAN = "human";

  public enum Phase { ASSIGNING, RESPONDING, VOTING, COMPLETED }

  public record Out(String type, JsonObject data) {}

  /** The match's fixed settings, chosen at creation. */
  public record Rules(int rounds, int robotsPerRound, long roundMs, long votingMs, long assignTimeoutMs,
      boolean excludePreviousRobots) {}

  private final String id;
  private final String playerId;
  private final String tokenHash;
  private final Rules rules;
  private final List<String> prompts;
  private Phase phase;
  private int round;
  private long deadline;
  private String prompt;
  private String humanIdentity;
  /** Identity letter -> participant id (a robot id or {@link #HUMAN}) of the current round. */
  private final Map<String, String> participants = new TreeMap<>();
  private final Map<String, String> responses = new TreeMap<>();
  /** Voter identity -> identity voted for. */
  private final Map<String, String> votes = new TreeMap<>();
  private final Set<String> usedRobots = new LinkedHashSet<>();
  private final Map<String, Integer> scores = new TreeMap<>();
  private final JsonArray results = new JsonArray();
  /** How many times this state was saved: of two copies of a match, the one with the higher version is newer. */
  private long version;

  private Match(String id, String playerId, String tokenHash, Rules rules, List<String> prompts) {
    this.id = id;
    this.playerId = playerId;
    this.tokenHash = tokenHash;
    this.rules = rules;
    this.prompts = List.copyOf(prompts);
  }

  /** A new match, already in its first round's assignment: match.created, round.starting, round.robots_needed. */
  public static Match create(String id, String playerId, String tokenHash, Rules rules, List<String> prompts, long now,
      List<Out> out) {
    Match m = new Match(id, playerId, tokenHash, rules, prompts);
    m.scores.put(HUMAN, 0);
    out.add(new Out("match.created", new JsonObject().put("match_id", id).put("player_id", playerId)
        .put("rounds", rules.rounds()).put("robots_per_round", rules.robotsPerRound())
        .put("round_ms", rules.roundMs()).put("voting_ms", rules.votingMs())));
    m.startRound(1, now, out);
    return m;
  }

  private void startRound(int number, long now, List<Out> out) {
    round = number;
    phase = Phase.ASSIGNING;
    deadline = now + rules.assignTimeoutMs();
    participants.clear();
    responses.clear();
    votes.clear();
    Random random = new Random(seed());
    prompt = prompts.get(Math.floorMod(random.nextInt() + number, prompts.size()));
    List<String> letters = letters(rules.robotsPerRound() + 1);
    humanIdentity = letters.remove(random.nextInt(letters.size()));
    participants.put(humanIdentity, HUMAN);
    out.add(new Out("round.starting", base().put("prompt", prompt)));
    out.add(new Out("round.robots_needed", base().put("count", rules.robotsPerRound())
        .put("exclude_robots", new JsonArray(rules.excludePreviousRobots() ? new ArrayList<>(usedRobots) : List.of()))
        .put("identities", new JsonArray(letters)).put("correlation_id", correlationId())));
  }

  /** The robots a round asked for: the round starts with them (fewer than asked is fine). */
  public void robotsAssigned(int forRound, String correlation, JsonArray robots, long now, List<Out> out) {
    if (phase != Phase.ASSIGNING || forRound != round || !correlationId().equals(correlation)) {
      return;
    }
    for (int i = 0; i < robots.size(); i++) {
      JsonObject r = robots.getJsonObject(i);
      String identity = r.getString("identity");
      String robot = r.getString("id");
      if (identity != null && robot != null && !participants.containsKey(identity) && !HUMAN.equals(robot)) {
        participants.put(identity, robot);
        usedRobots.add(robot);
        scores.putIfAbsent(robot, 0);
      }
    }
    begin(now, out);
  }

  private void begin(long now, List<Out> out) {
    phase = Phase.RESPONDING;
    deadline = now + rules.roundMs();
    out.add(new Out("round.started", base().put("prompt", prompt)
        .put("participants", new JsonArray(new ArrayList<>(participants.keySet()))).put("robots", robots())
        .put("deadline_ms", deadline)));
  }

  /** The round's robots and their letters: whom the orchestration sends commands to. */
  private JsonArray robots() {
    JsonArray robots = new JsonArray();
    participants.forEach((identity, who) -> {
      if (!HUMAN.equals(who)) {
        robots.add(new JsonObject().put("id", who).put("identity", identity));
      }
    });
    return robots;
  }

  /**
   * A participant's answer ({@code who} is a robot id or {@link #HUMAN}); false when it does not count (not this
   * round, not responding, not a participant, already answered).
   */
  public boolean response(int forRound, String who, String text, long now, List<Out> out) {
    if (!canRespond(forRound, who)) {
      return false;
    }
    responses.put(identityOf(who), text);
    if (responses.size() == participants.size()) {
      startVoting(now, out);
    }
    return true;
  }

  private void startVoting(long now, List<Out> out) {
    phase = Phase.VOTING;
    deadline = now + rules.votingMs();
    JsonArray answers = new JsonArray();
    participants.keySet().forEach(identity -> answers.add(new JsonObject().put("identity", identity)
        .put("text", responses.get(identity))));
    out.add(new Out("round.voting_started", base().put("prompt", prompt).put("responses", answers)
        .put("robots", robots()).put("deadline_ms", deadline)));
  }

  /** Whether an answer of {@code who} for round {@code forRound} would count now. */
  public boolean canRespond(int forRound, String who) {
    String identity = identityOf(who);
    return phase == Phase.RESPONDING && forRound == round && identity != null && !responses.containsKey(identity);
  }

  /** A vote for the identity its voter thinks is the human; false when it does not count. */
  public boolean vote(int forRound, String who, String votedIdentity, long now, List<Out> out) {
    if (!canVote(forRound, who, votedIdentity)) {
      return false;
    }
    votes.put(identityOf(who), votedIdentity);
    if (votes.size() == participants.size()) {
      completeRound(now, out);
    }
    return true;
  }

  /** Whether a vote of {@code who} for {@code votedIdentity} in round {@code forRound} would count now. */
  public boolean canVote(int forRound, String who, String votedIdentity) {
    String identity = identityOf(who);
    return phase == Phase.VOTING && forRound == round && identity != null && !votes.containsKey(identity)
        && participants.containsKey(votedIdentity) && !identity.equals(votedIdentity);
  }

  /** Closes a phase whose deadline passed: assignment without robots, responses or votes missing. */
  public void tick(long now, List<Out> out) {
    if (phase == Phase.COMPLETED || now < deadline) {
      return;
    }
    switch (phase) {
      case ASSIGNING -> begin(now, out);
      case RESPONDING -> startVoting(now, out);
      case VOTING -> completeRound(now, out);
      default -> { }
    }
  }

  /**
   * Scoring: the human gains a point for every robot that did not vote for the human; a robot gains a point for
   * spotting the human and a point for every vote it drew (it passed as human).
   */
  private void completeRound(long now, List<Out> out) {
    Map<String, Integer> gained = new TreeMap<>();
    participants.values().forEach(p -> gained.put(p, 0));
    votes.forEach((voter, voted) -> {
      String voterId = participants.get(voter);
      String votedId = participants.get(voted);
      if (!HUMAN.equals(voterId)) {
        gained.merge(HUMAN.equals(votedId) ? voterId : HUMAN, 1, Integer::sum);
      }
      if (!HUMAN.equals(votedId)) {
        gained.merge(votedId, 1, Integer::sum);
      }
    });
    participants.values().stream().filter(p -> !HUMAN.equals(p) && !votes.containsKey(identityOf(p)))
        .forEach(p -> gained.merge(HUMAN, 1, Integer::sum));
    gained.forEach((p, n) -> scores.merge(p, n, Integer::sum));
    JsonArray cast = new JsonArray();
    votes.forEach((voter, voted) -> cast.add(new JsonObject().put("voter", voter).put("voted", voted)));
    JsonObject result = base().put("human_identity", humanIdentity).put("votes", cast)
        .put("identities", json(participants)).put("points", json(gained)).put("scores", json(scores));
    results.add(result.copy());
    out.add(new Out("round.completed", result));
    if (round >= rules.rounds()) {
      phase = Phase.COMPLETED;
      deadline = Long.MAX_VALUE;
      String winner = scores.entrySet().stream().max(Map.Entry.<String, Integer>comparingByValue()
          .thenComparing(e -> HUMAN.equals(e.getKey()) ? 1 : 0)).map(Map.Entry::getKey).orElse(HUMAN);
      out.add(new Out("match.completed", new JsonObject().put("match_id", id).put("player_id", playerId)
          .put("rounds", round).put("scores", json(scores)).put("winner", winner)
          .put("robots", new JsonArray(new ArrayList<>(usedRobots)))));
    } else {
      startRound(round + 1, now, out);
    }
  }

  /** A map of names (identities, participants) as a JSON object, in the map's order. */
  private static JsonObject json(Map<String, ?> map) {
    return new JsonObject(new LinkedHashMap<>(map));
  }

  private String identityOf(String who) {
    for (Map.Entry<String, String> e : participants.entrySet()) {
      if (e.getValue().equals(who)) {
        return e.getKey();
      }
    }
    return null;
  }

  private JsonObject base() {
    return new JsonObject().put("match_id", id).put("round", round);
  }

  /** The request id of a round's robot request, which the assignment answers. */
  public String correlationId() {
    return "robots:" + id + ":" + round;
  }

  private long seed() {
    return id.hashCode() * 31L + round;
  }

  private static List<String> letters(int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(String.valueOf((char) ('A' + i)));
    }
    return out;
  }

  public String id() {
    return id;
  }

  public String playerId() {
    return playerId;
  }

  public String tokenHash() {
    return tokenHash;
  }

  public long version() {
    return version;
  }

  /** Counts one more save of this state (before it is written). */
  public void saving() {
    version++;
  }

  public Phase phase() {
    return phase;
  }

  public int round() {
    return round;
  }

  public long deadline() {
    return deadline;
  }

  public String humanIdentity() {
    return humanIdentity;
  }

  public Map<String, Integer> scores() {
    return Map.copyOf(scores);
  }

  /** What the human may see: no robot ids, no other identity's owner until a round is over. */
  public JsonObject view() {
    JsonObject v = new JsonObject().put("match_id", id).put("player_id", playerId).put("phase", phase.name().toLowerCase())
        .put("round", round).put("rounds", rules.rounds()).put("prompt", prompt).put("your_identity", humanIdentity)
        .put("participants", new JsonArray(new ArrayList<>(participants.keySet())))
        .put("deadline_ms", deadline == Long.MAX_VALUE ? null : deadline)
        .put("responded", new JsonArray(new ArrayList<>(responses.keySet())))
        .put("voted", new JsonArray(new ArrayList<>(votes.keySet())))
        .put("results", playerResults());
    if (phase == Phase.VOTING) {
      JsonArray answers = new JsonArray();
      responses.forEach((identity, text) -> answers.add(new JsonObject().put("identity", identity).put("text", text)));
      v.put("responses", answers);
    }
    if (phase == Phase.COMPLETED) {
      v.put("your_score", scores.get(HUMAN)).put("robot_scores", new JsonArray(scores.entrySet().stream()
          .filter(e -> !HUMAN.equals(e.getKey())).map(Map.Entry::getValue).sorted((a, b) -> b - a).toList()));
    }
    return v;
  }

  /** Each finished round as the player may see it: letters and votes, their points, never a robot's id. */
  private JsonArray playerResults() {
    JsonArray out = new JsonArray();
    for (Object o : results) {
      JsonObject r = (JsonObject) o;
      out.add(new JsonObject().put("round", r.getInteger("round")).put("human_identity", r.getString("human_identity"))
          .put("votes", r.getJsonArray("votes").copy()).put("your_points", r.getJsonObject("points").getInteger(HUMAN))
          .put("your_score", r.getJsonObject("scores").getInteger(HUMAN)));
    }
    return out;
  }

  public JsonObject toJson() {
    return new JsonObject().put("id", id).put("player_id", playerId).put("token_hash", tokenHash)
        .put("rules", new JsonObject().put("rounds", rules.rounds()).put("robots_per_round", rules.robotsPerRound())
            .put("round_ms", rules.roundMs()).put("voting_ms", rules.votingMs())
            .put("assign_timeout_ms", rules.assignTimeoutMs()).put("exclude", rules.excludePreviousRobots()))
        .put("prompts", new JsonArray(prompts)).put("phase", phase.name()).put("round", round)
        .put("deadline", deadline).put("prompt", prompt).put("human_identity", humanIdentity)
        .put("participants", json(participants)).put("responses", json(responses)).put("votes", json(votes))
        .put("used_robots", new JsonArray(new ArrayList<>(usedRobots))).put("scores", json(scores))
        .put("results", results.copy()).put("version", version);
  }

  public static Match fromJson(JsonObject j) {
    JsonObject r = j.getJsonObject("rules");
    Match m = new Match(j.getString("id"), j.getString("player_id"), j.getString("token_hash"),
        new Rules(r.getInteger("rounds"), r.getInteger("robots_per_round"), r.getLong("round_ms"),
            r.getLong("voting_ms"), r.getLong("assign_timeout_ms"), r.getBoolean("exclude")),
        j.getJsonArray("prompts").stream().map(String::valueOf).toList());
    m.phase = Phase.valueOf(j.getString("phase"));
    m.round = j.getInteger("round");
    m.deadline = j.getLong("deadline");
    m.prompt = j.getString("prompt");
    m.humanIdentity = j.getString("human_identity");
    j.getJsonObject("participants").forEach(e -> m.participants.put(e.getKey(), (String) e.getValue()));
    j.getJsonObject("responses").forEach(e -> m.responses.put(e.getKey(), (String) e.getValue()));
    j.getJsonObject("votes").forEach(e -> m.votes.put(e.getKey(), (String) e.getValue()));
    j.getJsonArray("used_robots").forEach(u -> m.usedRobots.add((String) u));
    j.getJsonObject("scores").forEach(e -> m.scores.put(e.getKey(), ((Number) e.getValue()).intValue()));
    j.getJsonArray("results").forEach(x -> m.results.add(x));
    m.version = j.getLong("version", 0L);
    return m;
  }

  /** Identity -> participant (robot id or human) of the current round; for tests and the orchestration's commands. */
  public Map<String, String> participants() {
    return new LinkedHashMap<>(participants);
  }
}
