package com.necpgame.mesh.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.testsupport.SecuredKafka;
import com.necpgame.mesh.testsupport.TestCertificates;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A mesh whose only road to Kafka is TLS, configured through {@code kafka.properties} alone: with a client certificate
 * on a listener that requires one (mTLS, key and trust stores as PEM files), and with SCRAM-SHA-512 over TLS (SASL_SSL,
 * a PKCS12 trust store). Its admin (the start-up check, topic creation by {@code POST /topics}), its producer
 * (publishing) and its consumer loops (the store writer, whose row {@code GET /events/{id}/status} reads) all work. A
 * client without a certificate, with one from another authority, speaking PLAINTEXT to the TLS listener, or with a
 * wrong SCRAM password is refused, and the mesh stops at start-up saying which setting to look at. No password reaches
 * a log line, an error or the config dump.
 */
class KafkaTlsIT {

  private static final String USER = "mesh-client";
  private static final String PASSWORD = "scram-tls-pw-4b8d1e6f0a2c";
  private static final String WRONG_PASSWORD = "scram-tls-wrong-9e3a7c5b1d";
  private static final int REQUEST_TIMEOUT_MS = 10_000;
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final ListAppender<ILoggingEvent> LOGS = new ListAppender<>();

  private static SecuredKafka kafka;
  private static Path clientStore;
  private static Path dir;

  @BeforeAll
  static void start(@TempDir Path tmp) throws Exception {
    dir = tmp;
    LOGS.start();
    root().addAppender(LOGS);
    kafka = SecuredKafka.start(dir.resolve("broker"));
    kafka.addScramUser(USER, PASSWORD);
    clientStore = kafka.clientKeyStore("mesh-client");
  }

  @AfterAll
  static void stop() {
    try {
      if (kafka != null) {
        kafka.close();
      }
    } finally {
      root().detachAppender(LOGS);
    }
  }

  private static Logger root() {
    return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  /**
   * A mesh that must start (a request timeout that only bounds waiting on a busy machine). It creates no declared topic
   * at start and bridges none out, to stay quick: the admin client is proved by the start-up check and by
   * {@code POST /topics}, which creates through the same provisioner.
   */
  private static MeshConfig config(String name, int port, String bootstrap, Map<String, String> security) {
    return TestMesh.config(dir.resolve(name), port, bootstrap, new JsonObject()
        .put("kafka", new JsonObject().put("request_timeout_ms", 60_000)
            .put("properties", new JsonObject(new java.util.HashMap<>(security))))
        .put("topics", new JsonObject().put("create_on_start", false).put("default_replication_factor", 1))
        .put("bridge", new JsonObject().put("outbound", new io.vertx.core.json.JsonArray())));
  }

  @Test
  void aMeshWithAClientCertificateCreatesPublishesAndStoresOverMutualTls() throws Exception {
    int port = TestMesh.freePort();
    MeshConfig config = config("mtls", port, kafka.sslBootstrap(), kafka.mtlsClientPem("mesh-pem-client"));
    try (Mesh mesh = Mesh.start(config)) {
      publishesAndStores(port, TestKafka.unique("game.mtls"));
    }
  }

  @Test
  void aMeshLoggingInWithScramSha512OverTlsCreatesPublishesAndStores() throws Exception {
    int port = TestMesh.freePort();
    MeshConfig config = config("scram", port, kafka.saslSslBootstrap(), kafka.scramClient(USER, PASSWORD));
    try (Mesh mesh = Mesh.start(config)) {
      publishesAndStores(port, TestKafka.unique("game.scramtls"));
      assertTrue(config.kafka().toString().contains("sasl.jaas.config=****"), config.kafka().toString());
    }
  }

  @Test
  void aClientWithoutACertificateIsRefusedAndStartUpSaysWhy() throws Exception {
    // without topic creation at start, this used to stop on "bridge.outbound: topics [...] must exist"
    String message = refusedAtStart("nocert", kafka.sslBootstrap(), kafka.mtlsClient(null),
        new JsonObject().put("create_on_start", false));
    assertTrue(message.contains("security.protocol=SSL") && message.contains("TLS handshake")
        && message.contains("ssl.keystore"), message);
  }

  @Test
  void aKeyStoreThatIsNotThereIsNamedAtStart() throws Exception {
    String message = refusedAtStart("nostore", kafka.sslBootstrap(),
        kafka.mtlsClient(dir.resolve("no-such-store.p12")), new JsonObject());
    assertTrue(message.contains("no-such-store.p12"), message);
  }

  @Test
  void aCertificateFromAnotherAuthorityIsRefused() throws Exception {
    Path intruder = TestCertificates.authority("intruder-ca").keyStore(dir.resolve("intruder.p12"), USER,
        kafka.storePassword());
    String message = refusedAtStart("intruder", kafka.sslBootstrap(), kafka.mtlsClient(intruder), new JsonObject());
    assertTrue(message.contains("security.protocol=SSL"), message);
  }

  @Test
  void aPlaintextClientAtTheTlsListenerIsToldToCheckTheProtocol() throws Exception {
    // security.protocol forgotten: the broker drops the connection, so the client sees no answer, not a refusal
    String message = refusedAtStart("plain", kafka.sslBootstrap(), Map.of(), new JsonObject(), 3000);
    assertTrue(message.contains("security.protocol=PLAINTEXT") && message.contains("no broker answered"), message);
  }

  @Test
  void aWrongScramPasswordIsRefusedAndStartUpSaysWhy() throws Exception {
    String message = refusedAtStart("wrongpw", kafka.saslSslBootstrap(), kafka.scramClient(USER, WRONG_PASSWORD),
        new JsonObject());
    assertTrue(message.contains("security.protocol=SASL_SSL") && message.contains("sasl.mechanism=SCRAM-SHA-512"),
        message);
    assertFalse(message.contains(WRONG_PASSWORD), message);
  }

  @Test
  void noPasswordReachesALogLine() throws Exception {
    // what the other cases logged (the class's log capture spans them all), and a refused start now
    refusedAtStart("logs", kafka.saslSslBootstrap(), kafka.scramClient(USER, WRONG_PASSWORD), new JsonObject());
    List<String> outputs = new ArrayList<>();
    for (ILoggingEvent e : List.copyOf(LOGS.list)) {
      outputs.add(e.getFormattedMessage());
      if (e.getThrowableProxy() != null) {
        outputs.add(ThrowableProxyUtil.asString(e.getThrowableProxy()));
      }
    }
    String dump = config("dump", 1, kafka.sslBootstrap(), kafka.mtlsClient(clientStore)).toString();
    assertTrue(dump.contains("ssl.keystore.password=****") && dump.contains("ssl.truststore.password=****"), dump);
    outputs.add(dump);
    outputs.add(config("dump", 1, kafka.saslSslBootstrap(), kafka.scramClient(USER, PASSWORD)).toString());
    assertFalse(LOGS.list.isEmpty());
    for (String o : outputs) {
      for (String secret : List.of(PASSWORD, WRONG_PASSWORD, kafka.storePassword())) {
        assertFalse(o.contains(secret), "a password in: " + o);
      }
    }
  }

  /** Starts a mesh that must not start; returns the start-up error's message after checking it names the setting. */
  private static String refusedAtStart(String name, String bootstrap, Map<String, String> security, JsonObject topics)
      throws Exception {
    return refusedAtStart(name, bootstrap, security, topics, REQUEST_TIMEOUT_MS);
  }

  private static String refusedAtStart(String name, String bootstrap, Map<String, String> security, JsonObject topics,
      int requestTimeoutMs) throws Exception {
    MeshConfig config = TestMesh.config(dir.resolve(name), TestMesh.freePort(), bootstrap, new JsonObject()
        .put("kafka", new JsonObject().put("request_timeout_ms", requestTimeoutMs)
            .put("properties", new JsonObject(new java.util.HashMap<>(security))))
        .put("topics", topics.copy().put("default_replication_factor", 1)));
    long started = System.nanoTime();
    Exception e = assertThrows(Exception.class, () -> Mesh.start(config).close());
    long ms = (System.nanoTime() - started) / 1_000_000;
    LoggerFactory.getLogger(KafkaTlsIT.class).info("{}: start-up refused in {} ms: {}", name, ms, e.getMessage());
    assertNotNull(e.getMessage(), e.toString());
    assertTrue(e.getMessage().contains("kafka.properties"), e.getMessage());
    assertTrue(ms < requestTimeoutMs + 20_000L, "refused after " + ms + " ms");
    return e.getMessage();
  }

  private static void publishesAndStores(int port, String topic) throws Exception {
    assertEquals(201, send(port, "POST", "/topics", new JsonObject().put("name", topic).put("partitions", 2)
        .put("replication_factor", 1)).statusCode());
    HttpResponse<String> published = send(port, "POST", "/events/publish", new JsonObject()
        .put("event_type", "game.tls.sent").put("topic", topic).put("source", "tls-it"));
    assertEquals(200, published.statusCode(), published.body());
    JsonObject ack = new JsonObject(published.body());
    assertEquals(topic, ack.getString("topic"));
    long acknowledged = System.nanoTime();
    JsonObject status = null;
    for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); System.nanoTime() < end; Thread.sleep(100)) {
      HttpResponse<String> s = send(port, "GET", "/events/" + ack.getString("event_id") + "/status", null);
      if (s.statusCode() == 200) {
        status = new JsonObject(s.body());
        break;
      }
      assertEquals(404, s.statusCode(), s.body());
    }
    assertNotNull(status, "the store writer never stored the event");
    LoggerFactory.getLogger(KafkaTlsIT.class).info("{}: stored {} ms after the acknowledgement", topic,
        (System.nanoTime() - acknowledged) / 1_000_000);
    assertEquals("published", status.getString("status"));
    assertEquals(ack.getLong("offset"), status.getLong("offset"));
    assertEquals(200, send(port, "GET", "/ready", null).statusCode());
  }

  private static HttpResponse<String> send(int port, String method, String path, JsonObject body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("content-type", "application/json");
    return HTTP.send(b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofString());
  }
}
