package com.necpgame.mesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.config.TopicSpec;
import com.necpgame.mesh.kafka.TopicProvisioner;
import com.necpgame.mesh.testsupport.OwnBroker;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway while its Kafka is unreachable: a publish is answered 503 with {@code Retry-After} and the JSON error
 * body within the producer's timeouts (never a 500, never a hang), {@code /ready} says DOWN, and once the broker is
 * back the same mesh publishes again by itself. The test runs a broker of its own on fixed ports so it can stop it and
 * start it again on the same directory; the outage tests run first, the recovery last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KafkaDownIT {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaDownIT.class);
  private static final int REQUEST_TIMEOUT_MS = 2000;
  private static final int MAX_BLOCK_MS = 2000;
  private static final int DELIVERY_TIMEOUT_MS = 3000;
  /** The slowest answer allowed while Kafka is down: every timeout that may apply, plus room for a slow machine. */
  private static final long OUTAGE_ANSWER_BOUND_MS = REQUEST_TIMEOUT_MS + MAX_BLOCK_MS + DELIVERY_TIMEOUT_MS + 10_000;
  /** A request still unanswered after this is a hang. */
  private static final Duration HANG = Duration.ofSeconds(30);
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static OwnBroker broker;
  private static String bootstrap;
  private static Mesh mesh;
  private static int port;
  private static String topic;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    broker = OwnBroker.start(dir.resolve("kafka"));
    bootstrap = broker.bootstrapServers();
    port = TestMesh.freePort();
    mesh = Mesh.start(TestMesh.config(dir, port, bootstrap, new JsonObject()
        .put("kafka", new JsonObject().put("request_timeout_ms", REQUEST_TIMEOUT_MS).put("producer", new JsonObject()
            .put("max_block_ms", MAX_BLOCK_MS).put("delivery_timeout_ms", DELIVERY_TIMEOUT_MS)))
        // Only the test's topic on this broker: no declared topics, so no bridge mappings to them either.
        .put("topics", new JsonObject().put("create_on_start", false))
        .put("bridge", new JsonObject().put("outbound", new JsonArray()))));
    topic = TestKafka.unique("game.down");
    new TopicProvisioner(mesh.context().admin(), 1, Duration.ofSeconds(30))
        .ensure(List.of(new TopicSpec(topic, 3, Optional.empty(), Map.of(), false)));

    // Kafka up: the gateway learns the topic and the producer its metadata, as on any running mesh.
    HttpResponse<String> first = publish(event(topic));
    assertEquals(200, first.statusCode(), first.body());
    assertEquals(200, get("/ready").statusCode());
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      // Closing the mesh with Kafka up: the producer flushes and the store commits without waiting out timeouts.
      if (broker != null) {
        startBroker();
      }
    } finally {
      try {
        if (mesh != null) {
          mesh.close();
        }
      } finally {
        if (broker != null) {
          broker.close();
        }
      }
    }
  }

  @Test
  @Order(1)
  void publishToAKnownTopicIs503WithRetryAfterSoonAfterKafkaStops() throws Exception {
    stopBroker();
    HttpResponse<String> response = answeredDuringOutage("publish to a known topic", () -> publish(event(topic)));
    assertKafkaUnavailable(response);
  }

  /**
   * Ten events Kafka cannot take are answered together within one set of timeouts, not one after the other: a send
   * that waited for metadata on the event loop would hold the batch (and every other request) ten times as long.
   */
  @Test
  @Order(2)
  void batchIs207WithA503ForEachEventKafkaDidNotTake() throws Exception {
    stopBroker();
    JsonArray events = new JsonArray().add(event(topic).put("event_type", "Bad Type"));
    for (int i = 0; i < 10; i++) {
      events.add(event(topic));
    }
    HttpResponse<String> response = answeredDuringOutage("batch publish of 10", () -> post("/events/publish/batch",
        new JsonObject().put("events", events)));
    assertEquals(207, response.statusCode(), response.body());
    JsonObject body = new JsonObject(response.body());
    assertEquals(0, body.getInteger("published"), body.encode());
    assertEquals(11, body.getInteger("failed"), body.encode());
    JsonArray results = body.getJsonArray("results");
    assertEquals(400, results.getJsonObject(0).getInteger("status"));
    assertEquals("invalid_event", results.getJsonObject(0).getJsonObject("error").getString("code"));
    for (int i = 1; i < results.size(); i++) {
      assertEquals(503, results.getJsonObject(i).getInteger("status"), results.getJsonObject(i).encode());
      JsonObject error = results.getJsonObject(i).getJsonObject("error");
      assertEquals("kafka_unavailable", error.getString("code"), error.encode());
      assertFalse(error.getString("message").isBlank());
      assertEquals(new JsonArray(), error.getJsonArray("details"));
    }
  }

  @Test
  @Order(3)
  void topicTheGatewayHasNotSeenIs503NotA404WhileKafkaIsDown() throws Exception {
    stopBroker();
    HttpResponse<String> response = answeredDuringOutage("publish to an unseen topic",
        () -> publish(event(TestKafka.unique("game.unseen"))));
    assertKafkaUnavailable(response);
  }

  @Test
  @Order(4)
  void readinessIsDownWithTheKafkaCheckFailingWhileKafkaIsDown() throws Exception {
    stopBroker();
    HttpResponse<String> response = answeredDuringOutage("ready", () -> get("/ready"));
    assertEquals(503, response.statusCode(), response.body());
    JsonObject body = new JsonObject(response.body());
    assertEquals("DOWN", body.getString("status"), body.encode());
    assertEquals("DOWN", body.getJsonObject("checks").getJsonObject("kafka").getString("status"), body.encode());
    assertEquals("UP", body.getJsonObject("checks").getJsonObject("database").getString("status"), body.encode());
    assertEquals(200, get("/health").statusCode(), "alive, only not ready");
  }

  @Test
  @Order(5)
  void publishesAgainByItselfOnceKafkaIsBack() throws Exception {
    stopBroker();
    long restarted = System.nanoTime();
    startBroker();
    long brokerUp = System.nanoTime();
    HttpResponse<String> response = null;
    JsonObject request = null;
    int attempts = 0;
    for (long end = brokerUp + TimeUnit.SECONDS.toNanos(60); System.nanoTime() < end; Thread.sleep(200)) {
      attempts++;
      request = event(topic);
      response = publish(request);
      if (response.statusCode() == 200) {
        break;
      }
      assertKafkaUnavailable(response); // still recovering: a 503 like during the outage, never anything else
    }
    LOG.info("broker restarted in {} ms; first publish accepted {} ms later, attempt {}",
        (brokerUp - restarted) / 1_000_000, (System.nanoTime() - brokerUp) / 1_000_000, attempts);
    assertEquals(200, response.statusCode(), "no publish accepted within 60 s of the broker's restart: "
        + response.body());

    JsonObject ack = new JsonObject(response.body());
    ConsumerRecord<String, byte[]> record = readAt(ack.getInteger("partition"), ack.getLong("offset"));
    JsonObject envelope = new JsonObject(new String(record.value(), StandardCharsets.UTF_8));
    assertEquals(ack.getString("event_id"), envelope.getString("event_id"), "the acknowledged event is in Kafka");
    assertEquals(request.getJsonObject("payload"), envelope.getJsonObject("data"));

    HttpResponse<String> ready = get("/ready");
    for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        ready.statusCode() != 200 && System.nanoTime() < end; Thread.sleep(200)) {
      ready = get("/ready");
    }
    assertEquals(200, ready.statusCode(), ready.body());
  }

  private static void startBroker() throws Exception {
    broker.start();
  }

  private static void stopBroker() {
    broker.stop();
  }

  @FunctionalInterface
  private interface Request {
    HttpResponse<String> send() throws Exception;
  }

  /** The response, which must come within {@link #OUTAGE_ANSWER_BOUND_MS}; it is logged with how long it took. */
  private static HttpResponse<String> answeredDuringOutage(String what, Request request) throws Exception {
    long started = System.nanoTime();
    HttpResponse<String> response;
    try {
      response = request.send();
    } catch (HttpTimeoutException e) {
      throw new AssertionError(what + ": no answer within " + HANG.toSeconds() + " s while Kafka is down", e);
    }
    long ms = (System.nanoTime() - started) / 1_000_000;
    LOG.info("{} answered {} in {} ms while Kafka is down", what, response.statusCode(), ms);
    assertTrue(ms <= OUTAGE_ANSWER_BOUND_MS, what + " took " + ms + " ms, more than " + OUTAGE_ANSWER_BOUND_MS
        + " ms: " + response.body());
    return response;
  }

  private static void assertKafkaUnavailable(HttpResponse<String> response) {
    assertEquals(503, response.statusCode(), response.body());
    String retryAfter = response.headers().firstValue("retry-after").orElse("");
    assertTrue(retryAfter.matches("[1-9][0-9]*"), "Retry-After in seconds, was \"" + retryAfter + "\"");
    assertEquals("application/json", response.headers().firstValue("content-type").orElse(""), response.body());
    JsonObject error = new JsonObject(response.body()).getJsonObject("error");
    assertEquals("kafka_unavailable", error.getString("code"), response.body());
    assertFalse(error.getString("message").isBlank(), response.body());
    assertEquals(new JsonArray(), error.getJsonArray("details"), response.body());
    // Kafka's own text (topic metadata, timeouts, exception names) is logged; the caller gets the request id
    String requestId = response.headers().firstValue("X-Request-Id").orElseThrow();
    assertTrue(error.getString("message").contains("under request id " + requestId), response.body());
    for (String leak : List.of("Exception", "metadata", " ms", "Expiring", topic)) {
      assertFalse(error.getString("message").contains(leak), "\"" + leak + "\" in " + response.body());
    }
  }

  private static JsonObject event(String topic) {
    return new JsonObject().put("event_type", "game.match.end").put("topic", topic).put("source", "t")
        .put("payload", new JsonObject().put("n", System.nanoTime()));
  }

  private static HttpResponse<String> publish(JsonObject event) throws Exception {
    return post("/events/publish", event);
  }

  private static HttpResponse<String> post(String path, JsonObject body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(HANG)
        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(HANG).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static ConsumerRecord<String, byte[]> readAt(int partition, long offset) {
    TopicPartition tp = new TopicPartition(topic, partition);
    try (var consumer = new KafkaConsumer<>(Map.<String, Object>of("bootstrap.servers", bootstrap),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.assign(List.of(tp));
      consumer.seek(tp, offset);
      for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); System.nanoTime() < end; ) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.offset() == offset) {
            return r;
          }
        }
      }
    }
    throw new AssertionError("no record at " + topic + "-" + partition + "@" + offset);
  }
}
