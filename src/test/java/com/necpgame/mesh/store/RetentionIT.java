package com.necpgame.mesh.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.testsupport.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Retention (issue 18): the store's day partitions, created ahead and dropped past the retention, on PostgreSQL. */
class RetentionIT {

  private Vertx vertx;
  private Pool pool;
  private EventStore store;
  private PartitionMaintenance maintenance;
  private final Instant now = Instant.now();
  private final LocalDate today = now.atOffset(ZoneOffset.UTC).toLocalDate();

  @BeforeEach
  void database() throws Exception {
    vertx = Vertx.vertx();
    pool = Database.pool(vertx, TestDatabase.freshDatabase(), 4);
    await(Migrations.run(pool));
    store = new EventStore(pool);
    maintenance = new PartitionMaintenance(pool);
  }

  @AfterEach
  void close() throws Exception {
    await(vertx.close());
  }

  @Test
  void partitionsPastTheRetentionAreDroppedAndTheirEventsAre404() throws Exception {
    LocalDate old = today.minusDays(10);
    LocalDate kept = today.minusDays(2);
    await(maintenance.ensureDay(old));
    await(maintenance.ensureDay(kept));
    EventRow tenDaysAgo = row(old.atTime(12, 0).atOffset(ZoneOffset.UTC));
    EventRow twoDaysAgo = row(kept.atTime(12, 0).atOffset(ZoneOffset.UTC));
    EventRow recent = row(now.atOffset(ZoneOffset.UTC));
    EventRow ancient = row(now.minus(Duration.ofDays(400)).atOffset(ZoneOffset.UTC)); // no day of its own
    assertEquals(4, await(store.record(List.of(tenDaysAgo, twoDaysAgo, recent, ancient))));
    assertEquals("events_p" + day(old), partitionOf(tenDaysAgo), "inserts land in their day's partition");
    assertEquals("events_p" + day(kept), partitionOf(twoDaysAgo));
    assertEquals("events_p" + day(today), partitionOf(recent));
    assertEquals("events_default", partitionOf(ancient));
    delivery(tenDaysAgo.eventId(), old.atTime(12, 0).atOffset(ZoneOffset.UTC));
    delivery(recent.eventId(), now.atOffset(ZoneOffset.UTC));

    PartitionMaintenance.Outcome outcome = await(maintenance.run(now, Optional.of(Duration.ofDays(3))));
    assertTrue(outcome.ran());
    assertEquals(List.of("events_p" + day(old), "event_deliveries_p" + day(old)), outcome.dropped(), outcome.toString());
    assertEquals(1, outcome.defaultRowsDeleted(), "the ancient row of the default partition");
    assertNull(await(store.status(tenDaysAgo.eventId())), "a dropped day's event is 404");
    assertNull(await(store.status(ancient.eventId())));
    assertNotNull(await(store.status(twoDaysAgo.eventId())), "a day not wholly past the retention stays");
    assertNotNull(await(store.status(recent.eventId())));
    assertEquals(1, count("SELECT count(*) FROM event_deliveries"), "the old day's deliveries went with it");
    for (int ahead = 0; ahead <= PartitionMaintenance.DAYS_AHEAD; ahead++) {
      assertEquals(1, count("SELECT count(*) FROM pg_class WHERE relname = 'events_p" + day(today.plusDays(ahead))
          + "'"), "created ahead: day +" + ahead);
    }
    PartitionMaintenance.Outcome again = await(maintenance.run(now, Optional.empty()));
    assertEquals(List.of(), again.dropped(), "no retention known: nothing dropped");
  }

  /** The states of dropped events go too, by the same day rule, in bounded statements (more rows than one takes). */
  @Test
  void subscriptionStatesPastTheRetentionArePrunedInBatches() throws Exception {
    OffsetDateTime tenDaysAgo = today.minusDays(10).atTime(12, 0).atOffset(ZoneOffset.UTC);
    OffsetDateTime threeDaysAgoEarly = today.minusDays(3).atTime(0, 30).atOffset(ZoneOffset.UTC);
    int old = PartitionMaintenance.PRUNE_BATCH + 5;
    await(pool.preparedQuery("INSERT INTO event_subscription_state (event_id, subscription_id, method, state, "
        + "updated_at) SELECT 'old-' || i, 'sub', 'kafka', 'delivered', $1 FROM generate_series(1, $2) AS i")
        .execute(Tuple.of(tenDaysAgo, old)));
    await(pool.preparedQuery("INSERT INTO event_subscription_state (event_id, subscription_id, method, state, "
        + "updated_at) VALUES ('edge', 'sub', 'kafka', 'delivered', $1), ('recent', 'sub', 'kafka', 'processed', "
        + "NOW())").execute(Tuple.of(threeDaysAgoEarly)));
    long pruned = await(maintenance.pruneStates(now, Duration.ofDays(3)));
    assertEquals(old, pruned, "every row of a day wholly past the retention, over two statements");
    assertEquals(List.of("edge", "recent"), await(pool.query("SELECT event_id FROM event_subscription_state "
        + "ORDER BY event_id").execute()).stream().map(r -> r.getString(0)).toList(),
        "a day not wholly past the retention stays, as its events' partition does");
    assertEquals(0L, await(maintenance.pruneStates(now, Duration.ofDays(3))), "nothing left to prune");
  }

  @Test
  void aDayCreatedLaterTakesItsRowsFromTheDefaultPartition() throws Exception {
    LocalDate future = today.plusDays(10);
    EventRow early = row(future.atTime(8, 0).atOffset(ZoneOffset.UTC)); // a producer's clock ten days ahead
    assertEquals(1, await(store.record(List.of(early))));
    assertEquals("events_default", partitionOf(early));
    PartitionMaintenance.Outcome outcome = await(maintenance.run(future.atStartOfDay().toInstant(ZoneOffset.UTC),
        Optional.empty()));
    assertTrue(outcome.created().contains("events_p" + day(future)), outcome.toString());
    assertEquals("events_p" + day(future), partitionOf(early), "moved out of the default partition");
    assertEquals(1, count("SELECT count(*) FROM events"));
  }

  /** The writer inserts straight into the day's partition: a batch across midnight is split at the UTC day. */
  @Test
  void aBatchAcrossMidnightLandsInEachDaysPartition() throws Exception {
    LocalDate yesterday = today.minusDays(1);
    await(maintenance.ensureDay(yesterday));
    EventRow lastOfYesterday = row(today.atStartOfDay().atOffset(ZoneOffset.UTC).minusNanos(1)); // .999999999
    EventRow midnight = row(today.atStartOfDay().atOffset(ZoneOffset.UTC));
    assertEquals(2, await(store.record(List.of(lastOfYesterday, midnight, lastOfYesterday))));
    assertEquals("events_p" + day(yesterday), partitionOf(lastOfYesterday));
    assertEquals("events_p" + day(today), partitionOf(midnight));
    assertEquals(0, await(store.record(List.of(midnight, lastOfYesterday))), "stored again: still one row each");
    assertEquals(2, count("SELECT count(*) FROM events"));
  }

  /**
   * A day whose partition the writer knew and that is gone (dropped past the retention, or replaced by one with other
   * bounds) is written through the parent: the rows land in the DEFAULT partition, not an error.
   */
  @Test
  void aDayWhosePartitionIsGoneIsWrittenThroughTheParent() throws Exception {
    LocalDate old = today.minusDays(10);
    await(maintenance.ensureDay(old));
    EventRow first = row(old.atTime(6, 0).atOffset(ZoneOffset.UTC));
    assertEquals(1, await(store.record(List.of(first))));
    assertEquals("events_p" + day(old), partitionOf(first));
    await(maintenance.run(now, Optional.of(Duration.ofDays(3))));
    EventRow afterDrop = row(old.atTime(7, 0).atOffset(ZoneOffset.UTC));
    assertEquals(1, await(store.record(List.of(afterDrop))));
    assertEquals("events_default", partitionOf(afterDrop));
    EventRow again = row(old.atTime(8, 0).atOffset(ZoneOffset.UTC));
    assertEquals(1, await(store.record(List.of(again))));
    assertEquals("events_default", partitionOf(again));

    LocalDate kept = today.minusDays(1);
    await(maintenance.ensureDay(kept));
    EventRow morning = row(kept.atTime(6, 0).atOffset(ZoneOffset.UTC));
    assertEquals(1, await(store.record(List.of(morning))));
    assertEquals("events_p" + day(kept), partitionOf(morning));
    String name = "events_p" + day(kept);
    await(pool.query("ALTER TABLE events DETACH PARTITION " + name + "; ALTER TABLE " + name + " RENAME TO detached; "
        + "CREATE TABLE " + name + " PARTITION OF events FOR VALUES FROM ('" + kept + " 12:00:00+00') TO ('"
        + kept.plusDays(1) + " 00:00:00+00')").execute());
    EventRow outside = row(kept.atTime(7, 0).atOffset(ZoneOffset.UTC));
    assertEquals(1, await(store.record(List.of(outside))), "a row outside the partition's bounds");
    assertEquals("events_default", partitionOf(outside));
    EventRow inside = row(kept.atTime(13, 0).atOffset(ZoneOffset.UTC));
    assertEquals(1, await(store.record(List.of(inside))));
    assertEquals(name, partitionOf(inside), "the new partition, looked up again");
  }

  @Test
  void aRecordStoredAgainKeepsOneRow() throws Exception {
    EventRow row = row(now.atOffset(ZoneOffset.UTC));
    assertEquals(1, await(store.record(List.of(row))));
    assertEquals(0, await(store.record(List.of(row))), "a consumer restart stores the same record again");
    assertEquals(1, count("SELECT count(*) FROM events"));
  }

  @Test
  void onlyOneProcessMaintainsAtATime() throws Exception {
    List<PartitionMaintenance.Outcome> both = await(Future.all(maintenance.run(now, Optional.empty()),
        new PartitionMaintenance(pool).run(now, Optional.empty())).map(f -> f.<PartitionMaintenance.Outcome>list()));
    assertTrue(both.stream().anyMatch(PartitionMaintenance.Outcome::ran), both.toString());
  }

  private static String day(LocalDate d) {
    return d.toString().replace("-", "");
  }

  private static EventRow row(OffsetDateTime at) {
    String id = UUID.randomUUID().toString();
    return new EventRow(id, "game.test", "retention.it", "retention-it", "{\"event_id\":\"" + id + "\"}", 0, 1,
        "normal", at);
  }

  private String partitionOf(EventRow row) throws Exception {
    return await(pool.preparedQuery("SELECT tableoid::regclass::text FROM events WHERE event_id = $1")
        .execute(Tuple.of(row.eventId()))).iterator().next().getString(0);
  }

  private void delivery(String eventId, OffsetDateTime at) throws Exception {
    await(pool.preparedQuery("INSERT INTO event_deliveries (event_id, subscription_id, attempt_number, status, method, "
        + "delivered_at) VALUES ($1, 'sub', 1, 'delivered', 'webhook', $2)").execute(Tuple.of(eventId, at)));
  }

  private long count(String sql) throws Exception {
    return await(pool.query(sql).execute()).iterator().next().getLong(0);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
