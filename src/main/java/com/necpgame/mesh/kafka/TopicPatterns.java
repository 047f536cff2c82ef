package com.necpgame.mesh.kafka;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Topic globs as clients write them: {@code *} is any run of characters, dots included ({@code game.*} matches
 * {@code game.combat.events}), {@code ?} one character, everything else itself. Kafka's own {@code __} topics never
 * match. Globs are matched by {@link TopicGlob} (no regular expression: a backtracking one lets one client's pattern
 * stall a shared loop), and bounded at input to {@link #MAX_LENGTH} characters and {@link #MAX_STARS} stars.
 */
public final class TopicPatterns {

  /** What a glob may contain. */
  public static final Pattern GLOB = Pattern.compile("[a-zA-Z0-9._*?-]{1,249}");
  /** The longest glob accepted: the longest topic name Kafka allows. */
  public static final int MAX_LENGTH = 249;
  /** The most {@code *} one glob may hold. */
  public static final int MAX_STARS = 16;

  private TopicPatterns() {}

  /**
   * Globs compiled once and matched many times; any of them matching is a match. Two are equal when they hold the same
   * globs in the same order, so many subscriptions with the same patterns are matched once.
   */
  public static final class Globs {
    private final List<TopicGlob> globs;
    private final List<String> texts;

    private Globs(List<TopicGlob> globs) {
      this.globs = List.copyOf(globs);
      this.texts = globs.stream().map(TopicGlob::toString).toList();
    }

    public boolean matches(String topic) {
      return !topic.startsWith("__") && globs.stream().anyMatch(g -> g.matches(topic));
    }

    /**
     * The same globs as a regular expression for a Kafka consumer's pattern subscription, built so that it does not
     * backtrack ({@link TopicGlob#regex()}); Kafka's own {@code __} topics excluded.
     */
    public Pattern regex() {
      StringBuilder regex = new StringBuilder("(?!__)(?:");
      for (int i = 0; i < globs.size(); i++) {
        regex.append(i == 0 ? "" : "|").append("(?:").append(globs.get(i).regex()).append(')');
      }
      return Pattern.compile(regex.append(')').toString());
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Globs other && texts.equals(other.texts);
    }

    @Override
    public int hashCode() {
      return texts.hashCode();
    }

    @Override
    public String toString() {
      return texts.toString();
    }
  }

  public static Globs compile(Iterable<String> globs) {
    List<TopicGlob> compiled = new ArrayList<>();
    globs.forEach(g -> compiled.add(new TopicGlob(g)));
    return new Globs(compiled);
  }

  public static boolean matches(Globs compiled, String topic) {
    return compiled.matches(topic);
  }

  /** What is wrong with a glob a client sent, or null when it is acceptable. */
  public static String problem(String glob) {
    if (glob.length() > MAX_LENGTH) {
      return "at most " + MAX_LENGTH + " characters, got " + glob.length();
    }
    if (!GLOB.matcher(glob).matches()) {
      return "expected a topic name or glob such as game.* (a-z A-Z 0-9 . _ - * ?)";
    }
    long stars = glob.chars().filter(c -> c == '*').count();
    return stars > MAX_STARS ? "at most " + MAX_STARS + " '*' wildcards, got " + stars : null;
  }
}
