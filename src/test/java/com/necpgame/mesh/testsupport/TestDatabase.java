package com.necpgame.mesh.testsupport;

import com.necpgame.mesh.store.EmbeddedDatabase;
import io.vertx.pgclient.PgConnectOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one PostgreSQL server of a test JVM, shared by every test: {@code MESH_TEST_DATABASE_URL} if set, else a
 * Testcontainers PostgreSQL where a Docker engine answers, else the mesh's embedded PostgreSQL in a temporary directory
 * on a free port (stopped and deleted when the JVM exits). Tests keep apart with {@link #freshDatabase()}: an empty
 * database of their own on that server.
 */
public final class TestDatabase {

  private static final Logger LOG = LoggerFactory.getLogger(TestDatabase.class);
  private static PgConnectOptions server;

  private TestDatabase() {}

  /** The server's default database. Starts the server on first use (blocking, seconds). */
  public static synchronized PgConnectOptions options() {
    if (server == null) {
      server = start();
    }
    return new PgConnectOptions(server);
  }

  /** {@link #options()} as a {@code postgresql://} URL, the form of the mesh's {@code database.url}. */
  public static String url() {
    return url(options());
  }

  /** A new, empty database on the test server, named {@code t_<random>}. Blocking (JDBC): call it from test set-up. */
  public static PgConnectOptions freshDatabase() {
    PgConnectOptions base = options();
    String name = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    String jdbc = "jdbc:postgresql://" + base.getHost() + ":" + base.getPort() + "/" + base.getDatabase();
    try (Connection c = DriverManager.getConnection(jdbc, base.getUser(), base.getPassword());
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (Exception e) {
      throw new IllegalStateException("cannot create test database " + name + " on " + jdbc, e);
    }
    return new PgConnectOptions(base).setDatabase(name);
  }

  /** These options as a {@code postgresql://user[:password]@host:port/database} URL. */
  public static String url(PgConnectOptions o) {
    String password = o.getPassword();
    String auth = password == null || password.isEmpty() ? o.getUser() : o.getUser() + ":" + password;
    return "postgresql://" + auth + "@" + o.getHost() + ":" + o.getPort() + "/" + o.getDatabase();
  }

  private static PgConnectOptions start() {
    String url = System.getenv("MESH_TEST_DATABASE_URL");
    if (url != null && !url.isBlank()) {
      LOG.info("tests use the PostgreSQL at {}", url.replaceAll(":[^:/@]*@", ":****@"));
      return PgConnectOptions.fromUri(url);
    }
    if (Docker.available()) {
      var container = new org.testcontainers.containers.PostgreSQLContainer<>("postgres:17-alpine");
      container.start();
      Runtime.getRuntime().addShutdownHook(new Thread(container::stop, "test-postgres-stop"));
      LOG.info("tests use a Testcontainers PostgreSQL at {}:{}", container.getHost(), container.getFirstMappedPort());
      return new PgConnectOptions().setHost(container.getHost()).setPort(container.getFirstMappedPort())
          .setDatabase(container.getDatabaseName()).setUser(container.getUsername())
          .setPassword(container.getPassword());
    }
    try {
      Path dir = Files.createTempDirectory("mesh-test-postgres");
      EmbeddedDatabase db = EmbeddedDatabase.start(dir, 0);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        db.close();
        deleteRecursively(dir);
      }, "test-postgres-stop"));
      return db.connectOptions();
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the embedded test database", e);
    }
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.warn("cannot delete {}: {}", dir, e.toString());
    }
  }
}
