package com.necpgame.mesh.robot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LocalProviderTest {

  private static Task response(String robot, List<String> history) {
    return new Task(Task.Kind.RESPONSE, robot, "skeptical-scientist", "match-1", 2, "Describe the last time you got lost.",
        history, "B", Map.of());
  }

  @Test
  void answersTheSameForTheSameSeed() {
    LocalProvider a = new LocalProvider(7);
    assertEquals(a.respond(response("r1", List.of())), new LocalProvider(7).respond(response("r1", List.of())));
    assertNotEquals(a.respond(response("r1", List.of())), new LocalProvider(8).respond(response("r1", List.of())));
  }

  @Test
  void speaksInItsPersonaAndRemembersItsEarlierAnswer() {
    String text = new LocalProvider(1).respond(response("r1", List.of("Strictly speaking, it was the bus")));
    Persona p = Persona.of("skeptical-scientist");
    assertTrue(p.openers().stream().anyMatch(text::startsWith), text);
    assertTrue(text.contains("Strictly speaking, it was the bus"), text);
    assertTrue(text.contains("last time") || text.contains("describe"), text);
  }

  @Test
  void votesForAnotherParticipantNeverItself() {
    Map<String, String> answers = Map.of("A", "lol no idea", "B", "Strictly speaking, a long considered answer.",
        "C", "Picture this: a watercolour evening, softly golden. It stays with me.");
    for (int seed = 0; seed < 50; seed++) {
      String vote = new LocalProvider(seed).vote(new Task(Task.Kind.VOTE, "r" + seed, "curious-student", "m", 1, "q",
          List.of(), "B", answers));
      assertNotEquals("B", vote);
      assertTrue(answers.containsKey(vote));
    }
  }
}
