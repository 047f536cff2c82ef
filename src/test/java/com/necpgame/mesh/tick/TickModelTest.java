package com.necpgame.mesh.tick;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.envelope.EnvelopeValidator;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TickModelTest {

  private static final Instant GAME_EPOCH = Instant.parse("2077-01-01T00:00:00Z");
  private static final Instant REAL_EPOCH = Instant.parse("2026-01-01T00:00:00Z");
  private static final GameClock DEMO = new GameClock(GAME_EPOCH, REAL_EPOCH, 3600);
  private static final TickSchedule HOURLY = TickSchedule.parse("hourly", "0 * * * *", Duration.ofHours(1), GAME_EPOCH);
  private static final TickSchedule DAILY = TickSchedule.parse("daily", "0 0 * * *", Duration.ofDays(1), GAME_EPOCH);

  private static Instant hour(long n) {
    return GAME_EPOCH.plus(Duration.ofHours(n));
  }

  @Test
  void aDemoClockRunsAGameHourPerRealSecondBothWays() {
    assertEquals(hour(5), DEMO.gameAt(REAL_EPOCH.plusSeconds(5)));
    assertEquals(REAL_EPOCH.plusSeconds(5), DEMO.realAt(hour(5)));
    // a game time between real milliseconds is reached at the next one
    assertEquals(REAL_EPOCH.plusMillis(1), DEMO.realAt(GAME_EPOCH.plusSeconds(1)));
    assertTrue(!DEMO.gameAt(DEMO.realAt(GAME_EPOCH.plusSeconds(1))).isBefore(GAME_EPOCH.plusSeconds(1)));
    assertEquals(GAME_EPOCH.minusSeconds(3600), DEMO.gameAt(REAL_EPOCH.minusSeconds(1)));
    assertThrows(IllegalArgumentException.class, () -> new GameClock(GAME_EPOCH, REAL_EPOCH, 0));
  }

  @Test
  void schedulesFireOnTheirCronInGameTimeAndNumberTicksInTheirUnit() {
    assertEquals(hour(1), HOURLY.next(GAME_EPOCH));
    assertEquals(hour(1), HOURLY.next(GAME_EPOCH.plusSeconds(1)));
    assertEquals(hour(24), DAILY.next(hour(3)));
    assertEquals("hourly:30", HOURLY.tickId(hour(30)));
    assertEquals("daily:1", DAILY.tickId(hour(30)));
    assertEquals(List.of(hour(2), hour(3), hour(4)), HOURLY.between(hour(1), hour(4), 10));
    assertEquals(List.of(hour(2)), HOURLY.between(hour(1), hour(4), 1));
    TickSchedule shifted = TickSchedule.parse("hourly", "30 * * * *", Duration.ofHours(1), GAME_EPOCH);
    assertEquals(GAME_EPOCH.plusSeconds(1800), shifted.next(GAME_EPOCH));
  }

  @Test
  void refusesWhatIsNotACronAndACronFiringTwiceInOneUnit() {
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> TickSchedule.parse("hourly", "every hour", Duration.ofHours(1), GAME_EPOCH)).getMessage()
        .contains("not a cron expression"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> TickSchedule.parse("hourly", "*/30 * * * *", Duration.ofHours(1), GAME_EPOCH)).getMessage()
        .contains("more than once per 60 game minutes"));
    assertThrows(IllegalArgumentException.class,
        () -> TickSchedule.parse("daily", "0 */12 * * *", Duration.ofDays(1), GAME_EPOCH));
  }

  @Test
  void aFreshScheduleEmitsItsCurrentFiringAtOnce() {
    TickPlan plan = TickPlan.of(HOURLY, null, hour(7).plusSeconds(10), 24);
    assertEquals(List.of(hour(7)), plan.emit(), "the current hour, not the next one an hour away");
    assertNull(plan.catchUp());
    assertEquals(hour(7), plan.last());
    assertEquals(hour(8), HOURLY.next(plan.last()));
    assertEquals(List.of(hour(7)), TickPlan.of(HOURLY, null, hour(7), 24).emit(), "on the hour: that hour");
    assertEquals(List.of(hour(48)), TickPlan.of(DAILY, null, hour(59).plusSeconds(3599), 24).emit(), "today");
    TickPlan beforeEpoch = TickPlan.of(DAILY, null, GAME_EPOCH.minusSeconds(10), 24);
    assertEquals(List.of(), beforeEpoch.emit(), "no firing since the game epoch: nothing yet");
    assertEquals(GAME_EPOCH.minusSeconds(10), beforeEpoch.last());
    TickSchedule shifted = TickSchedule.parse("hourly", "30 * * * *", Duration.ofHours(1), GAME_EPOCH);
    assertEquals(List.of(hour(7).plusSeconds(1800)),
        TickPlan.of(shifted, null, hour(8).plusSeconds(1799), 24).emit());
  }

  @Test
  void onTimeEmitsTheOneFiringThatIsDue() {
    assertEquals(new TickPlan(List.of(hour(8)), null, hour(8)), TickPlan.of(HOURLY, hour(7), hour(8).plusMillis(3), 24));
    assertEquals(new TickPlan(List.of(), null, hour(7)), TickPlan.of(HOURLY, hour(7), hour(7).plusSeconds(3599), 24));
  }

  @Test
  void missedTicksAreEmittedInOrderUpToTheLimitThenSummarised() {
    TickPlan within = TickPlan.of(HOURLY, hour(7), hour(10).plusSeconds(5), 24);
    assertEquals(List.of(hour(8), hour(9), hour(10)), within.emit());
    assertEquals(new TickPlan.CatchUp(3, 0, null, null), within.catchUp());
    assertEquals(hour(10), within.last());

    TickPlan beyond = TickPlan.of(HOURLY, hour(7), hour(40).plusSeconds(5), 24);
    assertEquals(24, beyond.emit().size());
    assertEquals(hour(8), beyond.emit().get(0));
    assertEquals(hour(31), beyond.emit().get(23));
    assertEquals(new TickPlan.CatchUp(24, 9, hour(32), hour(40)), beyond.catchUp());
    assertEquals(hour(40), beyond.last());
    assertEquals(hour(41), HOURLY.next(beyond.last()), "after a summary the schedule goes on with the next firing");
  }

  @Test
  void ticksAndSummariesAreValidAgainstTheirSchemasAndTheSameFromAnyEmitter() {
    EnvelopeValidator validator = EnvelopeValidator.load(Optional.empty());
    Instant now = DEMO.realAt(hour(40)).plusMillis(5);
    JsonObject tick = TickEvents.tick(HOURLY, DEMO, hour(30), now);
    assertEquals(List.of(), validator.validate(tick));
    assertEquals("hourly:30", tick.getJsonObject("data").getString("tick_id"));
    assertEquals(30, tick.getJsonObject("data").getInteger("game_hour"));
    assertEquals(1, tick.getJsonObject("data").getInteger("game_day"));
    assertEquals(6, tick.getJsonObject("data").getInteger("hour_of_day"));
    assertEquals(10_005, tick.getJsonObject("data").getLong("late_ms"));
    JsonObject again = TickEvents.tick(HOURLY, DEMO, hour(30), now.plusSeconds(9));
    assertEquals(tick.getString("event_id"), again.getString("event_id"), "the id depends on the tick alone");
    assertEquals(tick.getString("correlation_id"), again.getString("correlation_id"));
    assertEquals(hour(30), TickEvents.leavesAt(tick, HOURLY));
    assertNull(TickEvents.leavesAt(tick, DAILY));

    TickPlan plan = TickPlan.of(HOURLY, hour(7), hour(40), 24);
    JsonObject summary = TickEvents.catchUp(HOURLY, plan, now);
    assertEquals(List.of(), validator.validate(summary));
    assertEquals("hourly:32", summary.getJsonObject("data").getString("skipped_from"));
    assertEquals(hour(40), TickEvents.leavesAt(summary, HOURLY));
    assertEquals(List.of(), validator.validate(TickEvents.catchUp(HOURLY, TickPlan.of(HOURLY, hour(7), hour(9), 24),
        now)));
    assertEquals(List.of(), validator.validate(TickEvents.tick(DAILY, DEMO, hour(48), now)));
  }
}
