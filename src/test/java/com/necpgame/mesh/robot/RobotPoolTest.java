package com.necpgame.mesh.robot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The pool's rules on a test clock: minutes pass in a loop. */
class RobotPoolTest {

  private static final List<String> TYPES = List.of("curious-student", "skeptical-scientist", "creative-artist");
  private static final RobotPool.Rules RULES = new RobotPool.Rules(TYPES, 2, 20, 0.8, 300_000, 30_000);

  @Test
  void keepsTheMinimumIdleOfEveryType() {
    RobotPool pool = new RobotPool(RULES);
    pool.scale(0);
    assertEquals(6, pool.size());
    TYPES.forEach(t -> assertEquals(2, pool.idle(t)));
  }

  @Test
  void neverAssignsAnExcludedRobot() {
    RobotPool pool = new RobotPool(RULES);
    pool.scale(0);
    List<RobotPool.Assigned> first = pool.assign("m", 1, List.of("A", "B", "C"), List.of(), 1);
    Set<String> used = new HashSet<>();
    first.forEach(a -> used.add(a.id()));
    assertEquals(3, used.size());
    assertEquals(3, first.stream().map(RobotPool.Assigned::type).distinct().count(), "types mixed");
    pool.release("m", 2);
    List<RobotPool.Assigned> second = pool.assign("m", 2, List.of("A", "B", "D"), used, 3);
    assertEquals(3, second.size());
    second.forEach(a -> assertFalse(used.contains(a.id()), a.id() + " was excluded"));
  }

  @Test
  void scalesUpWhenBusyAndDownWhenIdleNeverAboveMax() {
    RobotPool pool = new RobotPool(RULES);
    long now = 0;
    pool.scale(now);
    int match = 0;
    while (pool.assign("m" + match++, 1, List.of("A", "B", "C"), List.of(), now).size() == 3) {
      pool.scale(now);
      assertTrue(pool.size() <= 20);
      now += 1000;
    }
    assertEquals(20, pool.size(), "grew to the maximum");
    assertTrue(pool.assign("more", 1, List.of("A"), List.of(), now).isEmpty(), "none left past the maximum");
    pool.scale(now);
    assertEquals(20, pool.size());
    for (int i = 0; i < match; i++) {
      pool.release("m" + i, now);
    }
    pool.scale(now + 299_999);
    assertEquals(20, pool.size(), "not idle long enough");
    pool.scale(now + 300_000);
    assertEquals(6, pool.size(), "down to the minimum idle per type");
  }

  @Test
  void scalesUpAtTheBusyThreshold() {
    RobotPool pool = new RobotPool(new RobotPool.Rules(TYPES, 0, 20, 0.8, 300_000, 30_000));
    pool.assign("m1", 1, List.of("A", "B", "C", "D"), List.of(), 0);
    assertEquals(3, pool.scale(1).added().size(), "4 of 4 busy: one more of every type");
    assertTrue(pool.scale(2).added().isEmpty(), "4 of 7 busy is under 80 %");
    pool.assign("m2", 1, List.of("A", "B"), List.of(), 3);
    assertEquals(3, pool.scale(4).added().size(), "6 of 7 busy");
    assertEquals(10, pool.size());
  }

  @Test
  void replacesARobotThatStopsAnswering() {
    RobotPool pool = new RobotPool(RULES);
    pool.scale(0);
    RobotPool.Assigned a = pool.assign("m", 1, List.of("A"), List.of(), 0).get(0);
    pool.commanded(a.id(), 10);
    assertTrue(pool.checkHealth(30_010).isEmpty());
    RobotPool.Changes changes = pool.checkHealth(30_011);
    assertEquals(a.id(), changes.removed().get(0).id());
    assertEquals(a.type(), changes.added().get(0).type());
    assertEquals(null, pool.robot(a.id()));
    RobotPool.Assigned b = pool.assign("m", 1, List.of("B"), List.of(), 40_000).get(0);
    pool.commanded(b.id(), 40_000);
    pool.answered(b.id(), "m", 1, null);
    assertTrue(pool.checkHealth(100_000).isEmpty());
  }

  @Test
  void survivesAJsonRoundTrip() {
    RobotPool pool = new RobotPool(RULES);
    pool.scale(0);
    pool.assign("m", 1, List.of("A", "B"), List.of(), 5);
    assertEquals(pool.toJson(), RobotPool.restore(RULES, pool.nextId(), pool.drainChanged().values()).toJson());
  }

  @Test
  void restoresFromItsChangedRecordsWithTombstones() {
    RobotPool pool = new RobotPool(RULES);
    java.util.Map<String, io.vertx.core.json.JsonObject> state = new java.util.HashMap<>();
    pool.scale(0);
    pool.assign("m", 1, List.of("A", "B"), List.of(), 5);
    pool.scale(6);
    assertEquals(8, pool.size());
    pool.drainChanged().forEach((id, r) -> state.put(id, r));
    pool.release("m", 10);
    pool.scale(400_000);
    pool.drainChanged().forEach((id, r) -> {
      if (r == null) {
        state.remove(id);
      } else {
        state.put(id, r);
      }
    });
    assertTrue(pool.drainChanged().isEmpty());
    assertEquals(6, state.size(), "two retired robots are tombstones");
    RobotPool back = RobotPool.restore(RULES, pool.nextId(), state.values());
    assertEquals(pool.toJson(), back.toJson());
  }
}
