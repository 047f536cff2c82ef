package com.necpgame.mesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.store.SubscriptionRegistry;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /subscriptions against a running mesh and a real database: every field, every error, secrets and rotation. */
class SubscriptionRoutesIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static Mesh mesh;
  private static int port;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    port = TestMesh.freePort();
    mesh = Mesh.start(TestMesh.config(dir, port, new JsonObject()
        .put("http", new JsonObject().put("max_body_bytes", 4096))));
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  private static HttpResponse<String> call(String method, String path, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("content-type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonObject created(JsonObject request) throws Exception {
    HttpResponse<String> response = call("POST", "/subscriptions", request.encode());
    assertEquals(201, response.statusCode(), response.body());
    JsonObject body = new JsonObject(response.body());
    assertEquals("/subscriptions/" + body.getString("subscription_id"),
        response.headers().firstValue("location").orElse(""));
    return body;
  }

  private static List<String> pointers(HttpResponse<String> response) {
    assertEquals(400, response.statusCode(), response.body());
    JsonObject error = new JsonObject(response.body()).getJsonObject("error");
    assertEquals("invalid_subscription", error.getString("code"));
    return error.getJsonArray("details").stream().map(d -> ((JsonObject) d).getString("pointer")).sorted().toList();
  }

  @Test
  void theSeedsRequestCreatesAKafkaSubscriptionWithDefaults() throws Exception {
    String service = TestKafka.unique("analytics-service");
    JsonObject sub = created(new JsonObject("{\"service_name\":\"" + service + "\",\"topic_pattern\":\"game.*\","
        + "\"event_types\":[\"game.match.end\",\"game.player.action\"],\"method\":\"kafka\",\"max_retries\":3,"
        + "\"retry_delay\":60,\"rate_limit_per_min\":1000,\"enable_batching\":false,\"requires_ack\":true}"));
    assertTrue(sub.getString("subscription_id").startsWith("sub_"));
    assertEquals("sub." + service, sub.getString("endpoint"), "kafka copies to the subscriber's own topic");
    assertEquals("active", sub.getString("status"));
    assertEquals(new JsonArray().add("game.match.end").add("game.player.action"), sub.getJsonArray("event_types"));
    assertEquals(new JsonObject(), sub.getJsonObject("filter"));
    assertFalse(sub.containsKey("secret"), "only webhooks are signed");
    JsonObject read = new JsonObject(call("GET", "/subscriptions/" + sub.getString("subscription_id"), null).body());
    assertEquals(sub, read);

    JsonObject minimal = created(new JsonObject().put("service_name", service).put("method", "websocket"));
    assertEquals("*", minimal.getString("topic_pattern"));
    assertEquals(3, minimal.getInteger("max_retries"));
    assertEquals(60, minimal.getInteger("retry_delay"));
    assertEquals(1000, minimal.getInteger("rate_limit_per_min"));
    assertNull(minimal.getString("endpoint"));
  }

  @Test
  void aWebhookGetsItsSecretOnceAndARotationKeepsThePreviousOneForTheOverlap() throws Exception {
    JsonObject sub = created(new JsonObject().put("service_name", "hooks").put("method", "webhook")
        .put("endpoint", "https://example.test/hook").put("filter", "{\"data.weapon\":\"plasma\"}"));
    String secret = sub.getString("secret");
    assertTrue(secret.startsWith("whsec_"), sub.encode());
    assertEquals(new JsonObject().put("data.weapon", "plasma"), sub.getJsonObject("filter"), "the seed's string form");
    String id = sub.getString("subscription_id");
    String read = call("GET", "/subscriptions/" + id, null).body();
    assertFalse(read.contains(secret) || read.contains("secret"), "never shown again: " + read);
    assertFalse(call("GET", "/subscriptions?service_name=hooks", null).body().contains("secret"));

    HttpResponse<String> rotated = call("PATCH", "/subscriptions/" + id, "{\"rotate_secret\":true}");
    assertEquals(200, rotated.statusCode(), rotated.body());
    JsonObject after = new JsonObject(rotated.body());
    String next = after.getString("secret");
    assertNotEquals(secret, next);
    Instant until = Instant.parse(after.getString("previous_secret_expires_at"));
    assertTrue(until.isAfter(Instant.now().plus(Duration.ofHours(23))), "24 h overlap by default");
    JsonObject stored = new SubscriptionRegistry(mesh.context().pool(), mesh.context().secrets()).get(id)
        .toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    assertEquals(next, stored.getString("signing_secret"));
    assertEquals(secret, stored.getString("previous_signing_secret"));
  }

  @Test
  void patchPausesResumesAndChangesOnlyWhatItNames() throws Exception {
    JsonObject sub = created(new JsonObject().put("service_name", "patcher").put("topic_pattern", "game.*")
        .put("event_types", new JsonArray().add("game.kill")));
    String path = "/subscriptions/" + sub.getString("subscription_id");
    JsonObject paused = new JsonObject(call("PATCH", path, "{\"status\":\"paused\"}").body());
    assertEquals("paused", paused.getString("status"));
    assertEquals("game.*", paused.getString("topic_pattern"));
    assertEquals(new JsonArray().add("game.kill"), paused.getJsonArray("event_types"));
    JsonObject changed = new JsonObject(call("PATCH", path,
        "{\"status\":\"active\",\"filter\":{\"source\":[\"a\",\"b\"]},\"max_retries\":7}").body());
    assertEquals("active", changed.getString("status"));
    assertEquals(new JsonObject().put("source", new JsonArray().add("a").add("b")), changed.getJsonObject("filter"));
    assertEquals(7, changed.getInteger("max_retries"));
    assertEquals(sub.getString("endpoint"), changed.getString("endpoint"));
    assertTrue(Instant.parse(changed.getString("updated_at")).compareTo(Instant.parse(sub.getString("updated_at"))) >= 0);

    assertEquals(List.of("/max_retries", "/method", "/status"),
        pointers(call("PATCH", path, "{\"status\":\"gone\",\"max_retries\":-1,\"method\":\"webhook\"}")));
    assertEquals(List.of("/rotate_secret"), pointers(call("PATCH", path, "{\"rotate_secret\":true}")));
    assertEquals(List.of("/endpoint"), pointers(call("PATCH", path, "{\"endpoint\":\"not a topic!\"}")));
  }

  @Test
  void listIsPagedAndFilteredWithATotal() throws Exception {
    String service = TestKafka.unique("lister");
    for (int i = 0; i < 5; i++) {
      created(new JsonObject().put("service_name", service).put("subscription_id", service + "-" + i)
          .put("status", i == 4 ? "paused" : "active"));
    }
    HttpResponse<String> page = call("GET", "/subscriptions?service_name=" + service + "&limit=2&offset=1", null);
    assertEquals(200, page.statusCode());
    assertEquals("5", page.headers().firstValue("x-total-count").orElse(""));
    assertEquals(List.of(service + "-1", service + "-2"), new JsonArray(page.body()).stream()
        .map(s -> ((JsonObject) s).getString("subscription_id")).toList());
    HttpResponse<String> paused = call("GET", "/subscriptions?service_name=" + service + "&status=paused", null);
    assertEquals("1", paused.headers().firstValue("x-total-count").orElse(""));
    assertEquals(400, call("GET", "/subscriptions?limit=0", null).statusCode());
    assertEquals(400, call("GET", "/subscriptions?status=deleted", null).statusCode());
    assertEquals(400, call("GET", "/deliveries?status=lost", null).statusCode());
    assertEquals(400, call("GET", "/deliveries?limit=5000", null).statusCode());
    HttpResponse<String> none = call("GET", "/deliveries?subscription=" + service + "-0", null);
    assertEquals(200, none.statusCode());
    assertEquals("0", none.headers().firstValue("x-total-count").orElse(""));
  }

  @Test
  void invalidRequestsAreRefusedWithEveryProblemAndItsPointer() throws Exception {
    assertEquals(List.of("/colour", "/event_types", "/filter/data.~1x", "/max_retries", "/method", "/service_name",
        "/topic_pattern"), pointers(call("POST", "/subscriptions", new JsonObject().put("service_name", "Bad Name")
            .put("method", "carrier-pigeon").put("max_retries", "3").put("topic_pattern", "game events")
            .put("event_types", "game.kill").put("filter", new JsonObject().put("data./x", 1)).put("colour", "red")
            .encode())));
    assertEquals(List.of("/service_name"), pointers(call("POST", "/subscriptions", "{}")));
    assertEquals(List.of("/endpoint"), pointers(call("POST", "/subscriptions",
        "{\"service_name\":\"s\",\"method\":\"webhook\"}")));
    assertEquals(List.of("/endpoint"), pointers(call("POST", "/subscriptions",
        "{\"service_name\":\"s\",\"method\":\"webhook\",\"endpoint\":\"ftp://x/y\"}")));
    assertEquals(List.of("/endpoint"), pointers(call("POST", "/subscriptions",
        "{\"service_name\":\"s\",\"method\":\"websocket\",\"endpoint\":\"https://x\"}")));
    assertEquals(400, call("POST", "/subscriptions", "{\"service_name\":").statusCode());
    assertEquals(415, HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/subscriptions"))
        .header("content-type", "text/plain").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode());
    assertEquals(413, call("POST", "/subscriptions", new JsonObject().put("service_name", "s")
        .put("topic_pattern", "x".repeat(5000)).encode()).statusCode());
  }

  @Test
  void duplicatesAre409AndUnknownOrDeletedAre404() throws Exception {
    String id = TestKafka.unique("dup");
    created(new JsonObject().put("service_name", "dups").put("subscription_id", id));
    HttpResponse<String> again = call("POST", "/subscriptions",
        new JsonObject().put("service_name", "dups").put("subscription_id", id).encode());
    assertEquals(409, again.statusCode());
    assertEquals("subscription_exists", new JsonObject(again.body()).getJsonObject("error").getString("code"));
    assertEquals(204, call("DELETE", "/subscriptions/" + id, null).statusCode());
    for (String method : List.of("GET", "DELETE")) {
      HttpResponse<String> gone = call(method, "/subscriptions/" + id, null);
      assertEquals(404, gone.statusCode());
      assertEquals("subscription_not_found", new JsonObject(gone.body()).getJsonObject("error").getString("code"));
    }
    assertEquals(404, call("PATCH", "/subscriptions/" + id, "{\"status\":\"paused\"}").statusCode());
  }
}
