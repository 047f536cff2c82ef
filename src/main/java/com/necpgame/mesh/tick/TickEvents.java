package com.necpgame.mesh.tick;

import com.necpgame.mesh.envelope.Envelope;
import com.necpgame.mesh.envelope.EventIds;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;

/**
 * The envelopes of ticks ({@code world.tick.<schedule>}) and catch-up summaries ({@code world.tick.catchup}). Their
 * event ids and correlation ids are derived from the tick id ({@link EventIds#of}), so whoever emits a tick emits the
 * same ids, and the results of a tick (market clearings, diplomacy changes) carry its correlation id.
 */
public final class TickEvents {

  public static final String SOURCE = "event-mesh.tick";
  public static final String CATCH_UP = "world.tick.catchup";

  private TickEvents() {}

  public static String eventType(TickSchedule schedule) {
    return "world.tick." + schedule.name();
  }

  /** A tick: timestamp and {@code scheduled_at} are the real time it was due, {@code emitted_at} when it was sent. */
  public static JsonObject tick(TickSchedule schedule, GameClock clock, Instant gameTime, Instant emittedAt) {
    String tickId = schedule.tickId(gameTime);
    UUID id = EventIds.of(tickId);
    Instant scheduled = clock.realAt(gameTime);
    long sinceEpoch = gameTime.toEpochMilli() - clock.gameEpoch().toEpochMilli();
    JsonObject data = new JsonObject()
        .put("tick_id", tickId)
        .put("schedule", schedule.name())
        .put("cron", schedule.expression())
        .put("game_time", gameTime.toString())
        .put("game_hour", Math.floorDiv(sinceEpoch, 3_600_000L))
        .put("game_day", Math.floorDiv(sinceEpoch, 86_400_000L))
        .put("hour_of_day", gameTime.atOffset(ZoneOffset.UTC).getHour())
        .put("time_scale", clock.scale())
        .put("scheduled_at", scheduled.toString())
        .put("emitted_at", emittedAt.toString())
        .put("late_ms", Math.max(0, emittedAt.toEpochMilli() - scheduled.toEpochMilli()))
        .put("correlation_id", id.toString());
    return new Envelope(id, eventType(schedule), scheduled, Envelope.CURRENT_VERSION, SOURCE, id.toString(), null,
        null, data, null).toJson();
  }

  /** The summary after a catch-up: what was emitted late, what was skipped, and the firing the schedule resumes after. */
  public static JsonObject catchUp(TickSchedule schedule, TickPlan plan, Instant emittedAt) {
    TickPlan.CatchUp c = plan.catchUp();
    String name = "catchup:" + schedule.tickId(plan.last());
    UUID id = EventIds.of(name);
    JsonObject data = new JsonObject()
        .put("schedule", schedule.name())
        .put("emitted", c.emitted())
        .put("emitted_from", schedule.tickId(plan.emit().get(0)))
        .put("emitted_to", schedule.tickId(plan.emit().get(plan.emit().size() - 1)))
        .put("skipped", c.skipped())
        .put("skipped_from", c.skippedFrom() == null ? null : schedule.tickId(c.skippedFrom()))
        .put("skipped_to", c.skippedTo() == null ? null : schedule.tickId(c.skippedTo()))
        .put("resumes_after", plan.last().toString())
        .put("emitted_at", emittedAt.toString());
    return new Envelope(id, CATCH_UP, emittedAt, Envelope.CURRENT_VERSION, SOURCE, id.toString(), null, null, data,
        null).toJson();
  }

  /** The game time a tick or summary leaves its schedule at, or null for anything else. */
  static Instant leavesAt(JsonObject envelope, TickSchedule schedule) {
    JsonObject data = envelope.getJsonObject("data");
    if (data == null || !schedule.name().equals(data.getString("schedule"))) {
      return null;
    }
    if (eventType(schedule).equals(envelope.getString("event_type"))) {
      return Instant.parse(data.getString("game_time"));
    }
    if (CATCH_UP.equals(envelope.getString("event_type"))) {
      return Instant.parse(data.getString("resumes_after"));
    }
    return null;
  }
}
