package com.necpgame.mesh.config;

import com.necpgame.mesh.tick.GameClock;
import com.necpgame.mesh.tick.TickSchedule;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/** The world simulation's settings: the game clock and its ticks ({@code world.tick}). */
public record WorldConfig(Tick tick) {

  /**
   * The game clock, the hourly and daily schedules (cron in game time), how many missed ticks a new leader emits
   * before it summarises the rest, how soon a dead leader is replaced, and the topics: ticks per schedule, and the
   * one-partition topic whose consumer group elects the leader.
   */
  public record Tick(GameClock clock, TickSchedule hourly, TickSchedule daily, int maxCatchUp, long failoverMs,
      String hourlyTopic, String dailyTopic, String leaderTopic, String group) {}

  static WorldConfig from(ConfigReader r, String groupPrefix) {
    Instant gameEpoch = instant(r, "world.clock.game_epoch");
    Instant realEpoch = instant(r, "world.clock.real_epoch");
    long scale = r.longIn("world.clock.time_scale", 1, 1_000_000);
    GameClock clock = new GameClock(gameEpoch, realEpoch, scale);
    Tick tick = new Tick(clock, schedule(r, "hourly", Duration.ofHours(1), gameEpoch),
        schedule(r, "daily", Duration.ofDays(1), gameEpoch), r.intIn("world.tick.max_catch_up", 0, 10_000),
        r.longIn("world.tick.failover_ms", 6_000, 300_000), r.topicName("world.tick.topics.hourly"),
        r.topicName("world.tick.topics.daily"), r.topicName("world.tick.topics.leader"), groupPrefix + ".tick");
    return new WorldConfig(tick);
  }

  private static Instant instant(ConfigReader r, String key) {
    String text = r.nonBlank(key);
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException e) {
      return r.problem(key, "an RFC 3339 time such as 2077-01-01T00:00:00Z", text, Instant.EPOCH);
    }
  }

  private static TickSchedule schedule(ConfigReader r, String name, Duration unit, Instant gameEpoch) {
    String key = "world.tick." + name;
    String cron = r.nonBlank(key);
    try {
      return TickSchedule.parse(name, cron, unit, gameEpoch);
    } catch (IllegalArgumentException e) {
      r.problem(key, e.getMessage() + " (got \"" + cron + "\")");
      return null;
    }
  }
}
