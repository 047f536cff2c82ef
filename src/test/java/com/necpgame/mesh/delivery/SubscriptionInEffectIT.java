package com.necpgame.mesh.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.json.JsonArray;
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
 * A subscription is in effect for every event published after its creation was answered, however long
 * {@code delivery.refresh_ms} is: the router checks the registry's change mark when a batch holds a record newer than
 * its last read. Before, a subscription created just after the router's periodic read missed every event published
 * until the next one (here 10 minutes; 2 s by default), which the failover test once met as a probe never copied.
 */
class SubscriptionInEffectIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @Test
  void anEventPublishedRightAfterASubscriptionWasCreatedReachesIt(@TempDir Path dir) throws Exception {
    int port = TestMesh.freePort();
    try (Mesh mesh = Mesh.start(TestMesh.config(dir, port, new JsonObject()
        .put("delivery", new JsonObject().put("refresh_ms", 600_000))))) {
      // the router has read the subscriptions once: the first is in effect, its copy arrives
      String warm = TestKafka.createTopic("game.in-effect-warm", 1);
      String first = subscribe(port, warm);
      String warmId = publish(port, warm);
      awaitCopy(first, warmId);

      String later = TestKafka.createTopic("game.in-effect", 1);
      String second = subscribe(port, later);
      String id = publish(port, later);
      awaitCopy(second, id);
    }
  }

  /** A kafka subscription to {@code topic}; its copies' topic. */
  private static String subscribe(int port, String topic) throws Exception {
    HttpResponse<String> r = call(port, "/subscriptions", new JsonObject().put("service_name",
        TestKafka.unique("in-effect")).put("topic_pattern", topic).put("event_types", new JsonArray().add("game.x")));
    assertEquals(201, r.statusCode(), r.body());
    return new JsonObject(r.body()).getString("endpoint");
  }

  private static String publish(int port, String topic) throws Exception {
    HttpResponse<String> r = call(port, "/events/publish", new JsonObject().put("event_type", "game.x")
        .put("topic", topic).put("source", "in-effect-it").put("payload", new JsonObject()));
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body()).getString("event_id");
  }

  private static void awaitCopy(String copies, String eventId) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (TestKafka.envelopes(copies).stream().noneMatch(e -> eventId.equals(e.getString("event_id")))) {
      assertTrue(System.nanoTime() < end, "event " + eventId + " not copied to " + copies + " within 60 s");
      Thread.sleep(200);
    }
  }

  private static HttpResponse<String> call(int port, String path, JsonObject body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
