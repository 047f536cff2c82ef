package com.necpgame.mesh.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Versioned schema migrations: {@code db/V<version>__<name>.sql} files, listed in version order in
 * {@code db/migrations.txt} (an index, because a fat jar cannot list a resource folder). Each is applied once, in its
 * own transaction, and recorded in {@code schema_migrations} with its checksum. A session advisory lock, held on one
 * connection for the whole run, lets several processes start at once against the same database.
 *
 * <p>A file runs through the simple query protocol, so it may hold several statements, but no transaction control
 * and nothing that cannot run in a transaction ({@code CREATE INDEX CONCURRENTLY}, {@code VACUUM}).
 */
public final class Migrations {

  private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);
  static final String DIR = "db/";
  static final String INDEX = DIR + "migrations.txt";
  private static final Pattern FILE = Pattern.compile("V(\\d+)__([A-Za-z0-9_]+)\\.sql");
  private static final long LOCK = 0x6d657368L; // "mesh"

  record Migration(int version, String file, String sql, String checksum) {}

  private Migrations() {}

  /**
   * Applies what is missing, in order; the file names applied now (empty when the schema was up to date). Fails,
   * naming the file, if an applied migration was edited since, or if a migration fails (its transaction is rolled
   * back). Reads the migration files from the classpath on the calling thread: call it at start-up.
   */
  public static Future<List<String>> run(Pool pool) {
    return run(pool, Migrations.class.getClassLoader());
  }

  static Future<List<String>> run(Pool pool, ClassLoader resources) {
    List<Migration> migrations;
    try {
      migrations = load(resources);
    } catch (IOException | IllegalStateException e) {
      return Future.failedFuture(e);
    }
    return pool.withConnection(conn -> conn.query("SET client_min_messages TO WARNING").execute()
        .compose(v -> conn.query("SELECT pg_advisory_lock(" + LOCK + ")").execute())
        .compose(v -> conn.query("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
            + "name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW())").execute())
        .compose(v -> conn.query("SELECT version, name, checksum FROM schema_migrations").execute())
        .compose(rows -> applyMissing(conn, migrations, applied(rows)))
        // a broken connection releases the lock by itself: the run's own outcome is the one to report
        .eventually(() -> conn.query("SELECT pg_advisory_unlock(" + LOCK + "); RESET client_min_messages").execute()
            .otherwiseEmpty()));
  }

  private static Map<Integer, Row> applied(Iterable<Row> rows) {
    Map<Integer, Row> applied = new TreeMap<>();
    rows.forEach(row -> applied.put(row.getInteger("version"), row));
    return applied;
  }

  private static Future<List<String>> applyMissing(SqlConnection conn, List<Migration> migrations,
      Map<Integer, Row> applied) {
    Map<Integer, Row> unknown = new TreeMap<>(applied);
    int newest = applied.keySet().stream().mapToInt(Integer::intValue).max().orElse(0);
    List<Migration> missing = new ArrayList<>();
    for (Migration m : migrations) {
      Row row = unknown.remove(m.version());
      if (row == null && m.version() < newest) {
        return Future.failedFuture(new IllegalStateException("migration " + DIR + m.file()
            + " is older than version " + newest + ", already applied; renumber it after " + newest));
      } else if (row == null) {
        missing.add(m);
      } else if (!row.getString("checksum").equals(m.checksum())) {
        return Future.failedFuture(new IllegalStateException("migration " + DIR + m.file()
            + " was changed after it was applied (checksum differs from the one recorded in schema_migrations);"
            + " restore it and add a new migration instead"));
      }
    }
    if (!unknown.isEmpty()) {
      LOG.warn("the database has migrations this build does not know (a newer build applied them): {}",
          unknown.values().stream().map(r -> r.getString("name")).toList());
    }
    List<String> done = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (Migration m : missing) {
      chain = chain.compose(v -> apply(conn, m)).onSuccess(v -> done.add(m.file()));
    }
    return chain.map(v -> done);
  }

  private static Future<Void> apply(SqlConnection conn, Migration m) {
    long started = System.nanoTime();
    return conn.begin().compose(tx -> conn.query(m.sql()).execute()
        .compose(r -> conn.preparedQuery("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)")
            .execute(Tuple.of(m.version(), m.file(), m.checksum())))
        .compose(r -> tx.commit())
        .recover(e -> tx.rollback().otherwiseEmpty().transform(x -> Future.<Void>failedFuture(
            new IllegalStateException("migration " + DIR + m.file() + " failed: " + e.getMessage(), e)))))
        .onSuccess(v -> LOG.info("applied migration {} in {} ms", m.file(), (System.nanoTime() - started) / 1_000_000));
  }

  /** The migrations the index lists, in order, with their SQL and checksums. */
  static List<Migration> load(ClassLoader resources) throws IOException {
    List<Migration> out = new ArrayList<>();
    for (String line : read(resources, INDEX).split("\n")) {
      String file = line.trim();
      if (file.isEmpty() || file.startsWith("#")) {
        continue;
      }
      Matcher m = FILE.matcher(file);
      if (!m.matches()) {
        throw new IllegalStateException(INDEX + ": \"" + file + "\" is not named V<version>__<name>.sql");
      }
      int version = Integer.parseInt(m.group(1));
      if (!out.isEmpty() && out.get(out.size() - 1).version() >= version) {
        throw new IllegalStateException(INDEX + ": " + file + " does not come after "
            + out.get(out.size() - 1).file() + " in version order");
      }
      String sql = read(resources, DIR + file);
      out.add(new Migration(version, file, sql, checksum(sql)));
    }
    return out;
  }

  /** SHA-256 of the text with line endings normalised, so a checkout with CRLF does not look edited. */
  static String checksum(String sql) {
    try {
      byte[] text = sql.replace("\r\n", "\n").getBytes(StandardCharsets.UTF_8);
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String read(ClassLoader resources, String name) throws IOException {
    try (InputStream in = resources.getResourceAsStream(name)) {
      if (in == null) {
        throw new IOException("missing classpath resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
