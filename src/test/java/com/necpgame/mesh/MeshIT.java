package com.necpgame.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.envelope.Envelope;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One mesh in this JVM against a configured (not embedded) Kafka and PostgreSQL. */
class MeshIT {

  @TempDir
  Path dataDir;

  @Test
  void withConfiguredKafkaAndDatabaseStartsNothingEmbeddedBridgesTheBusAndStoresTheEvent() throws Exception {
    String topic = TestKafka.createTopic("game.mesh-it", 3); // a game topic: the store indexes it
    int port = TestMesh.freePort();
    JsonObject bridge = new JsonObject().put("bridge", new JsonObject().put("outbound", new JsonArray()
        .add(new JsonObject().put("address", "it.out").put("topic", topic).put("key_field", "session_id"))));
    try (Mesh mesh = Mesh.start(TestMesh.config(dataDir, port, bridge))) {
      HttpResponse<String> ready = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ready")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, ready.statusCode(), ready.body());

      JsonObject envelope = Envelope.create("game.match.ended", "it", new JsonObject()).withPlayer("p1", "match-7").toJson();
      JsonObject ack = mesh.vertx().eventBus().<JsonObject>request("it.out", envelope)
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS).body();
      assertEquals(topic, ack.getString("topic"));
      assertTrue(ack.getLong("offset") >= 0);

      assertTrue(mesh.context().validator().validate(envelope).isEmpty(), "the shared validator is wired");
      long tables = mesh.context().pool().query("SELECT count(*) FROM information_schema.tables WHERE table_name IN "
          + "('events','topics','event_subscriptions','event_deliveries')").execute()
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS).iterator().next().getLong(0);
      assertEquals(4, tables, "migrations ran against the configured database");

      var store = new com.necpgame.mesh.store.EventStore(mesh.context().pool());
      JsonObject status = null;
      for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); status == null
          && System.nanoTime() < deadline; Thread.sleep(50)) {
        status = store.status(envelope.getString("event_id")).toCompletionStage().toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
      }
      assertEquals("published", status.getString("status"), "the store writer indexed it");
      assertEquals(ack.getLong("offset"), status.getLong("offset"));
    }
    assertFalse(Files.exists(dataDir.resolve("data")), "no embedded broker or database was started");
  }
}
