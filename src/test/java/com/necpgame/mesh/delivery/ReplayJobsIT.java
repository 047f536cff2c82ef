package com.necpgame.mesh.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.delivery.ReplayScanner.Progress;
import com.necpgame.mesh.store.Database;
import com.necpgame.mesh.store.Migrations;
import com.necpgame.mesh.testsupport.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Claims and leases of replay jobs on a real PostgreSQL: two processes never run the same job. */
class ReplayJobsIT {

  private Vertx vertx;
  private Pool pool;
  private Pool other;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    var db = TestDatabase.freshDatabase();
    pool = Database.pool(vertx, db, 4);
    other = Database.pool(vertx, db, 4); // its own sessions, as another process would have
    await(Migrations.run(pool));
  }

  @AfterEach
  void stop() throws Exception {
    await(vertx.close());
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static ReplayRequest request() {
    JsonArray problems = new JsonArray();
    return ReplayRequest.parse(new JsonObject().put("topic", "a").put("start_time", "2026-01-01T00:00:00Z")
        .put("target", new JsonObject().put("topic", "b")), Instant.now(), problems);
  }

  @Test
  void twoProcessesClaimingTogetherGetTheJobOnceAndALapsedLeaseIsTakenOver() throws Exception {
    ReplayJobs a = new ReplayJobs(pool);
    ReplayJobs b = new ReplayJobs(other);
    await(a.create("job-1", request(), null));
    List<Future<ReplayJob>> claims = List.of(a.claim("A", 1000), b.claim("B", 1000), a.claim("A", 1000),
        b.claim("B", 1000));
    await(Future.join(claims).otherwiseEmpty());
    assertEquals(1, claims.stream().map(Future::result).filter(Objects::nonNull).count(), "claimed once");
    String owner = claims.get(0).result() != null || claims.get(2).result() != null ? "A" : "B";
    String loser = owner.equals("A") ? "B" : "A";
    Map<Integer, Long> at = Map.of(0, 5L);
    assertTrue(await(a.checkpoint("job-1", owner, new Progress(at, Map.of(0, 10L), at, 5, 2, 2), false, 1000)));
    assertFalse(await(a.checkpoint("job-1", loser, new Progress(at, Map.of(0, 10L), at, 9, 9, 9), false, 1000)),
        "not the loser's to save");
    assertNull(await(b.claim(loser, 1000)), "leased");

    Thread.sleep(1200); // the owner stopped renewing
    ReplayJob taken = await(b.claim(loser, 1000));
    assertEquals(Map.of(0, 5L), taken.positions(), "resumes at the saved positions");
    assertEquals(2, taken.delivered());
    assertFalse(await(a.checkpoint("job-1", owner, new Progress(at, Map.of(0, 10L), at, 6, 2, 2), false, 1000)),
        "the old owner learns it lost the job");

    assertEquals(ReplayJob.CANCELLED, await(a.cancel("job-1", null)).state());
    assertFalse(await(b.checkpoint("job-1", loser, new Progress(at, Map.of(0, 10L), at, 6, 2, 2), false, 1000)),
        "a cancelled job stops at its next checkpoint");
    assertNull(await(a.cancel("job-1", null)), "only once");
  }
}
