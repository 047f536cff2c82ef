package com.necpgame.mesh.kafka;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One topic glob, matched without backtracking blow-up: {@code *} is any run of characters (dots included), {@code ?}
 * one character, everything else itself. The glob is first normalised so that in each run of wildcards the {@code ?}
 * come before a single {@code *} ({@code *?*?} becomes {@code ??*}: the same set of names), then matched by the
 * two-pointer star-backtrack algorithm, which only ever returns to the last {@code *} seen: at most (topic length) ×
 * (glob length) steps, and a topic shorter than the glob's fixed characters is refused at once. A regular expression
 * built the naive way ({@code *} as {@code .*}) takes exponential time on {@code *?} repeated against a non-matching
 * name; this is the fix for that.
 */
public final class TopicGlob {

  private final String text;
  private final char[] glob;
  /** Characters a matching topic has at least: the glob's non-{@code *} ones. */
  private final int fixed;
  private final boolean hasStar;

  public TopicGlob(String text) {
    this.text = text;
    this.glob = normalise(text);
    int stars = 0;
    for (char c : glob) {
      stars += c == '*' ? 1 : 0;
    }
    this.fixed = glob.length - stars;
    this.hasStar = stars > 0;
  }

  /** Whether the whole of {@code topic} matches (Kafka's own {@code __} topics are the caller's business). */
  public boolean matches(String topic) {
    int n = topic.length();
    if (n < fixed || (!hasStar && n != fixed)) {
      return false;
    }
    int m = glob.length;
    int g = 0;
    int t = 0;
    int star = -1;
    int resume = 0;
    while (t < n) {
      if (g < m && (glob[g] == '?' || glob[g] == topic.charAt(t))) {
        g++;
        t++;
      } else if (g < m && glob[g] == '*') {
        star = g++;
        resume = t;
      } else if (star >= 0) {
        g = star + 1;
        t = ++resume;
      } else {
        return false;
      }
    }
    while (g < m && glob[g] == '*') {
      g++;
    }
    return g == m;
  }

  /**
   * A regular expression matching the same names in linear-ish time, for APIs that take one (a Kafka consumer's
   * pattern subscription): the part before the first {@code *} anchored at the start, each part between two stars as
   * an atomic group {@code (?>.*?part)} that settles on its leftmost occurrence (always enough for a glob, and never
   * revisited), and the last part anchored at the end.
   */
  public String regex() {
    List<String> parts = new ArrayList<>();
    StringBuilder part = new StringBuilder();
    for (char c : glob) {
      if (c == '*') {
        parts.add(part.toString());
        part.setLength(0);
      } else {
        part.append(c);
      }
    }
    parts.add(part.toString());
    StringBuilder regex = new StringBuilder(literal(parts.get(0)));
    for (int i = 1; i < parts.size() - 1; i++) {
      if (!parts.get(i).isEmpty()) {
        regex.append("(?>.*?").append(literal(parts.get(i))).append(')');
      }
    }
    if (parts.size() > 1) {
      regex.append(".*").append(literal(parts.get(parts.size() - 1)));
    }
    return regex.toString();
  }

  private static String literal(String part) {
    StringBuilder out = new StringBuilder();
    for (char c : part.toCharArray()) {
      out.append(c == '?' ? "." : Pattern.quote(String.valueOf(c)));
    }
    return out.toString();
  }

  /** In each run of wildcards holding a {@code *}: its {@code ?} first, then one {@code *}. */
  static char[] normalise(String glob) {
    StringBuilder out = new StringBuilder(glob.length());
    int i = 0;
    while (i < glob.length()) {
      char c = glob.charAt(i);
      if (c != '*' && c != '?') {
        out.append(c);
        i++;
        continue;
      }
      int singles = 0;
      boolean star = false;
      while (i < glob.length() && (glob.charAt(i) == '*' || glob.charAt(i) == '?')) {
        if (glob.charAt(i) == '?') {
          singles++;
        } else {
          star = true;
        }
        i++;
      }
      out.append("?".repeat(singles)).append(star ? "*" : "");
    }
    return out.toString().toCharArray();
  }

  @Override
  public String toString() {
    return text;
  }
}
