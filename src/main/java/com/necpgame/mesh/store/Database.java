package com.necpgame.mesh.store;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;

/** The process's PostgreSQL pool. */
public final class Database {

  private Database() {}

  public static Pool pool(Vertx vertx, PgConnectOptions options, int size) {
    return PgBuilder.pool().with(new PoolOptions().setMaxSize(size).setName("mesh"))
        .connectingTo(options).using(vertx).build();
  }
}
