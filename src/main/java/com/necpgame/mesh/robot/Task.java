package com.necpgame.mesh.robot;

import java.util.List;
import java.util.Map;

/**
 * What a robot is asked: answer the round's prompt ({@link Kind#RESPONSE}) or name the identity it thinks is the
 * human among the round's answers ({@link Kind#VOTE}), in its personality, remembering its earlier answers.
 */
public record Task(Kind kind, String robotId, String type, String matchId, int round, String prompt,
    List<String> history, String ownIdentity, Map<String, String> responses) {

  public enum Kind { RESPONSE, VOTE }
}
