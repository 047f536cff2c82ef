package com.necpgame.mesh.robot;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The robot pool as every process sees it from {@code robot-pool-state} (the leader's {@link Orchestration} writes
 * each changed robot there, keyed by its id, a removed one as a tombstone): each robot's type and status, for
 * {@code GET /robots/pool}. Fed by one thread (the view's), read by any.
 */
public final class PoolView {

  private record Seen(String type, boolean busy) {}

  private final Map<String, Seen> robots = new ConcurrentHashMap<>();

  /** A record of the pool's state topic: a robot's JSON or its tombstone; the pool's own record is skipped. */
  public void record(String key, byte[] value) {
    if (key == null || Orchestration.POOL_KEY.equals(key)) {
      return;
    }
    if (value == null) {
      robots.remove(key);
      return;
    }
    JsonObject r = new JsonObject(new String(value, StandardCharsets.UTF_8));
    robots.put(key, new Seen(r.getString("type"), "busy".equals(r.getString("status"))));
  }

  /**
   * {@code {total, busy, idle, max_total, min_idle_per_type, types: [{type, total, busy, idle}]}}: every configured
   * type (persona) first, in configuration order, then any other type a robot has.
   */
  public JsonObject summary(List<String> types, int maxTotal, int minIdlePerType) {
    Map<String, int[]> byType = new TreeMap<>();
    int busy = 0;
    int total = 0;
    for (Seen s : robots.values()) {
      int[] counts = byType.computeIfAbsent(s.type(), t -> new int[2]);
      counts[0]++;
      counts[1] += s.busy() ? 1 : 0;
      total++;
      busy += s.busy() ? 1 : 0;
    }
    JsonArray rows = new JsonArray();
    for (String type : types) {
      rows.add(row(type, byType.remove(type)));
    }
    byType.forEach((type, counts) -> rows.add(row(type, counts)));
    return new JsonObject().put("total", total).put("busy", busy).put("idle", total - busy).put("max_total", maxTotal)
        .put("min_idle_per_type", minIdlePerType).put("types", rows);
  }

  private static JsonObject row(String type, int[] counts) {
    int total = counts == null ? 0 : counts[0];
    int busy = counts == null ? 0 : counts[1];
    return new JsonObject().put("type", type).put("total", total).put("busy", busy).put("idle", total - busy);
  }
}
