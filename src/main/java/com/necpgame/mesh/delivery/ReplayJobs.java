package com.necpgame.mesh.delivery;

import com.necpgame.mesh.delivery.ReplayScanner.Progress;
import com.necpgame.mesh.envelope.EnvelopeFilter;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * The {@code replay_jobs} table. A process runs a job only while it holds its lease: {@link #claim} takes one pending
 * job, or a running one whose owner stopped renewing, with {@code FOR UPDATE SKIP LOCKED} so two processes never take
 * the same; {@link #checkpoint} saves progress and renews the lease, and tells the owner when the job was cancelled or
 * taken from it.
 */
public final class ReplayJobs {

  private static final String COLUMNS = "replay_id, state, topic, start_time, end_time, filter, target, starts, bounds, "
      + "positions, events_scanned, events_matched, events_delivered, errors, created_at, updated_at, events_skipped";
  private static final String CLAIM = "UPDATE replay_jobs SET state = 'running', owner = $1, "
      + "lease_until = NOW() + $2::bigint * INTERVAL '1 millisecond', updated_at = NOW() WHERE replay_id = ("
      + "SELECT replay_id FROM replay_jobs WHERE state IN ('pending', 'running') "
      + "AND (lease_until IS NULL OR lease_until < NOW()) ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) "
      + "RETURNING " + COLUMNS;
  private static final String CHECKPOINT = "UPDATE replay_jobs SET starts = $3, bounds = $4, positions = $5, "
      + "events_scanned = $6, events_matched = $7, events_delivered = $8, events_skipped = $11, "
      + "lease_until = CASE WHEN $9::boolean THEN NULL ELSE NOW() + $10::bigint * INTERVAL '1 millisecond' END, "
      + "owner = CASE WHEN $9::boolean THEN NULL ELSE owner END, updated_at = NOW() "
      + "WHERE replay_id = $1 AND owner = $2 AND state = 'running' RETURNING replay_id";
  private static final String FINISH = "UPDATE replay_jobs SET state = $3, positions = COALESCE($4, positions), events_scanned = $5, "
      + "events_matched = $6, events_delivered = $7, errors = errors || $8::jsonb, events_skipped = $9, owner = NULL, "
      + "lease_until = NULL, "
      + "updated_at = NOW() WHERE replay_id = $1 AND owner = $2 AND state = 'running'";
  /** The principal owning a job ({@code owner_principal}; {@code owner} is the process running it). */
  private static final String OWNED_BY = "($2::text IS NULL OR owner_principal = $2)";
  private static final String CANCEL = "UPDATE replay_jobs SET state = 'cancelled', owner = NULL, lease_until = NULL, "
      + "updated_at = NOW() WHERE replay_id = $1 AND state IN ('pending', 'running') AND " + OWNED_BY + " RETURNING "
      + COLUMNS;

  private final Pool pool;

  public ReplayJobs(Pool pool) {
    this.pool = pool;
  }

  /** A new job of principal {@code principal} (its owner, who alone but admins sees it). */
  public Future<ReplayJob> create(String id, ReplayRequest request, String principal) {
    return pool.preparedQuery("INSERT INTO replay_jobs (replay_id, topic, start_time, end_time, filter, target, "
        + "owner_principal) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING " + COLUMNS)
        .execute(Tuple.of(id, request.topic(), time(request.start()), time(request.end()), request.filter().toJson(),
            request.target(), principal))
        .map(ReplayJobs::first);
  }

  /**
   * The job if {@code principal} owns it ({@code null}: whoever does, for admins and the runner), or null when there is
   * none it owns with that id.
   */
  public Future<ReplayJob> get(String id, String principal) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM replay_jobs WHERE replay_id = $1 AND " + OWNED_BY)
        .execute(Tuple.of(id, principal)).map(ReplayJobs::first);
  }

  /**
   * The job cancelled now if {@code principal} owns it ({@code null}: whoever does), or null when it is not pending or
   * running (see {@link #get} for why).
   */
  public Future<ReplayJob> cancel(String id, String principal) {
    return pool.preparedQuery(CANCEL).execute(Tuple.of(id, principal)).map(ReplayJobs::first);
  }

  /** A job for {@code owner} to run, leased for {@code leaseMs}; null when none is waiting. */
  public Future<ReplayJob> claim(String owner, long leaseMs) {
    return pool.preparedQuery(CLAIM).execute(Tuple.of(owner, leaseMs)).map(ReplayJobs::first);
  }

  /**
   * Saves progress; renews the lease, or gives it up ({@code release}) so another process may take the job at once.
   * False when the job is no longer this owner's to run (cancelled, or its lease expired and was taken).
   */
  public Future<Boolean> checkpoint(String id, String owner, Progress p, boolean release, long leaseMs) {
    return pool.preparedQuery(CHECKPOINT).execute(Tuple.from(new Object[] {id, owner,
        ReplayJob.offsetsJson(p.starts()), ReplayJob.offsetsJson(p.bounds()), ReplayJob.offsetsJson(p.positions()),
        p.scanned(), p.matched(), p.delivered(), release, leaseMs, p.skipped()})).map(rows -> rows.rowCount() > 0);
  }

  /** Ends a running job as completed or failed, with its final counts and any errors. */
  public Future<Boolean> finish(String id, String owner, String state, Progress p, JsonArray errors) {
    return pool.preparedQuery(FINISH).execute(Tuple.from(new Object[] {id, owner, state,
        p.positions() == null ? null : ReplayJob.offsetsJson(p.positions()), p.scanned(), p.matched(), p.delivered(),
        errors, p.skipped()}))
        .map(rows -> rows.rowCount() > 0);
  }

  private static OffsetDateTime time(Instant t) {
    return t.atOffset(ZoneOffset.UTC);
  }

  private static ReplayJob first(RowSet<Row> rows) {
    if (rows.size() == 0) {
      return null;
    }
    Row r = rows.iterator().next();
    EnvelopeFilter filter = EnvelopeFilter.parse(r.getJsonObject("filter"), "/filter", new JsonArray());
    return new ReplayJob(r.getString("replay_id"), r.getString("state"), r.getString("topic"),
        r.getOffsetDateTime("start_time").toInstant(), r.getOffsetDateTime("end_time").toInstant(),
        filter == null ? EnvelopeFilter.ALL : filter, r.getJsonObject("target"),
        ReplayJob.offsetsOf(r.getJsonObject("starts")), ReplayJob.offsetsOf(r.getJsonObject("bounds")),
        ReplayJob.offsetsOf(r.getJsonObject("positions")), r.getLong("events_scanned"), r.getLong("events_matched"),
        r.getLong("events_delivered"), r.getJsonArray("errors"), r.getOffsetDateTime("created_at").toInstant(),
        r.getOffsetDateTime("updated_at").toInstant(), r.getLong("events_skipped"));
  }
}
