package com.necpgame.mesh.robot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pool as {@code GET /robots/pool} shows it, from the records of {@code robot-pool-state}. */
class PoolViewTest {

  private static byte[] robot(String id, String type, String status) {
    return new JsonObject().put("id", id).put("type", type).put("status", status).put("memory", new JsonObject())
        .encode().getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void countsBusyAndIdleRobotsPerTypeFollowingChangesAndTombstones() {
    PoolView view = new PoolView();
    view.record("robot-1", robot("robot-1", "student", "idle"));
    view.record("robot-2", robot("robot-2", "student", "busy"));
    view.record("robot-3", robot("robot-3", "artist", "busy"));
    view.record("robot-4", robot("robot-4", "retired-type", "idle"));
    view.record(Orchestration.POOL_KEY, new JsonObject().put("next_id", 5).encode().getBytes(StandardCharsets.UTF_8));
    view.record("robot-3", robot("robot-3", "artist", "idle"));
    view.record("robot-1", null);
    JsonObject s = view.summary(List.of("student", "artist", "scientist"), 20, 2);
    assertEquals(new JsonObject().put("total", 3).put("busy", 1).put("idle", 2).put("max_total", 20)
        .put("min_idle_per_type", 2).put("types", new JsonArray()
            .add(new JsonObject().put("type", "student").put("total", 1).put("busy", 1).put("idle", 0))
            .add(new JsonObject().put("type", "artist").put("total", 1).put("busy", 0).put("idle", 1))
            .add(new JsonObject().put("type", "scientist").put("total", 0).put("busy", 0).put("idle", 0))
            .add(new JsonObject().put("type", "retired-type").put("total", 1).put("busy", 0).put("idle", 1))), s);
  }
}
