package com.necpgame.mesh.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The PostgreSQL the mesh starts when no database URL is configured. */
class EmbeddedDatabaseIT {

  @TempDir
  Path dir;

  @Test
  void isDurableAndKeepsItsDataAcrossRestartsAndAfterACrash() throws Exception {
    Path data = dir.resolve("pg");
    Vertx vertx = Vertx.vertx();
    try {
      try (EmbeddedDatabase db = EmbeddedDatabase.start(data, 0)) {
        Pool pool = Database.pool(vertx, db.connectOptions(), 2);
        assertEquals("on", scalar(pool, "SHOW fsync"));
        assertEquals("on", scalar(pool, "SHOW synchronous_commit"));
        await(pool.query("CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ('before restart')").execute());
        await(pool.close());
      }

      // A crash of the mesh (kill -9 of its JVM) leaves its postmaster running, holding the data directory.
      Process crashing = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp",
          System.getProperty("java.class.path"), Child.class.getName(), data.toString())
          .redirectErrorStream(true).start();
      StringBuilder output = new StringBuilder();
      var out = new java.io.BufferedReader(new java.io.InputStreamReader(crashing.getInputStream()));
      String line = out.readLine();
      for (; line != null && !line.equals("STARTED"); line = out.readLine()) {
        output.append(line).append('\n');
      }
      assertEquals("STARTED", line, "the child started the database:\n" + output);
      crashing.destroyForcibly(); // SIGKILL: no shutdown hook, no clean stop
      assertTrue(crashing.waitFor(30, TimeUnit.SECONDS));
      long postmaster = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
      assertTrue(ProcessHandle.of(postmaster).map(ProcessHandle::isAlive).orElse(false), "orphaned postmaster");

      try (EmbeddedDatabase again = EmbeddedDatabase.start(data, 0)) {
        assertTrue(ProcessHandle.of(postmaster).map(p -> !p.isAlive()).orElse(true), "the orphan was stopped");
        Pool pool = Database.pool(vertx, again.connectOptions(), 2);
        assertEquals("before restart", scalar(pool, "SELECT v FROM kept"));
        await(pool.close());
      }
    } finally {
      await(vertx.close());
    }
  }

  /** A JVM that starts the database on the given directory and waits to be killed. */
  public static final class Child {
    public static void main(String[] args) throws Exception {
      EmbeddedDatabase.start(Path.of(args[0]), 0);
      System.out.println("STARTED");
      System.out.flush();
      Thread.sleep(Long.MAX_VALUE);
    }
  }

  private static String scalar(Pool pool, String sql) throws Exception {
    return await(pool.query(sql).execute()).iterator().next().getValue(0).toString();
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
