package com.necpgame.mesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.testsupport.TestDatabase;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a caller learns when PostgreSQL fails under the mesh: a 503 with a generic message and the request id to find
 * the cause by in the log, never PostgreSQL's own error text (it names the database, the host and port, tables, SQL).
 * The mesh's database is dropped under it, so every query fails with PostgreSQL's "database ... does not exist".
 */
class InternalErrorsIT {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void a503FromAFailingDatabaseCarriesNoPostgresText(@TempDir Path dir) throws Exception {
    PgConnectOptions db = TestDatabase.freshDatabase();
    int port = TestMesh.freePort();
    try (Mesh mesh = Mesh.start(TestMesh.config(dir, port, new JsonObject()
        .put("database", new JsonObject().put("url", TestDatabase.url(db)).put("pool_size", 2))))) {
      assertEquals(200, get(port, "/subscriptions", null).statusCode());
      drop(db);

      String requestId = "req-pg-down-1";
      HttpResponse<String> response = get(port, "/subscriptions", requestId);
      assertEquals(503, response.statusCode(), response.body());
      JsonObject error = new JsonObject(response.body()).getJsonObject("error");
      assertEquals("database_unavailable", error.getString("code"), response.body());
      String message = error.getString("message");
      assertTrue(message.contains(requestId), "the request id to look the cause up by: " + message);
      assertEquals(requestId, response.headers().firstValue("X-Request-Id").orElse(""));
      assertNoInternals(response.body(), db);

      HttpResponse<String> ready = get(port, "/ready", null);
      assertEquals(503, ready.statusCode(), ready.body());
      assertEquals("DOWN", new JsonObject(ready.body()).getJsonObject("checks").getJsonObject("database")
          .getString("status"), ready.body());
      assertNoInternals(ready.body(), db);
    }
  }

  private static void assertNoInternals(String body, PgConnectOptions db) {
    for (String leak : List.of(db.getDatabase(), "does not exist", "3D000", "127.0.0.1", String.valueOf(db.getPort()),
        "Exception", "FATAL", "postgres")) {
      assertFalse(body.contains(leak), "\"" + leak + "\" in " + body);
    }
  }

  /** Drops the mesh's database, ending its connections (PostgreSQL 13+). */
  private static void drop(PgConnectOptions db) throws Exception {
    PgConnectOptions server = TestDatabase.options();
    String jdbc = "jdbc:postgresql://" + server.getHost() + ":" + server.getPort() + "/" + server.getDatabase();
    try (Connection c = DriverManager.getConnection(jdbc, server.getUser(), server.getPassword());
        Statement s = c.createStatement()) {
      s.execute("DROP DATABASE " + db.getDatabase() + " WITH (FORCE)");
    }
  }

  private static HttpResponse<String> get(int port, String path, String requestId) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30));
    if (requestId != null) {
      request.header("X-Request-Id", requestId);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
