package com.necpgame.mesh.testsupport;

import com.necpgame.mesh.store.EmbeddedDatabase;
import io.vertx.pgclient.PgConnectOptions;
import java.nio.file.Files;
import java.sql.DriverManager;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one PostgreSQL server of a test JVM: {@code MESH_TEST_DATABASE_URL} if set, else a Testcontainers PostgreSQL
 * where a Docker engine answers, else the mesh's embedded PostgreSQL on a free port. {@link #freshDatabase()} gives a
 * test class an empty database of its own on that server.
 */
public final class TestDatabase {

  private static final Logger LOG = LoggerFactory.getLogger(TestDatabase.class);
  private static PgConnectOptions server;

  private TestDatabase() {}

  /** The server's default database. */
  public static synchronized PgConnectOptions options() {
    if (server == null) {
      server = start();
    }
    return new PgConnectOptions(server);
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
      Runtime.getRuntime().addShutdownHook(new Thread(container::stop));
      return new PgConnectOptions().setHost(container.getHost()).setPort(container.getFirstMappedPort())
          .setDatabase(container.getDatabaseName()).setUser(container.getUsername())
          .setPassword(container.getPassword());
    }
    try {
      EmbeddedDatabase db = EmbeddedDatabase.start(Files.createTempDirectory("mesh-test-postgres"), 0);
      Runtime.getRuntime().addShutdownHook(new Thread(db::close, "test-postgres-stop"));
      return db.connectOptions();
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the embedded test database", e);
    }
  }

  /** A new, empty database on the test server, named uniquely. Blocking (JDBC): call it from test set-up. */
  public static PgConnectOptions freshDatabase() {
    PgConnectOptions base = options();
    String name = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (var c = DriverManager.getConnection(jdbcUrl(base), base.getUser(), base.getPassword());
        var s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (Exception e) {
      throw new IllegalStateException("cannot create test database " + name, e);
    }
    return new PgConnectOptions(base).setDatabase(name);
  }

  /** A postgresql:// URL for the mesh's {@code database.url}. */
  public static String url(PgConnectOptions o) {
    String auth = o.getPassword() == null || o.getPassword().isEmpty() ? o.getUser() : o.getUser() + ":" + o.getPassword();
    return "postgresql://" + auth + "@" + o.getHost() + ":" + o.getPort() + "/" + o.getDatabase();
  }

  private static String jdbcUrl(PgConnectOptions o) {
    return "jdbc:postgresql://" + o.getHost() + ":" + o.getPort() + "/" + o.getDatabase();
  }
}
