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
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Versioned schema migrations: {@code db/V<version>__<name>.sql} files, listed in order in {@code db/migrations.txt}
 * (an index, because a fat jar cannot list a resource folder). Each is applied once, in its own transaction, recorded
 * in {@code schema_migrations} with its checksum; an advisory lock lets several processes start at once.
 */
public final class Migrations {

  static final String INDEX = "db/migrations.txt";
  private static final Pattern FILE = Pattern.compile("V(\\d+)__([A-Za-z0-9_]+)\\.sql");
  private static final long LOCK = 0x6d657368L; // "mesh"

  record Migration(int version, String file, String sql, String checksum) {}

  private Migrations() {}

  /** Applies what is missing; the names applied now. */
  public static Future<List<String>> run(Pool pool) {
    List<Migration> migrations;
    try {
      migrations = load(INDEX);
    } catch (IOException | IllegalStateException e) {
      return Future.failedFuture(e);
    }
    return pool.withConnection(conn -> conn.query("SET client_min_messages TO WARNING").execute()
        .compose(v -> conn.query("SELECT pg_advisory_lock(" + LOCK + ")").execute())
        .compose(v -> conn.query("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
            + "name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW())").execute())
        .compose(v -> conn.query("SELECT version, checksum FROM schema_migrations").execute())
        .compose(rows -> {
          Map<Integer, String> applied = new HashMap<>();
          for (Row row : rows) {
            applied.put(row.getInteger("version"), row.getString("checksum"));
          }
          return applyMissing(conn, migrations, applied);
        })
        .eventually(() -> conn.query("SELECT pg_advisory_unlock(" + LOCK + ")").execute()));
  }

  private static Future<List<String>> applyMissing(SqlConnection conn, List<Migration> migrations,
      Map<Integer, String> applied) {
    List<String> done = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (Migration m : migrations) {
      String checksum = applied.get(m.version());
      if (checksum != null) {
        if (!checksum.equals(m.checksum())) {
          return Future.failedFuture(new IllegalStateException("migration " + m.file()
              + " was changed after it was applied (checksum differs); add a new migration instead"));
        }
        continue;
      }
      chain = chain.compose(v -> conn.begin().compose(tx -> conn.query(m.sql()).execute()
          .compose(r -> conn.preparedQuery("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)")
              .execute(Tuple.of(m.version(), m.file(), m.checksum())))
          .compose(r -> tx.commit())
          .recover(e -> tx.rollback().transform(x -> Future.<Void>failedFuture(
              new IllegalStateException("migration " + m.file() + " failed: " + e.getMessage(), e))))
          .onSuccess(x -> done.add(m.file()))));
    }
    return chain.map(v -> done);
  }

  static List<Migration> load(String index) throws IOException {
    List<Migration> out = new ArrayList<>();
    for (String line : read(index).split("\n")) {
      String file = line.trim();
      if (file.isEmpty() || file.startsWith("#")) {
        continue;
      }
      Matcher m = FILE.matcher(file);
      if (!m.matches()) {
        throw new IllegalStateException(index + ": \"" + file + "\" is not named V<version>__<name>.sql");
      }
      int version = Integer.parseInt(m.group(1));
      if (!out.isEmpty() && out.get(out.size() - 1).version() >= version) {
        throw new IllegalStateException(index + ": " + file + " is out of version order");
      }
      String sql = read("db/" + file);
      out.add(new Migration(version, file, sql, sha256(sql)));
    }
    return out;
  }

  private static String read(String resource) throws IOException {
    try (InputStream in = Migrations.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException("missing classpath resource " + resource);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
