package com.necpgame.mesh.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nothing silently dropped (issue 18): with the defaults a topic outside the game's is stored and delivered; where an
 * operator narrows {@code delivery.topics}, a subscription it can never serve is 400 naming the setting.
 */
class NothingDroppedIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @Test
  void anAnalyticsSubscriptionReceivesItsEventsAndTheirStatusIsFound(@TempDir Path dir) throws Exception {
    int port = TestMesh.freePort();
    Mesh mesh = Mesh.start(TestMesh.config(dir, port, new JsonObject().put("delivery", new JsonObject()
        .put("refresh_ms", 200).put("webhook", new JsonObject().put("poll_ms", 100)))));
    try (WebhookDeliveryIT.Receiver receiver = new WebhookDeliveryIT.Receiver()) {
      String topic = TestKafka.unique("analytics.sessions");
      HttpResponse<String> created = call(port, "POST", "/topics", new JsonObject().put("name", topic)
          .put("partitions", 2).put("replication_factor", 1));
      assertEquals(201, created.statusCode(), created.body());
      HttpResponse<String> sub = call(port, "POST", "/subscriptions", new JsonObject().put("service_name", "analytics")
          .put("method", "webhook").put("topic_pattern", "analytics.*").put("endpoint", receiver.url("/hook")));
      assertEquals(201, sub.statusCode(), sub.body());
      Thread.sleep(500); // the router re-reads subscriptions every 200 ms

      HttpResponse<String> published = call(port, "POST", "/events/publish", new JsonObject()
          .put("event_type", "analytics.session.started").put("topic", topic).put("source", "nothing-dropped-it")
          .put("payload", new JsonObject().put("player_id", "p1")));
      assertEquals(200, published.statusCode(), published.body());
      String id = new JsonObject(published.body()).getString("event_id");

      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!receiver.delivered().contains(id) && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertTrue(receiver.delivered().contains(id), "delivered: " + receiver.delivered());
      HttpResponse<String> status = call(port, "GET", "/events/" + id + "/status", null);
      for (; status.statusCode() == 404 && System.nanoTime() < deadline; Thread.sleep(100)) {
        status = call(port, "GET", "/events/" + id + "/status", null);
      }
      assertEquals(200, status.statusCode(), "stored: " + status.body());
      assertEquals(topic, new JsonObject(status.body()).getString("topic"));

      // the mesh's own topics are never delivered: a pattern only they match is refused, naming why
      HttpResponse<String> internal = call(port, "POST", "/subscriptions", new JsonObject()
          .put("service_name", "peek").put("method", "webhook").put("topic_pattern", "match-state")
          .put("endpoint", receiver.url("/peek")));
      assertEquals(400, internal.statusCode(), internal.body());
      assertTrue(internal.body().contains("match.topics.state"), internal.body());
    } finally {
      mesh.close();
    }
  }

  @Test
  void aSubscriptionANarrowedDeliverySettingExcludesIsRefusedNamingIt(@TempDir Path dir) throws Exception {
    int port = TestMesh.freePort();
    JsonObject off = new JsonObject().put("enabled", false);
    Mesh mesh = Mesh.start(TestMesh.config(dir, port, new JsonObject()
        .put("delivery", new JsonObject().put("topics", "game\\..+"))
        .put("verticles", new JsonObject().put("store", off.copy()).put("delivery", off.copy())
            .put("replay", off.copy()))));
    try {
      HttpResponse<String> refused = call(port, "POST", "/subscriptions", new JsonObject()
          .put("service_name", "analytics").put("method", "webhook").put("topic_pattern", "analytics.*")
          .put("endpoint", "http://127.0.0.1:9/hook"));
      assertEquals(400, refused.statusCode(), refused.body());
      JsonObject detail = new JsonObject(refused.body()).getJsonObject("error").getJsonArray("details").getJsonObject(0);
      assertEquals("/topic_pattern", detail.getString("pointer"), refused.body());
      assertTrue(detail.getString("message").contains("delivery.topics"), refused.body());
      HttpResponse<String> list = call(port, "GET", "/subscriptions", null);
      assertEquals(200, list.statusCode(), list.body());
      assertTrue(!list.body().contains("analytics.*"), "nothing recorded: " + list.body());
      HttpResponse<String> game = call(port, "POST", "/subscriptions", new JsonObject()
          .put("service_name", "game").put("method", "webhook").put("topic_pattern", "game.*")
          .put("endpoint", "http://127.0.0.1:9/hook"));
      assertEquals(201, game.statusCode(), "a pattern it covers still passes: " + game.body());

      // PATCH to a pattern it excludes is checked as POST is, and changes nothing
      String id = new JsonObject(game.body()).getString("subscription_id");
      HttpResponse<String> patched = call(port, "PATCH", "/subscriptions/" + id, new JsonObject()
          .put("topic_pattern", "analytics.*"));
      assertEquals(400, patched.statusCode(), patched.body());
      JsonObject why = new JsonObject(patched.body()).getJsonObject("error").getJsonArray("details").getJsonObject(0);
      assertEquals("/topic_pattern", why.getString("pointer"), patched.body());
      assertTrue(why.getString("message").contains("delivery.topics"), patched.body());
      HttpResponse<String> kept = call(port, "GET", "/subscriptions/" + id, null);
      assertEquals("game.*", new JsonObject(kept.body()).getString("topic_pattern"), "unchanged: " + kept.body());
      HttpResponse<String> narrowed = call(port, "PATCH", "/subscriptions/" + id, new JsonObject()
          .put("topic_pattern", "game.economy.*"));
      assertEquals(200, narrowed.statusCode(), "a pattern it covers still passes: " + narrowed.body());
      assertEquals("game.economy.*", new JsonObject(narrowed.body()).getString("topic_pattern"));
    } finally {
      mesh.close();
    }
  }

  private static HttpResponse<String> call(int port, String method, String path, JsonObject body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("content-type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofString());
  }
}
