package com.necpgame.mesh.tick;

import java.time.Instant;
import java.util.List;

/**
 * What an emitter emits for one schedule when it wakes: every firing after the last tick emitted up to now, oldest
 * first, at most {@code maxCatchUp} of them; when more than one was due (the emitter was down, or took over from a
 * dead leader) it adds one {@link CatchUp} summary saying what was emitted late and what was skipped.
 *
 * @param emit the firings to emit, in order
 * @param catchUp null when at most one firing was due
 * @param last the firing the schedule is now at: the next plan starts after it
 */
public record TickPlan(List<Instant> emit, CatchUp catchUp, Instant last) {

  /** More than one firing was due: {@code emitted} of them were, {@code skipped} more (from..to) were not. */
  public record CatchUp(int emitted, long skipped, Instant skippedFrom, Instant skippedTo) {}

  /** At most this many skipped firings are counted; a longer outage reports the count as at least this. */
  static final int COUNT_LIMIT = 1_000_000;

  /**
   * @param last the game time of the last tick emitted, or null when the topic has none (a fresh world): then its
   *     current firing, the last at or before {@code now}, is due at once, so a fresh world's consumers start in the
   *     current hour instead of waiting up to a whole period for the next one (none since the game epoch: nothing is
   *     due and the schedule starts at {@code now})
   */
  public static TickPlan of(TickSchedule schedule, Instant last, Instant now, int maxCatchUp) {
    if (last == null) {
      Instant current = schedule.latest(now);
      return current == null ? new TickPlan(List.of(), null, now) : new TickPlan(List.of(current), null, current);
    }
    List<Instant> due = schedule.between(last, now, maxCatchUp);
    if (due.isEmpty()) {
      return new TickPlan(List.of(), null, last);
    }
    Instant emittedTo = due.get(due.size() - 1);
    List<Instant> skipped = schedule.between(emittedTo, now, COUNT_LIMIT);
    if (due.size() == 1 && skipped.isEmpty()) {
      return new TickPlan(due, null, emittedTo);
    }
    Instant to = skipped.isEmpty() ? emittedTo : skipped.get(skipped.size() - 1);
    return new TickPlan(due, new CatchUp(due.size(), skipped.size(), skipped.isEmpty() ? null : skipped.get(0),
        skipped.isEmpty() ? null : to), to);
  }
}
