package com.necpgame.mesh.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The linear-time glob matcher against the regular-expression semantics it replaces, and its bounds at input. */
class TopicGlobTest {

  /** The translation used before: {@code *} as {@code .*}, {@code ?} as {@code .}, the rest quoted. */
  private static Pattern naive(String glob) {
    StringBuilder regex = new StringBuilder();
    for (char c : glob.toCharArray()) {
      regex.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
    }
    return Pattern.compile(regex.toString());
  }

  @Test
  void wildcardRunsAreNormalisedWithoutChangingWhatMatches() {
    assertEquals("??*", new String(TopicGlob.normalise("*?*?")));
    assertEquals("a?*b*", new String(TopicGlob.normalise("a*?**b**")));
    assertEquals("a?b", new String(TopicGlob.normalise("a?b")));
  }

  @Test
  void agreesWithTheNaiveRegexOnRandomGlobsAndNames() {
    Random random = new Random(15);
    String globAlphabet = "ab.*?";
    String nameAlphabet = "ab.";
    for (int i = 0; i < 20_000; i++) {
      String glob = random(random, globAlphabet, 1 + random.nextInt(8));
      String name = random(random, nameAlphabet, random.nextInt(10));
      boolean expected = naive(glob).matcher(name).matches();
      TopicGlob compiled = new TopicGlob(glob);
      assertEquals(expected, compiled.matches(name), glob + " vs " + name);
      assertEquals(expected, Pattern.compile(compiled.regex()).matcher(name).matches(),
          "regex " + compiled.regex() + " of " + glob + " vs " + name);
    }
  }

  @Test
  void itsRegexDoesNotBacktrackOnThePathologicalPattern() {
    Pattern regex = TopicPatterns.compile(List.of(TopicPatternsTest.PATHOLOGICAL)).regex();
    Pattern letters = TopicPatterns.compile(List.of("*a".repeat(16) + "*b")).regex();
    assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
      for (int i = 0; i < 1_000; i++) {
        assertFalse(regex.matcher(TopicPatternsTest.TOPIC).matches());
        assertFalse(letters.matcher("a".repeat(249)).matches());
      }
    });
    assertTrue(regex.matcher("x".repeat(124)).matches());
    assertFalse(regex.matcher("__" + "x".repeat(124)).matches(), "never Kafka's own topics");
  }

  @Test
  void clientGlobsAreBoundedInLengthAndStars() {
    assertNull(TopicPatterns.problem("game.*"));
    assertNull(TopicPatterns.problem("*".repeat(TopicPatterns.MAX_STARS)));
    assertEquals("at most 16 '*' wildcards, got 124", TopicPatterns.problem(TopicPatternsTest.PATHOLOGICAL));
    assertEquals("at most 249 characters, got 250", TopicPatterns.problem("a".repeat(250)));
    assertTrue(TopicPatterns.problem("game events").startsWith("expected a topic name or glob"));
  }

  private static String random(Random random, String alphabet, int length) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < length; i++) {
      out.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return out.toString();
  }
}
