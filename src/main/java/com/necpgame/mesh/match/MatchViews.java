package com.necpgame.mesh.match;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What this process knows of every match, whichever process owns it: the latest saved copy of each, from
 * {@code match-state} or from this process's own changes before they come back from it; a copy replaces another only
 * when its version is higher. The copies are never changed once offered, so any thread may read them.
 */
public final class MatchViews {

  /** Why the player's answer or vote is refused: the status and what to tell them. */
  public record Refusal(int code, String message) {}

  private final Map<String, Match> latest = new ConcurrentHashMap<>();

  /** Keeps {@code copy} when it is newer than what is known of its match; true when it was (tell the followers). */
  public boolean offer(Match copy) {
    Match kept = latest.merge(copy.id(), copy, (known, newer) -> newer.version() > known.version() ? newer : known);
    return kept == copy;
  }

  /** The latest copy of a match, or null. */
  public Match get(String id) {
    return latest.get(id);
  }

  /** The match as its player sees it (never the token's hash), or null. */
  public JsonObject view(String id) {
    Match m = latest.get(id);
    return m == null ? null : m.view();
  }

  /** Which matches {@link #list} shows. */
  public enum Listing { ACTIVE, COMPLETED, ALL }

  /**
   * {@code {total, active, completed, matches}}: how many matches are known, under way and over, and the first
   * {@code limit} of those {@code which} asks for, by id, each {@code {match_id, phase, round, rounds, participants,
   * deadline_ms, version}} and its {@code player_id} when {@code withPlayers} (never a token, prompt or answer).
   */
  public JsonObject list(Listing which, int limit, boolean withPlayers) {
    List<Match> all = new ArrayList<>(latest.values());
    long completed = all.stream().filter(m -> m.phase() == Match.Phase.COMPLETED).count();
    List<Match> shown = all.stream()
        .filter(m -> which == Listing.ALL || (m.phase() == Match.Phase.COMPLETED) == (which == Listing.COMPLETED))
        .sorted(Comparator.comparing(Match::id)).toList();
    JsonArray page = new JsonArray();
    for (Match m : shown.subList(0, Math.min(limit, shown.size()))) {
      JsonObject v = m.view();
      JsonObject row = new JsonObject().put("match_id", m.id()).put("phase", v.getString("phase"))
          .put("round", m.round()).put("rounds", v.getInteger("rounds"))
          .put("participants", v.getJsonArray("participants").size()).put("deadline_ms", v.getValue("deadline_ms"))
          .put("version", m.version());
      page.add(withPlayers ? row.put("player_id", m.playerId()) : row);
    }
    return new JsonObject().put("total", shown.size()).put("active", all.size() - completed)
        .put("completed", completed).put("matches", page);
  }

  /**
   * Why the player's answer ({@code response}) or vote for {@code value} in {@code round} may not go to match
   * {@code m} (null: unknown) now, or null when it may: 404 unknown, 403 for another token, 409 when the match is
   * over or not in that round's answering (or voting) phase, or the player did that already.
   */
  public static Refusal refusal(String id, Match m, String tokenHash, boolean response, int round, String value) {
    if (m == null) {
      return new Refusal(404, "no match " + id);
    }
    if (!m.tokenHash().equals(tokenHash)) {
      return new Refusal(403, "the token is not the one of this match's player");
    }
    if (m.phase() == Match.Phase.COMPLETED) {
      return new Refusal(409, "match " + id + " is over");
    }
    if (response ? m.canRespond(round, Match.HUMAN) : m.canVote(round, Match.HUMAN, value)) {
      return null;
    }
    return new Refusal(409, "not accepted now: the match is in round " + m.round() + ", phase "
        + m.phase().name().toLowerCase() + (response ? " (one answer per round, while responding)"
        : " (one vote per round, while voting, for another participant)"));
  }
}
