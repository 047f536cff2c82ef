package com.necpgame.mesh.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The PostgreSQL the mesh starts when no database URL is configured. Each test has a data directory of its own. */
class EmbeddedDatabaseIT {

  @TempDir
  Path dir;

  private Path data;
  private Vertx vertx;
  private Process child;

  @BeforeEach
  void setUp() {
    data = dir.resolve("pg");
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (child != null) {
      child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      if (Files.exists(data.resolve("postmaster.pid"))) {
        EmbeddedDatabase.start(data, 0).close(); // a failed test must not leave its orphan running
      }
    }
    await(vertx.close());
  }

  @Test
  void startsDurableWithTheMeshDatabase() throws Exception {
    try (EmbeddedDatabase db = EmbeddedDatabase.start(data, 0)) {
      assertEquals("on", scalar(db, "SHOW fsync"));
      assertEquals("on", scalar(db, "SHOW synchronous_commit"));
      assertEquals("mesh", scalar(db, "SELECT current_database()"));
      assertEquals(db.port(), db.connectOptions().getPort());
      assertEquals("127.0.0.1", db.host());
    }
  }

  /**
   * Any local process (another user's, a browser page rebinding a name to 127.0.0.1 cannot speak PostgreSQL, but a
   * local tool can) connects as the superuser: without a password, or with a guessed one, it is refused; the mesh's
   * password, kept in the data directory for its owner only, is asked for, and the same after a restart.
   */
  @Test
  void refusesConnectionsWithoutThePasswordKeptInTheDataDirectory() throws Exception {
    String password;
    try (EmbeddedDatabase db = EmbeddedDatabase.start(data, 0)) {
      password = db.password();
      assertTrue(password.length() >= 40, "a random password: " + password.length() + " characters");
      Path file = data.resolve("mesh-password");
      assertEquals(password, Files.readString(file).trim());
      assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
          Files.getPosixFilePermissions(file)));
      assertRefused(db, null);
      assertRefused(db, "");
      assertRefused(db, "postgres");
      assertRefused(db, password + "x");
      assertEquals("mesh", scalar(db, "SELECT current_database()"), "the mesh's own options carry the password");
      assertEquals("1", jdbcScalar(db, password, "SELECT 1"));
      assertFalse(Files.readString(data.resolve("pg_hba.conf")).lines()
          .anyMatch(l -> !l.startsWith("#") && l.contains("trust")), "no trust line left");
    }
    try (EmbeddedDatabase db = EmbeddedDatabase.start(data, 0)) {
      assertEquals(password, db.password(), "the same password after a restart");
      assertRefused(db, null);
      assertEquals("1", jdbcScalar(db, password, "SELECT 1"));
    }
  }

  /** A data directory made by an older mesh (zonky's {@code initdb -A trust}) asks for a password once started. */
  @Test
  void upgradesADataDirectoryMadeWithTrust() throws Exception {
    try (var old = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder().setDataDirectory(data)
        .setCleanDataDirectory(false).setRegisterShutdownHook(false).setServerConfig("listen_addresses", "127.0.0.1")
        .start(); var c = old.getPostgresDatabase().getConnection(); var s = c.createStatement()) {
      s.execute("CREATE DATABASE mesh");
      assertTrue(Files.readString(data.resolve("pg_hba.conf")).contains("trust"), "made the old way");
    }
    try (EmbeddedDatabase db = EmbeddedDatabase.start(data, 0)) {
      execute(db, "CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ('after the upgrade')");
      assertRefused(db, null);
      assertRefused(db, "wrong");
      assertEquals(db.password(), Files.readString(data.resolve("mesh-password")).trim());
    }
    try (EmbeddedDatabase db = EmbeddedDatabase.start(data, 0)) {
      assertRefused(db, null);
      assertEquals("after the upgrade", scalar(db, "SELECT v FROM kept"));
    }
  }

  private static void assertRefused(EmbeddedDatabase db, String password) {
    java.sql.SQLException refused = assertThrows(java.sql.SQLException.class, () -> jdbcScalar(db, password,
        "SELECT 1"), "connected with password " + password);
    assertTrue(refused.getMessage().contains("password"), refused.getMessage());
  }

  private static String jdbcScalar(EmbeddedDatabase db, String password, String sql) throws java.sql.SQLException {
    java.util.Properties props = new java.util.Properties();
    props.setProperty("user", db.user());
    if (password != null) {
      props.setProperty("password", password);
    }
    try (var c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + db.port() + "/" + db.database(), props);
        var s = c.createStatement(); var rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  @Test
  void keepsItsDataAcrossAStopAndStart() throws Exception {
    try (EmbeddedDatabase db = EmbeddedDatabase.start(data, 0)) {
      execute(db, "CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ('before restart')");
    }
    assertFalse(Files.exists(data.resolve("postmaster.pid")), "a clean stop removes postmaster.pid");
    try (EmbeddedDatabase db = EmbeddedDatabase.start(data, 0)) {
      assertEquals("before restart", scalar(db, "SELECT v FROM kept"));
    }
  }

  @Test
  void takesOverAfterTheOwningProcessWasKilled() throws Exception {
    child = startChild(data);
    long postmaster = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());

    IllegalStateException inUse = assertThrows(IllegalStateException.class, () -> EmbeddedDatabase.start(data, 0));
    assertTrue(inUse.getMessage().contains("in use by another running process"), inUse.getMessage());
    assertTrue(isAlive(postmaster), "the live owner's server was left alone");

    child.destroyForcibly(); // SIGKILL: no shutdown hook, no clean stop
    assertTrue(child.waitFor(30, TimeUnit.SECONDS));
    assertTrue(isAlive(postmaster), "the killed JVM left its postmaster running, holding the data directory");

    try (EmbeddedDatabase db = EmbeddedDatabase.start(data, 0)) {
      assertFalse(isAlive(postmaster), "the orphaned postmaster was stopped");
      assertEquals("committed before the kill", scalar(db, "SELECT v FROM kept"));
    }
  }

  @Test
  void removesAPidFileWhosePidNowBelongsToAnotherProcess() throws Exception {
    EmbeddedDatabase.start(data, 0).close();
    Process unrelated = new ProcessBuilder("sleep", "60").start();
    try {
      Files.writeString(data.resolve("postmaster.pid"), unrelated.pid() + "\n" + data + "\n");
      try (EmbeddedDatabase db = EmbeddedDatabase.start(data, 0)) {
        assertEquals("1", scalar(db, "SELECT 1"));
      }
      assertTrue(unrelated.isAlive(), "the process that reused the pid was not touched");
    } finally {
      unrelated.destroyForcibly();
    }
  }

  @Test
  void removesAPidFileWhoseProcessIsGone() throws Exception {
    EmbeddedDatabase.start(data, 0).close();
    Process gone = new ProcessBuilder("true").start();
    assertTrue(gone.waitFor(10, TimeUnit.SECONDS));
    Files.writeString(data.resolve("postmaster.pid"), gone.pid() + "\n" + data + "\n");
    try (EmbeddedDatabase db = EmbeddedDatabase.start(data, 0)) {
      assertEquals("1", scalar(db, "SELECT 1"));
    }
  }

  /** Starts {@link Child} on the data directory and waits until it has committed a row. */
  private static Process startChild(Path data) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    Process process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Child.class.getName(),
        data.toString()).redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    StringBuilder output = new StringBuilder();
    for (String line = out.readLine(); line != null; line = out.readLine()) {
      if (line.equals("STARTED")) {
        return process;
      }
      output.append(line).append('\n');
    }
    throw new AssertionError("the child JVM did not start the database:\n" + output);
  }

  /** A JVM that starts the database on the given directory, commits a row and waits to be killed. */
  public static final class Child {
    public static void main(String[] args) throws Exception {
      EmbeddedDatabase db = EmbeddedDatabase.start(Path.of(args[0]), 0);
      String url = "jdbc:postgresql://" + db.host() + ":" + db.port() + "/" + db.database();
      try (var c = DriverManager.getConnection(url, db.user(), db.password()); var s = c.createStatement()) {
        s.execute("CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ('committed before the kill')");
      }
      System.out.println("STARTED");
      System.out.flush();
      Thread.sleep(Long.MAX_VALUE);
    }
  }

  private String scalar(EmbeddedDatabase db, String sql) throws Exception {
    return execute(db, sql).iterator().next().getValue(0).toString();
  }

  private RowSet<Row> execute(EmbeddedDatabase db, String sql) throws Exception {
    Pool pool = Database.pool(vertx, db.connectOptions(), 1);
    try {
      return await(pool.query(sql).execute());
    } finally {
      await(pool.close());
    }
  }

  private static boolean isAlive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
