package com.necpgame.mesh.delivery;

import com.necpgame.mesh.envelope.EnvelopeFilter;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * A replay job as stored: its request, its per-partition window ({@code starts}, exclusive {@code bounds}) and how far
 * it read ({@code positions}, the next offset per partition), and its counts ({@code skipped}: events of the window
 * its filter matched that were published with {@code is_replayable: false}, not replayed; not in {@code matched}). The window is null until the job ran.
 */
public record ReplayJob(
    String id,
    String state,
    String topic,
    Instant start,
    Instant end,
    EnvelopeFilter filter,
    JsonObject target,
    Map<Integer, Long> starts,
    Map<Integer, Long> bounds,
    Map<Integer, Long> positions,
    long scanned,
    long matched,
    long delivered,
    JsonArray errors,
    Instant createdAt,
    Instant updatedAt,
    long skipped) {

  /** A job that skipped nothing. */
  public ReplayJob(String id, String state, String topic, Instant start, Instant end, EnvelopeFilter filter,
      JsonObject target, Map<Integer, Long> starts, Map<Integer, Long> bounds, Map<Integer, Long> positions,
      long scanned, long matched, long delivered, JsonArray errors, Instant createdAt, Instant updatedAt) {
    this(id, state, topic, start, end, filter, target, starts, bounds, positions, scanned, matched, delivered, errors,
        createdAt, updatedAt, 0);
  }

  public static final String PENDING = "pending";
  public static final String RUNNING = "running";
  public static final String COMPLETED = "completed";
  public static final String CANCELLED = "cancelled";
  public static final String FAILED = "failed";

  public boolean finished() {
    return state.equals(COMPLETED) || state.equals(CANCELLED) || state.equals(FAILED);
  }

  /** Share of the window read, 0 to 100 (100 once completed). */
  public double progressPercent() {
    if (state.equals(COMPLETED)) {
      return 100.0;
    }
    if (starts == null || bounds == null || positions == null) {
      return 0.0;
    }
    long total = 0;
    long done = 0;
    for (Map.Entry<Integer, Long> b : bounds.entrySet()) {
      long from = starts.getOrDefault(b.getKey(), b.getValue());
      total += Math.max(0, b.getValue() - from);
      done += Math.max(0, Math.min(b.getValue(), positions.getOrDefault(b.getKey(), from)) - from);
    }
    return total == 0 ? 0.0 : Math.floor(1000.0 * done / total) / 10.0;
  }

  /** The body of {@code GET /replay/{id}/status}. */
  public JsonObject toJson() {
    return new JsonObject().put("replay_id", id).put("state", state).put("topic", topic)
        .put("start_time", start.toString()).put("end_time", end.toString()).put("filter", filter.toJson())
        .put("target", target.copy()).put("events_scanned", scanned).put("events_matched", matched)
        .put("events_delivered", delivered).put("events_skipped", skipped).put("progress_percent", progressPercent()).put("errors", errors.copy())
        .put("created_at", createdAt.toString()).put("updated_at", updatedAt.toString());
  }

  static JsonObject offsetsJson(Map<Integer, Long> offsets) {
    JsonObject out = new JsonObject();
    new TreeMap<>(offsets).forEach((p, o) -> out.put(String.valueOf(p), o));
    return out;
  }

  static Map<Integer, Long> offsetsOf(JsonObject json) {
    if (json == null) {
      return null;
    }
    Map<Integer, Long> out = new TreeMap<>();
    json.forEach(e -> out.put(Integer.parseInt(e.getKey()), ((Number) e.getValue()).longValue()));
    return out;
  }
}
