package com.necpgame.mesh.store;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.pgclient.PgException;
import java.net.ConnectException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/**
 * A failure of the connection is never a record's: the store writer and the delivery router try such records again
 * instead of dead-lettering or skipping them (after a PostgreSQL outage a pooled connection reported "the database
 * system is shutting down" once the server was back, the ping on a new connection answered, and the router skipped
 * the record: a webhook delivery lost).
 */
class DatabaseProbeTest {

  private static PgException pg(String state, String message) {
    return new PgException(message, "FATAL", state, null);
  }

  @Test
  void theConnectionsFailuresAreTold() {
    assertTrue(Database.connectionFailure(pg("57P03", "the database system is shutting down")));
    assertTrue(Database.connectionFailure(pg("57P01", "terminating connection due to administrator command")));
    assertTrue(Database.connectionFailure(pg("08006", "connection failure")));
    assertTrue(Database.connectionFailure(new ExecutionException(pg("57P02", "crash shutdown"))), "wrapped");
    assertTrue(Database.connectionFailure(new RuntimeException(new ConnectException("Connection refused"))));
  }

  @Test
  void aRecordsOwnFailureIsNotTheConnections() {
    assertFalse(Database.connectionFailure(pg("23505", "duplicate key value violates unique constraint")));
    assertFalse(Database.connectionFailure(pg("22P02", "invalid input syntax for type uuid")));
    assertFalse(Database.connectionFailure(pg("57014", "canceling statement due to statement timeout")));
    assertFalse(Database.connectionFailure(new IllegalArgumentException("not an envelope")));
  }

  @Test
  void theProbeSaysAwayOnAConnectionsFailureWithoutAskingTheDatabase() {
    // no client: a probe that asked the database here would fail with a NullPointerException, not the cause
    ExecutionException away = assertThrows(ExecutionException.class, () -> Database.probe(null)
        .check(pg("57P03", "the database system is shutting down")).toCompletableFuture().get());
    assertTrue(away.getCause() instanceof PgException);
  }
}
