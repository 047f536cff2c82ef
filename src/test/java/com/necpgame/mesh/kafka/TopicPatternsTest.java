package com.necpgame.mesh.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The globs every topic pattern is matched with (ACLs, subscriptions, WebSocket streams). */
class TopicPatternsTest {

  /** The attack of issue 15, finding 5a: {@code *?} 124 times, against a 26-character topic name it cannot match. */
  static final String PATHOLOGICAL = "*?".repeat(124);
  static final String TOPIC = "game.combat.events.region1";

  @Test
  void pathologicalPatternIsMatchedInLinearTime() {
    var compiled = TopicPatterns.compile(List.of(PATHOLOGICAL));
    // The regular expression this replaces takes ~2^26 steps per call; 10,000 calls here are a few million steps.
    assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
      for (int i = 0; i < 10_000; i++) {
        assertFalse(TopicPatterns.matches(compiled, TOPIC), "124 characters at least: a 26-character name is short");
      }
    });
    assertTrue(TopicPatterns.matches(compiled, "x".repeat(124)));
    assertTrue(TopicPatterns.matches(compiled, "x".repeat(200)));
  }

  @Test
  void manyStarsBetweenLettersStayLinear() {
    // Not normalisable away: a star before each letter, and a last letter that is never there.
    var compiled = TopicPatterns.compile(List.of("*a".repeat(100) + "*b"));
    String topic = "a".repeat(249);
    assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
      for (int i = 0; i < 1_000; i++) {
        assertFalse(TopicPatterns.matches(compiled, topic));
      }
    });
    assertTrue(TopicPatterns.matches(compiled, "a".repeat(100) + "b"));
  }

  @Test
  void documentedSemanticsAreKept() {
    var game = TopicPatterns.compile(List.of("game.*"));
    assertTrue(TopicPatterns.matches(game, "game.combat.events"), "* crosses dots");
    assertTrue(TopicPatterns.matches(game, "game."), "* may be empty");
    assertFalse(TopicPatterns.matches(game, "game"));
    assertFalse(TopicPatterns.matches(game, "xgame.combat"), "whole names only");
    var one = TopicPatterns.compile(List.of("match-?"));
    assertTrue(TopicPatterns.matches(one, "match-1"));
    assertFalse(TopicPatterns.matches(one, "match-12"), "? is one character");
    assertFalse(TopicPatterns.matches(one, "match-"));
    var any = TopicPatterns.compile(List.of("*"));
    assertTrue(TopicPatterns.matches(any, "simulation.event"));
    assertFalse(TopicPatterns.matches(any, "__consumer_offsets"), "never Kafka's own topics");
    assertFalse(TopicPatterns.matches(TopicPatterns.compile(List.of("__*")), "__transaction_state"));
    var literal = TopicPatterns.compile(List.of("a.b"));
    assertFalse(TopicPatterns.matches(literal, "axb"), "a dot is a dot, not any character");
    var several = TopicPatterns.compile(List.of("world.tick.?ourly", "*.dlq"));
    assertTrue(TopicPatterns.matches(several, "world.tick.hourly"));
    assertTrue(TopicPatterns.matches(several, "game.combat.events.dlq"));
    assertFalse(TopicPatterns.matches(several, "world.tick.daily"));
  }

  /** The hub matches a new topic once per distinct set of globs, not once per subscription: equal sets must be one. */
  @Test
  void equalGlobListsAreOneKey() {
    var personal = TopicPatterns.compile(List.of("game.player.*"));
    var same = TopicPatterns.compile(List.of("game.player.*"));
    var both = TopicPatterns.compile(List.of("game.player.*", "chat"));
    assertEquals(personal, same);
    assertEquals(personal.hashCode(), same.hashCode());
    assertNotEquals(personal, both);
    assertEquals(2, Set.of(personal, both).size());
    assertEquals(1, new HashSet<>(List.of(personal, same)).size());
  }
}
