package com.necpgame.mesh.tick;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * One kind of tick: a name ({@code hourly}), a Unix cron expression evaluated in game time (UTC), and the unit its
 * tick ids count in: tick {@code hourly:1234} is the one in game hour 1234 after the game epoch. A cron must fire at
 * most once per unit, or two ticks would share an id; {@link #parse} refuses one that does not.
 */
public final class TickSchedule {

  private static final CronParser UNIX = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

  private final String name;
  private final String expression;
  private final ExecutionTime times;
  private final Duration unit;
  private final Instant gameEpoch;

  private TickSchedule(String name, String expression, Cron cron, Duration unit, Instant gameEpoch) {
    this.name = name;
    this.expression = expression;
    this.times = ExecutionTime.forCron(cron);
    this.unit = unit;
    this.gameEpoch = gameEpoch;
  }

  /**
   * @throws IllegalArgumentException when the expression is not a Unix cron expression, or fires more than once in
   *     some unit (checked over the first 2,000 firings after the epoch)
   */
  public static TickSchedule parse(String name, String expression, Duration unit, Instant gameEpoch) {
    Cron cron;
    try {
      cron = UNIX.parse(expression).validate();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not a cron expression (minute hour day-of-month month day-of-week): "
          + e.getMessage(), e);
    }
    TickSchedule schedule = new TickSchedule(name, expression, cron, unit, gameEpoch);
    Instant at = gameEpoch;
    long previous = Long.MIN_VALUE;
    for (int i = 0; i < 2000; i++) {
      Instant next = schedule.next(at);
      if (next == null) {
        throw new IllegalArgumentException("never fires");
      }
      long index = schedule.index(next);
      if (index == previous) {
        throw new IllegalArgumentException("fires more than once per " + unit.toMinutes() + " game minutes; " + name
            + " ticks are numbered in those units");
      }
      previous = index;
      at = next;
    }
    return schedule;
  }

  public String name() {
    return name;
  }

  public String expression() {
    return expression;
  }

  /** The first firing strictly after a game time, or null if there is none. */
  public Instant next(Instant gameTime) {
    return times.nextExecution(ZonedDateTime.ofInstant(gameTime, ZoneOffset.UTC)).map(ZonedDateTime::toInstant)
        .orElse(null);
  }

  /**
   * The last firing at or before a game time, or null when there is none since the game epoch: the current hour of
   * an hourly schedule.
   */
  public Instant latest(Instant upTo) {
    Instant before = times.lastExecution(ZonedDateTime.ofInstant(upTo, ZoneOffset.UTC))
        .map(ZonedDateTime::toInstant).orElse(null);
    if (before == null) {
      return null;
    }
    Instant after = next(before); // whether the cron library's last execution includes upTo or not
    Instant latest = after != null && !after.isAfter(upTo) ? after : before;
    return latest.isBefore(gameEpoch) ? null : latest;
  }

  /** The firings in {@code (after, upTo]}, oldest first, at most {@code limit}. */
  public List<Instant> between(Instant after, Instant upTo, int limit) {
    List<Instant> out = new ArrayList<>();
    for (Instant t = next(after); t != null && !t.isAfter(upTo) && out.size() < limit; t = next(t)) {
      out.add(t);
    }
    return out;
  }

  /** Whole units from the game epoch to a game time: the number in a tick's id. */
  public long index(Instant gameTime) {
    return Math.floorDiv(gameTime.toEpochMilli() - gameEpoch.toEpochMilli(), unit.toMillis());
  }

  public String tickId(Instant gameTime) {
    return name + ":" + index(gameTime);
  }
}
