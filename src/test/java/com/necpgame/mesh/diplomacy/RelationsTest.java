package com.necpgame.mesh.diplomacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.diplomacy.Relations.Transition;
import com.necpgame.mesh.envelope.EnvelopeValidator;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RelationsTest {

  private static final List<String> FACTIONS = List.of("arasaka", "militech", "nomads", "valentinos");
  private static final Set<String> ALLOWED = Set.of("PEACE>ALLIANCE", "ALLIANCE>PEACE", "PEACE>COLD_WAR",
      "COLD_WAR>PEACE", "COLD_WAR>WAR", "WAR>COLD_WAR");

  private static Relations relations() {
    return new Relations(FACTIONS, Relations.DEFAULTS);
  }

  @Test
  void tradeRaisesLoveCombatRaisesFearAndBothDecayToTheirBaselines() {
    Relations r = relations();
    r.trade("arasaka", "militech", 100);
    r.combat("nomads", "valentinos", 2);
    r.step(1);
    assertTrue(r.love("arasaka", "militech") > 0);
    assertTrue(r.love("nomads", "valentinos") < 0);
    assertTrue(r.fear("valentinos", "nomads") > Relations.DEFAULTS.fearBaseline());
    double love = r.love("arasaka", "militech");
    double fear = r.fear("nomads", "valentinos");
    for (int d = 2; d < 200; d++) {
      r.step(d);
    }
    assertTrue(Math.abs(r.love("arasaka", "militech")) < love / 100, "love decays to its baseline of 0");
    assertTrue(Math.abs(r.fear("nomads", "valentinos") - 10) < (fear - 10) / 100, "fear decays to its baseline of 10");
    assertEquals(r.love("militech", "arasaka"), r.love("arasaka", "militech"), "symmetric");
  }

  @Test
  void aStrongerRivalRaisesFearRichardsonStyle() {
    Relations r = relations();
    r.power("arasaka", 100);
    r.power("nomads", 10);
    for (int d = 0; d < 100; d++) {
      r.step(d);
    }
    // equilibrium: baseline + powerFear * ln(10) / fearDecay = 10 + 3 * 2.303 / 0.08 = 96.4
    assertEquals(96.4, r.fear("arasaka", "nomads"), 0.5);
    assertEquals(10, r.fear("militech", "valentinos"), 1e-9, "equal powers: no fear beyond the baseline");
    assertEquals(State.COLD_WAR, r.state("nomads", "arasaka"));
  }

  /**
   * A year of noisy combat whose fear hovers around the PEACE/COLD_WAR threshold: a single threshold would flip
   * dozens of times; with hysteresis and the dwell the pair changes state a handful of times at most.
   */
  @Test
  void hysteresisPreventsFlappingOverAYearOfNoise() {
    Relations r = relations();
    r.power("arasaka", Math.exp(0.7)); // with the noise below, fear settles around 55, the COLD_WAR threshold
    SplittableRandom random = new SplittableRandom(2077);
    int singleThresholdFlips = 0;
    boolean above = false;
    List<Transition> changes = new ArrayList<>();
    for (int day = 0; day < 365; day++) {
      r.combat("arasaka", "militech", random.nextDouble() * 0.6);
      changes.addAll(r.step(day).stream().filter(t -> t.a().equals("arasaka") && t.b().equals("militech")).toList());
      boolean now = r.fear("arasaka", "militech") >= 55;
      if (day > 30 && now != above) {
        singleThresholdFlips++;
      }
      above = now;
    }
    assertTrue(singleThresholdFlips >= 20, "the input really is noisy around the threshold: " + singleThresholdFlips);
    assertTrue(changes.size() <= 3, "hysteresis: " + changes.size() + " changes against " + singleThresholdFlips
        + " threshold crossings");
    assertDwellAndTable(changes);
  }

  @Test
  void aPairStaysInAStateForTheMinimumDwellEvenWhenTheNextMoveIsDue() {
    Relations r = relations();
    r.combat("nomads", "militech", 20);
    Transition cold = r.step(10).get(0);
    assertEquals(State.COLD_WAR, cold.to());
    for (int day = 11; day < 17; day++) {
      r.combat("nomads", "militech", 2);
      assertEquals(List.of(), r.step(day), "day " + day + " is within the dwell");
      assertTrue(r.fear("nomads", "militech") >= 75 && r.love("nomads", "militech") <= -60, "WAR is due already");
    }
    r.combat("nomads", "militech", 2);
    Transition war = r.step(17).get(0);
    assertEquals(State.WAR, war.to(), "the dwell is over");
    assertEquals(List.of(cold, war), r.history("militech", "nomads"));
  }

  @Test
  void largeRandomSwingsOnlyEverMoveAlongTheTable() {
    Relations r = relations();
    SplittableRandom random = new SplittableRandom(1);
    List<Transition> all = new ArrayList<>();
    for (int day = 0; day < 2000; day++) {
      for (int i = 0; i < 4; i++) {
        String a = FACTIONS.get(random.nextInt(4));
        String b = FACTIONS.get(random.nextInt(4));
        if (random.nextBoolean()) {
          r.trade(a, b, random.nextDouble() * 5000);
        } else {
          r.combat(a, b, random.nextDouble() * 8);
        }
      }
      all.addAll(r.step(day));
    }
    assertTrue(all.stream().anyMatch(t -> t.to() == State.WAR), "the walk reached war");
    assertTrue(all.stream().anyMatch(t -> t.to() == State.ALLIANCE), "and alliance");
    for (String a : FACTIONS) {
      for (String b : FACTIONS) {
        if (!a.equals(b)) {
          assertDwellAndTable(r.history(a, b));
          assertEquals(r.state(a, b), r.state(b, a));
        }
      }
    }
  }

  @Test
  void sameInputsSameOutputsAndASnapshotStepsIdentically() {
    Relations one = relations();
    Relations two = relations();
    SplittableRandom random = new SplittableRandom(5);
    for (int day = 0; day < 300; day++) {
      String a = FACTIONS.get(random.nextInt(4));
      String b = FACTIONS.get(random.nextInt(4));
      double v = random.nextDouble() * 10;
      for (Relations r : List.of(one, two)) {
        r.combat(a, b, v);
        r.trade(b, FACTIONS.get(day % 4), v * 100);
      }
      if (day == 150) {
        two = Relations.restore(new JsonObject(two.snapshot().encode()), Relations.DEFAULTS);
      }
      assertEquals(one.step(day), two.step(day));
    }
    assertEquals(one.snapshot(), two.snapshot());
    assertEquals(one.matrix(), two.matrix());
  }

  @Test
  void changesAreValidAgainstTheirSchema() {
    Relations r = relations();
    r.combat("nomads", "militech", 20);
    Transition t = r.step(3).get(0);
    JsonObject envelope = new JsonObject().put("event_id", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
        .put("event_type", "world.diplomacy.changed").put("timestamp", "2077-01-04T00:00:00Z").put("version", "1.0.0")
        .put("source", "test").put("data", t.toJson("daily:3"));
    assertEquals(List.of(), EnvelopeValidator.load(Optional.empty()).validate(envelope));
  }

  private static void assertDwellAndTable(List<Transition> changes) {
    for (int i = 0; i < changes.size(); i++) {
      Transition t = changes.get(i);
      assertTrue(ALLOWED.contains(t.from() + ">" + t.to()), "allowed by the table: " + t);
      if (i > 0) {
        assertTrue(t.day() - changes.get(i - 1).day() >= Relations.DEFAULTS.minDwellDays(), "dwell: " + changes);
        assertEquals(changes.get(i - 1).to(), t.from());
      }
    }
  }
}
