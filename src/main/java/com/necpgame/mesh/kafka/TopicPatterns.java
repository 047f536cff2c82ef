package com.necpgame.mesh.kafka;

import java.util.regex.Pattern;

/**
 * Topic globs as clients write them: {@code *} is any run of characters, dots included ({@code game.*} matches
 * {@code game.combat.events}), {@code ?} one character, everything else itself. Kafka's own {@code __} topics never
 * match.
 */
public final class TopicPatterns {

  /** What a glob may contain. */
  public static final Pattern GLOB = Pattern.compile("[a-zA-Z0-9._*?-]{1,249}");

  private TopicPatterns() {}

  /** One regular expression matching any of the globs. */
  public static Pattern compile(Iterable<String> globs) {
    StringBuilder regex = new StringBuilder();
    for (String glob : globs) {
      regex.append(regex.length() == 0 ? "" : "|").append("(?:");
      for (char c : glob.toCharArray()) {
        switch (c) {
          case '*' -> regex.append(".*");
          case '?' -> regex.append('.');
          default -> regex.append(Pattern.quote(String.valueOf(c)));
        }
      }
      regex.append(')');
    }
    return Pattern.compile(regex.toString());
  }

  public static boolean matches(Pattern compiled, String topic) {
    return !topic.startsWith("__") && compiled.matcher(topic).matches();
  }
}
