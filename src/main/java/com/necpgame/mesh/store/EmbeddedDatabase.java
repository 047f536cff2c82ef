package com.necpgame.mesh.store;

import io.vertx.pgclient.PgConnectOptions;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL (binaries shipped in the jar) started by this process when no database URL is configured. Its data
 * directory survives restarts; durability is switched back on (the library turns fsync off for tests); a postmaster
 * orphaned by a crash of the previous process is stopped before starting.
 */
public final class EmbeddedDatabase implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabase.class);
  public static final String DATABASE = "mesh";
  public static final String USER = "postgres";

  private final EmbeddedPostgres postgres;

  private EmbeddedDatabase(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  /** Blocking: call from start-up, not from an event loop. {@code port} 0 picks a free port. */
  public static EmbeddedDatabase start(Path dataDir, int port) throws IOException, SQLException {
    long started = System.nanoTime();
    Path dir = dataDir.toAbsolutePath();
    Files.createDirectories(dir);
    stopOrphanedPostmaster(dir);
    EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
        .setDataDirectory(dir)
        .setCleanDataDirectory(false)
        .setRegisterShutdownHook(false)
        .setPGStartupWait(Duration.ofSeconds(60))
        .setServerConfig("listen_addresses", "127.0.0.1")
        .setServerConfig("fsync", "on")
        .setServerConfig("synchronous_commit", "on")
        .setServerConfig("full_page_writes", "on");
    if (port != 0) {
      builder.setPort(port);
    }
    EmbeddedPostgres postgres = builder.start();
    try {
      createDatabaseIfMissing(postgres);
    } catch (SQLException | RuntimeException e) {
      postgres.close();
      throw e;
    }
    LOG.info("embedded PostgreSQL started on 127.0.0.1:{} (data {}) in {} ms", postgres.getPort(), dir,
        (System.nanoTime() - started) / 1_000_000);
    return new EmbeddedDatabase(postgres);
  }

  private static void createDatabaseIfMissing(EmbeddedPostgres postgres) throws SQLException {
    try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + DATABASE + "'")) {
        if (rs.next()) {
          return;
        }
      }
      s.execute("CREATE DATABASE " + DATABASE);
    }
  }

  /**
   * After {@code kill -9} of the previous mesh, its postmaster lives on holding the data directory: stop it (fast
   * shutdown, then kill) so this start can take over. A pid file whose process is gone is left to PostgreSQL.
   */
  static void stopOrphanedPostmaster(Path dir) throws IOException {
    Path pidFile = dir.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    String first = Files.readAllLines(pidFile).stream().findFirst().orElse("").trim();
    Optional<ProcessHandle> process;
    try {
      process = ProcessHandle.of(Long.parseLong(first));
    } catch (NumberFormatException e) {
      return;
    }
    ProcessHandle postmaster = process.filter(ProcessHandle::isAlive)
        .filter(p -> p.info().command().map(c -> c.contains("postgres")).orElse(false)).orElse(null);
    if (postmaster == null) {
      return;
    }
    LOG.warn("stopping PostgreSQL pid {} left over from a previous run on {}", postmaster.pid(), dir);
    try {
      new ProcessBuilder("kill", "-INT", String.valueOf(postmaster.pid())).start().waitFor(5, TimeUnit.SECONDS);
      if (!postmaster.onExit().toCompletableFuture().completeOnTimeout(null, 30, TimeUnit.SECONDS).isDone()
          || postmaster.isAlive()) {
        postmaster.destroyForcibly();
        postmaster.onExit().get(10, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      throw new IOException("cannot stop the PostgreSQL left running on " + dir + " (pid " + postmaster.pid() + ")", e);
    }
  }

  public int port() {
    return postgres.getPort();
  }

  public PgConnectOptions connectOptions() {
    return new PgConnectOptions().setHost("127.0.0.1").setPort(port()).setDatabase(DATABASE).setUser(USER);
  }

  @Override
  public void close() {
    long started = System.nanoTime();
    try {
      postgres.close();
      LOG.info("embedded PostgreSQL stopped in {} ms", (System.nanoTime() - started) / 1_000_000);
    } catch (IOException e) {
      LOG.warn("embedded PostgreSQL did not stop cleanly: {}", e.toString());
    }
  }
}
