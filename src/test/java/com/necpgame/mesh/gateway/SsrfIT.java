package com.necpgame.mesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.testsupport.TestDatabase;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Webhook server-side request forgery (issue 15, finding 2), as a tenant with the {@code subscriptions} right would
 * try it against a shared mesh: {@code delivery.webhook.allow_loopback} false and {@code allowed_cidrs} listing
 * {@code 127.0.0.2/32} (a receiver the operator allows) and {@code 169.0.0.0/8} (which holds the metadata address
 * 169.254.169.254, still refused). The internal services are played by a receiver on 127.0.0.1 that counts every
 * connection: none may reach it.
 */
class SsrfIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Vertx VERTX = Vertx.vertx();
  private static Mesh mesh;
  private static int port;
  /** An internal service on loopback: the attacker's goal. */
  private static Receiver internal;
  /** A receiver on an allow-listed address, which may also answer with a redirect to the internal service. */
  private static Receiver listed;
  /** Created while the same database was served by a laptop mesh (loopback allowed): {@code http://localhost:...}. */
  private static String rebound;
  private static String reboundTopic;

  /** An HTTP server on {@code host} that keeps every request and counts every connection. */
  static final class Receiver {
    final List<String> paths = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger connections = new AtomicInteger();
    final HttpServer server;
    final String host;

    Receiver(String host, String redirectTo) throws Exception {
      this.host = host;
      server = VERTX.createHttpServer().connectionHandler(c -> connections.incrementAndGet())
          .requestHandler(req -> req.body().onSuccess(body -> {
            paths.add(req.path());
            if (req.path().equals("/redirect")) {
              req.response().setStatusCode(302).putHeader("location", redirectTo).end();
            } else {
              req.response().setStatusCode(200).end("internal secrets");
            }
          })).listen(0, host).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    String url(String path) {
      return "http://" + host + ":" + server.actualPort() + path;
    }
  }

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    internal = new Receiver("127.0.0.1", null);
    listed = new Receiver("127.0.0.2", internal.url("/stolen"));
    String database = TestDatabase.url(TestDatabase.freshDatabase());
    reboundTopic = TestKafka.createTopic("game.ssrf-rebound", 1);

    // a laptop mesh (gateway on loopback, so loopback targets are allowed) takes a subscription to localhost ...
    int laptopPort = TestMesh.freePort();
    try (Mesh laptop = Mesh.start(TestMesh.config(dir.resolve("laptop"), laptopPort, new JsonObject()
        .put("database", new JsonObject().put("url", database))))) {
      port = laptopPort;
      HttpResponse<String> created = call("POST", "/subscriptions", webhook("rebound", reboundTopic,
          "http://localhost:" + internal.server.actualPort() + "/rebound").put("max_retries", 0));
      assertEquals(201, created.statusCode(), created.body());
      rebound = new JsonObject(created.body()).getString("subscription_id");
    }
    // ... then the same database is served by a shared mesh, where the name now resolves to a refused address
    port = TestMesh.freePort();
    mesh = Mesh.start(TestMesh.config(dir.resolve("shared"), port, new JsonObject()
        .put("database", new JsonObject().put("url", database))
        .put("delivery", new JsonObject().put("group", TestKafka.unique("ssrf")).put("refresh_ms", 200)
            .put("webhook", new JsonObject().put("poll_ms", 50).put("timeout_ms", 2000)
                .put("allow_loopback", false)
                .put("allowed_cidrs", new JsonArray().add("127.0.0.2/32").add("169.0.0.0/8"))))));
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
    VERTX.close();
  }

  private static HttpResponse<String> call(String method, String path, JsonObject body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("content-type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonObject webhook(String service, String topic, String endpoint) {
    return new JsonObject().put("service_name", service).put("method", "webhook").put("topic_pattern", topic)
        .put("endpoint", endpoint).put("retry_delay", 1);
  }

  private static void publish(String topic) throws Exception {
    HttpResponse<String> response = call("POST", "/events/publish", new JsonObject().put("event_type", "game.kill")
        .put("topic", topic).put("source", "ssrf-test").put("payload", new JsonObject().put("n", 1)));
    assertTrue(response.statusCode() / 100 == 2, response.body());
  }

  private static JsonArray deliveries(String subscription) throws Exception {
    return new JsonArray(call("GET", "/deliveries?subscription=" + subscription, null).body());
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); !condition.getAsBoolean(); Thread.sleep(50)) {
      assertTrue(System.nanoTime() < end, "timed out waiting until " + what);
    }
  }

  /** The 400 refusing an endpoint: invalid_subscription, pointing at /endpoint, naming the address class. */
  private static void assertRefused(HttpResponse<String> response, String endpoint, String kind) {
    assertEquals(400, response.statusCode(), endpoint + ": " + response.body());
    JsonObject error = new JsonObject(response.body()).getJsonObject("error");
    assertEquals("invalid_subscription", error.getString("code"), endpoint);
    JsonObject detail = error.getJsonArray("details").getJsonObject(0);
    assertEquals("/endpoint", detail.getString("pointer"), endpoint);
    assertTrue(detail.getString("message").contains(kind), endpoint + ": " + detail.getString("message"));
  }

  @Test
  void everyNonPublicAddressClassIsRefusedAtCreation() throws Exception {
    int p = internal.server.actualPort();
    Map<String, String> attacks = new LinkedHashMap<>();
    attacks.put("http://127.0.0.1:" + p + "/admin", "a loopback address");
    attacks.put("http://127.1.2.3:" + p + "/admin", "a loopback address");
    attacks.put("http://[::1]:" + p + "/admin", "a loopback address");
    attacks.put("http://2130706433:" + p + "/admin", "127.0.0.1 is a loopback address"); // one decimal number
    attacks.put("http://hooks.example.com@127.0.0.1:" + p + "/admin", "a loopback address"); // user info, not host
    attacks.put("http://localhost:" + p + "/admin", "host localhost resolves to a loopback address");
    attacks.put("https://localhost:" + p + "/admin", "host localhost resolves to a loopback address");
    attacks.put("http://[::ffff:127.0.0.1]:" + p + "/admin", "a loopback address");
    attacks.put("http://[::ffff:0:7f00:1]:" + p + "/admin", "a loopback address");
    attacks.put("http://[::127.0.0.1]:" + p + "/admin", "a loopback address");
    attacks.put("http://[64:ff9b::7f00:1]:" + p + "/admin", "a loopback address");
    attacks.put("http://10.0.0.12:9200/_search", "a private address");
    attacks.put("http://172.16.0.1/", "a private address");
    attacks.put("http://192.168.1.1/", "a private address");
    attacks.put("http://[fd00::1]/", "a private address");
    attacks.put("http://[::ffff:10.0.0.12]:9200/_search", "a private address");
    attacks.put("http://[2002:a00:c::1]:9200/_search", "a private address");
    attacks.put("http://100.64.0.1/", "a shared (carrier-grade NAT");
    attacks.put("http://169.254.169.254/latest/meta-data/iam/security-credentials/", "a link-local address");
    attacks.put("http://[fe80::1]/", "a link-local address");
    attacks.put("http://[::ffff:169.254.169.254]/latest/meta-data/", "a link-local address");
    attacks.put("http://[64:ff9b::a9fe:a9fe]/latest/meta-data/", "a link-local address");
    attacks.put("http://[fd00:ec2::254]/latest/meta-data/", "a cloud metadata service address");
    attacks.put("http://224.0.0.1/", "a multicast address");
    attacks.put("http://[ff02::1]/", "a multicast address");
    attacks.put("http://0.0.0.0:" + p + "/admin", "an unspecified address");
    attacks.put("http://[::]:" + p + "/admin", "an unspecified address");
    attacks.put("http://240.0.0.1/", "a reserved or special-purpose address");
    attacks.put("http://255.255.255.255/", "a reserved or special-purpose address");
    attacks.put("http://192.0.2.1/", "a reserved or special-purpose address");
    attacks.put("http://[2001:db8::1]/", "a reserved or special-purpose address");
    for (Map.Entry<String, String> attack : attacks.entrySet()) {
      assertRefused(call("POST", "/subscriptions", webhook("ssrf-attacker", "game.*", attack.getKey())),
          attack.getKey(), attack.getValue());
    }
    HttpResponse<String> list = call("GET", "/subscriptions?service_name=ssrf-attacker", null);
    assertEquals("0", list.headers().firstValue("X-Total-Count").orElseThrow(), list.body());
    assertEquals(0, internal.connections.get(), "nothing connected to the internal service");
  }

  @Test
  void anAllowListedBlockIsAcceptedAndDeliveredTo() throws Exception {
    String topic = TestKafka.createTopic("game.ssrf-listed", 1);
    HttpResponse<String> created = call("POST", "/subscriptions", webhook("listed", topic, listed.url("/hook")));
    assertEquals(201, created.statusCode(), created.body());
    Thread.sleep(600); // the router and the dispatcher re-read subscriptions every 200 ms
    publish(topic);
    await("the allow-listed receiver gets the event", () -> listed.paths.contains("/hook"));
  }

  @Test
  void patchingAnEndpointToARefusedAddressIsRefusedAndLeavesItUnchanged() throws Exception {
    String topic = TestKafka.createTopic("game.ssrf-patch", 1);
    HttpResponse<String> created = call("POST", "/subscriptions", webhook("victim", topic, listed.url("/patched")));
    assertEquals(201, created.statusCode(), created.body());
    String id = new JsonObject(created.body()).getString("subscription_id");
    for (String endpoint : List.of("http://169.254.169.254/latest/meta-data/", "http://localhost:"
        + internal.server.actualPort() + "/admin", "http://[::ffff:10.0.0.12]:9200/_search")) {
      assertRefused(call("PATCH", "/subscriptions/" + id, new JsonObject().put("endpoint", endpoint)), endpoint,
          "address");
    }
    assertEquals(listed.url("/patched"), new JsonObject(call("GET", "/subscriptions/" + id, null).body())
        .getString("endpoint"));
    HttpResponse<String> status = call("PATCH", "/subscriptions/" + id, new JsonObject().put("status", "paused"));
    assertEquals(200, status.statusCode(), "a change without an endpoint is not judged again: " + status.body());
  }

  @Test
  void aHostResolvingToARefusedAddressWhenDeliveringIsNeverConnected() throws Exception {
    publish(reboundTopic);
    await("the refused attempt is recorded", () -> {
      try {
        return !deliveries(rebound).isEmpty();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    JsonObject attempt = deliveries(rebound).getJsonObject(0);
    assertEquals("failed", attempt.getString("status"));
    assertTrue(attempt.getString("error_message").startsWith("host localhost resolves to a loopback address"),
        attempt.encode());
    assertNull(attempt.getValue("status_code"), attempt.encode());
    assertNull(attempt.getValue("response"), attempt.encode());
    assertEquals(0, internal.connections.get(), "the internal service was never connected to");
  }

  @Test
  void aRedirectToTheInternalServiceIsNotFollowed() throws Exception {
    String topic = TestKafka.createTopic("game.ssrf-redirect", 1);
    HttpResponse<String> created = call("POST", "/subscriptions", webhook("redirected", topic,
        listed.url("/redirect")).put("max_retries", 0));
    assertEquals(201, created.statusCode(), created.body());
    String id = new JsonObject(created.body()).getString("subscription_id");
    Thread.sleep(600);
    publish(topic);
    await("the redirect is answered", () -> {
      try {
        return !deliveries(id).isEmpty();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    JsonObject attempt = deliveries(id).getJsonObject(0);
    assertEquals("failed", attempt.getString("status"), "a 3xx is not a delivery");
    assertEquals(302, attempt.getInteger("status_code"));
    assertEquals(0, internal.connections.get(), "the redirect was not followed to the internal service");
  }
}
