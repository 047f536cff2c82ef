package com.necpgame.mesh.config;

import com.necpgame.mesh.diplomacy.Relations;
import com.necpgame.mesh.tick.GameClock;
import com.necpgame.mesh.tick.TickSchedule;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import io.vertx.core.json.JsonObject;

/**
 * The world simulation's settings: the commodities traded (with initial reference prices in cents), the topic the
 * simulation's results go to, the game clock and its ticks ({@code world.tick}), the market ({@code world.market}).
 */
public record WorldConfig(Map<String, Long> commodities, List<String> factions, String outputTopic, String stateTopic,
    Tick tick, Market market, java.util.regex.Pattern diplomacyInputs, Relations.Params diplomacy, Crowd crowd,
    DailyStep diplomacyStep, DailyStep crowdStep) {

  /** The largest record of {@code world.state} (the daily steps' state), its {@code max.message.bytes}. */
  public static final int MAX_STATE_RECORD_BYTES = 64 << 20;

  /** A daily step's loop (diplomacy, the crowd): its {@link com.necpgame.mesh.kafka.StepLoop.Settings}. */
  public record DailyStep(String group, long graceMs, int maxCatchUpDays) {}

  /**
   * The crowd: how many citizens, the seed they are drawn from, and the chance a game day starts a shortage (one
   * faction's producers of one commodity making a fifth of their output for 3 to 10 days).
   */
  public record Crowd(int population, long seed, double shortageRate) {}

  /**
   * The largest crowd state (its agents, base64) a daily step writes: it is one record of {@code world.state}, whose
   * records may be 64 MiB, with room left for the rest of the step's state.
   */
  static final long MAX_CROWD_STATE_BYTES = 60L << 20;

  private static final java.util.regex.Pattern FACTION = java.util.regex.Pattern.compile("[a-z][a-z0-9_-]{0,63}");

  /** The {@code world.market.*} keys (grace and catch-up as in {@link com.necpgame.mesh.kafka.StepLoop.Settings}). */
  public record Market(String ordersTopic, String stateTopic, String group, long graceMs, int maxCatchUpHours,
      int maxStateBytes) {}

  /** The {@code world.clock.*} and {@code world.tick.*} keys. */
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
    Map<String, Long> commodities = new TreeMap<>();
    JsonObject listed = r.object("world.commodities");
    for (String name : listed.fieldNames()) {
      if (!name.matches("[a-z][a-z0-9_]{0,63}")) {
        r.problem("world.commodities." + name, "a commodity name is 1-64 of a-z 0-9 _, starting with a letter");
      }
      Object price = listed.getValue(name);
      if (price instanceof Number n && n.doubleValue() >= 0.01 && n.doubleValue() <= 1e9
          && Math.abs(n.doubleValue() * 100 - Math.rint(n.doubleValue() * 100)) < 1e-6) {
        commodities.put(name, Math.round(n.doubleValue() * 100));
      } else {
        r.problem("world.commodities." + name, "a reference price from 0.01 to 1e9 with at most 2 decimals", price, 0L);
      }
    }
    Market market = new Market(r.topicName("world.market.topics.orders"), r.topicName("world.market.topics.state"),
        r.stringOr("world.market.group", groupPrefix + ".market"), r.longIn("world.market.grace_ms", 0, 60_000),
        r.intIn("world.market.max_catch_up_hours", 1, 10_000), r.intIn("world.market.max_state_bytes", 1 << 20, 1 << 30));
    List<String> factions = r.distinct("world.factions", FACTION, "faction name of 1-64 of a-z 0-9 _ -");
    if (factions.size() < 2) {
      r.problem("world.factions", "at least two factions");
    }
    // an agent's state: faction, specialty (ints), wealth, mood, stock and a need per commodity (doubles), in base64
    long agentBytes = (4 + 4 + 8 + 8 + 8 + 8L * commodities.size()) * 4 / 3;
    int population = r.intIn("world.crowd.population", 1, 50_000_000);
    long most = MAX_CROWD_STATE_BYTES / agentBytes;
    if (population > most) {
      population = r.problem("world.crowd.population", "at most " + most + " citizens with " + commodities.size()
          + " commodities: the crowd's state (" + agentBytes + " bytes a citizen) must fit one 64 MiB world.state record",
          population, 1);
    }
    String m = "world.diplomacy.model.";
    Relations.Params model = new Relations.Params(r.doubleIn(m + "trade_love", 0, 100),
        r.doubleIn(m + "combat_love", 0, 100), r.doubleIn(m + "love_decay", 0, 1), r.doubleIn(m + "love_baseline", -100, 100),
        r.doubleIn(m + "power_fear", 0, 100), r.doubleIn(m + "combat_fear", 0, 100), r.doubleIn(m + "fear_decay", 0, 1),
        r.doubleIn(m + "fear_baseline", 0, 100), r.intIn(m + "min_dwell_days", 0, 3650),
        r.intIn(m + "history_per_pair", 1, 10_000));
    return new WorldConfig(commodities, factions, r.topicName("world.output_topic"), r.topicName("world.state_topic"),
        tick, market, r.regex("world.diplomacy.inputs"), model, new Crowd(population, r.longIn("world.crowd.seed", Long.MIN_VALUE, Long.MAX_VALUE),
            r.doubleIn("world.crowd.shortage_rate", 0, 1)),
        dailyStep(r, "world.diplomacy", groupPrefix + ".diplomacy"), dailyStep(r, "world.crowd", groupPrefix + ".crowd"));
  }

  private static DailyStep dailyStep(ConfigReader r, String at, String defaultGroup) {
    return new DailyStep(r.stringOr(at + ".group", defaultGroup), r.longIn(at + ".grace_ms", 0, 60_000),
        r.intIn(at + ".max_catch_up_days", 1, 10_000));
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
