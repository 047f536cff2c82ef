package com.necpgame.mesh.store;

import com.necpgame.mesh.kafka.GroupConsumer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlClient;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;

/** The process's PostgreSQL pool. */
public final class Database {

  private Database() {}

  /** A pool of at most {@code size} connections. */
  public static Pool pool(Vertx vertx, PgConnectOptions options, int size) {
    return PgBuilder.pool().with(new PoolOptions().setMaxSize(size)).connectingTo(options).using(vertx).build();
  }

  /**
   * The database as a {@link GroupConsumer.Probe}: away when the handler's failure was the connection's ({@link
   * #connectionFailure}), or when {@code SELECT 1} fails. Without the first check, a record that failed on a pooled
   * connection the server closed while shutting down, tried once more after the server was back, was blamed (the
   * ping on a new connection answered) and skipped (a delivery lost after a PostgreSQL outage).
   */
  public static GroupConsumer.Probe probe(SqlClient client) {
    return cause -> connectionFailure(cause) ? CompletableFuture.failedFuture(cause)
        : ping(client).toCompletionStage();
  }

  /**
   * Whether a failure is the connection's, never a record's: an I/O error, a closed connection, SQLSTATE class 08
   * (connection exception) or 57P01 to 57P03 (the server shutting down, crashed, or not yet accepting connections).
   */
  static boolean connectionFailure(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof IOException || t instanceof ClosedConnectionException || t instanceof PgException pg
          && pg.getSqlState() != null && (pg.getSqlState().startsWith("08") || pg.getSqlState().matches("57P0[123]"))) {
        return true;
      }
    }
    return false;
  }

  /** Succeeds when the database answers {@code SELECT 1}. */
  public static Future<Void> ping(SqlClient client) {
    return client.query("SELECT 1").execute().mapEmpty();
  }
}
