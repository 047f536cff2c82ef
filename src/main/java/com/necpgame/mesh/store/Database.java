package com.necpgame.mesh.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlClient;

/** The process's PostgreSQL pool. */
public final class Database {

  private Database() {}

  /** A pool of at most {@code size} connections. */
  public static Pool pool(Vertx vertx, PgConnectOptions options, int size) {
    return PgBuilder.pool().with(new PoolOptions().setMaxSize(size)).connectingTo(options).using(vertx).build();
  }

  /** Succeeds when the database answers {@code SELECT 1}. */
  public static Future<Void> ping(SqlClient client) {
    return client.query("SELECT 1").execute().mapEmpty();
  }
}
