package com.necpgame.mesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Market orders of authenticated principals: mallory, a trader like alice, tries to place an order in alice's name and
 * to cancel alice's order. Both are refused, and the orders topic shows alice's order placed and cancelled by alice
 * only, and mallory's own order in mallory's name.
 */
class MarketOwnerIT {

  private static final String ALICE = "alice-key-0123456789";
  private static final String MALLORY = "mallory-key-0123456789";
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static Mesh mesh;
  private static int port;
  private static String orders;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    orders = TestKafka.createTopic("economy.orders", 3);
    JsonObject principals = new JsonObject()
        .put("alice", new JsonObject().put("api_keys", new JsonArray().add(ALICE))
            .put("endpoints", new JsonArray().add("market")))
        .put("mallory", new JsonObject().put("api_keys", new JsonArray().add(MALLORY))
            .put("endpoints", new JsonArray().add("market")));
    port = TestMesh.freePort();
    mesh = Mesh.start(TestMesh.config(dir, port, new JsonObject()
        .put("security", new JsonObject().put("anonymous", "deny").put("principals", principals))
        .put("world", new JsonObject().put("market", new JsonObject().put("topics", new JsonObject()
            .put("orders", orders))))));
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  void aPrincipalCannotPlaceOrCancelInAnothersName() throws Exception {
    HttpResponse<String> placed = send(ALICE, "POST", "/market/orders", order("alice"));
    assertEquals(202, placed.statusCode(), placed.body());
    String aliceOrder = new JsonObject(placed.body()).getString("order_id");

    // the attack: an order in alice's name, and cancels of alice's order with and without naming her
    HttpResponse<String> forged = send(MALLORY, "POST", "/market/orders", order("alice"));
    assertEquals(403, forged.statusCode(), forged.body());
    assertEquals("forbidden", code(forged));
    HttpResponse<String> cancel = send(MALLORY, "DELETE", "/market/orders/" + aliceOrder, null);
    assertEquals(404, cancel.statusCode(), cancel.body());
    assertEquals("order_not_found", code(cancel));
    HttpResponse<String> named = send(MALLORY, "DELETE", "/market/orders/" + aliceOrder + "?owner=alice", null);
    assertEquals(403, named.statusCode(), named.body());

    // mallory's own order, owner left out: it is mallory's
    HttpResponse<String> own = send(MALLORY, "POST", "/market/orders", order(null));
    assertEquals(202, own.statusCode(), own.body());
    String malloryOrder = new JsonObject(own.body()).getString("order_id");
    HttpResponse<String> aliceCancels = send(ALICE, "DELETE", "/market/orders/" + aliceOrder, null);
    assertEquals(202, aliceCancels.statusCode(), aliceCancels.body());

    List<String> events = TestKafka.envelopes(orders).stream()
        .map(e -> e.getString("event_type") + " " + e.getJsonObject("data").getString("order_id") + " by "
            + e.getJsonObject("data").getString("owner"))
        .toList();
    assertEquals(3, events.size(), events.toString());
    assertEquals(java.util.Set.of("economy.order.cancelled " + aliceOrder + " by alice",
        "economy.order.placed " + aliceOrder + " by alice",
        "economy.order.placed " + malloryOrder + " by mallory"), java.util.Set.copyOf(events));
  }

  private static JsonObject order(String owner) {
    JsonObject order = new JsonObject().put("commodity", "food").put("side", "buy").put("limit_price", 4)
        .put("quantity", 10);
    return owner == null ? order : order.put("owner", owner);
  }

  private static String code(HttpResponse<String> response) {
    return new JsonObject(response.body()).getJsonObject("error").getString("code");
  }

  private static HttpResponse<String> send(String key, String method, String path, JsonObject body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("X-API-Key", key).timeout(Duration.ofSeconds(30));
    if (body != null) {
      b.header("content-type", "application/json");
    }
    return HTTP.send(b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofString());
  }
}
