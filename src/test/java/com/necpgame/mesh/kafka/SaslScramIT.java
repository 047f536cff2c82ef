package com.necpgame.mesh.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Kafka client security is passed through from {@code kafka.properties}: a mesh whose only way to the broker is a
 * SASL/SCRAM-SHA-512 listener publishes and is ready; a wrong password is refused by the broker; the password appears
 * in no log line, error, {@code /stats} or config dump. The broker is the embedded KRaft broker with a SASL listener
 * beside its plain one; the SCRAM user is created through the admin API on the plain listener.
 */
class SaslScramIT {

  private static final String USER = "mesh-client";
  private static final String PASSWORD = "scram-pw-6f1d3b5a7c9e2a4c";
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final ListAppender<ILoggingEvent> LOGS = new ListAppender<>();

  private static EmbeddedBroker broker;
  private static String saslBootstrap;
  private static Mesh mesh;
  private static int port;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    LOGS.start();
    root.addAppender(LOGS);

    int plain = TestMesh.freePort();
    int sasl = TestMesh.freePort();
    int controller = TestMesh.freePort();
    while (sasl == plain || controller == plain || controller == sasl) {
      sasl = TestMesh.freePort();
      controller = TestMesh.freePort();
    }
    broker = EmbeddedBroker.start(new MeshConfig.EmbeddedKafka("127.0.0.1", plain, controller, dir.resolve("kafka"),
        1, 64L << 20, 16 << 20), Map.of(
        "listeners", "PLAINTEXT://127.0.0.1:" + plain + ",SASL_PLAINTEXT://127.0.0.1:" + sasl
            + ",CONTROLLER://127.0.0.1:" + controller,
        "advertised.listeners", "PLAINTEXT://127.0.0.1:" + plain + ",SASL_PLAINTEXT://127.0.0.1:" + sasl,
        "listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
        "sasl.enabled.mechanisms", "SCRAM-SHA-512",
        "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule required;"), null);
    saslBootstrap = "127.0.0.1:" + sasl;
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(USER,
          new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), PASSWORD))).all().get(30, TimeUnit.SECONDS);
      admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic("game.scram", 1, (short) 1)))
          .all().get(30, TimeUnit.SECONDS);
    }
    port = TestMesh.freePort();
    mesh = Mesh.start(TestMesh.config(dir, port, saslBootstrap, new JsonObject()
        .put("kafka", new JsonObject().put("properties", clientSecurity(PASSWORD)))
        .put("topics", new JsonObject().put("create_on_start", false))
        .put("bridge", new JsonObject().put("outbound", new JsonArray()))));
  }

  @AfterAll
  static void stop() {
    try {
      if (mesh != null) {
        mesh.close();
      }
    } finally {
      if (broker != null) {
        broker.close();
      }
      ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(LOGS);
    }
  }

  private static JsonObject clientSecurity(String password) {
    return new JsonObject().put("security.protocol", "SASL_PLAINTEXT").put("sasl.mechanism", "SCRAM-SHA-512")
        .put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
            + USER + "\" password=\"" + password + "\";");
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void meshPublishesThroughTheScramListener() throws Exception {
    assertEquals(200, get("/ready").statusCode());
    HttpResponse<String> published = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
        + "/events/publish")).header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
        new JsonObject().put("event_type", "game.scram.sent").put("topic", "game.scram").put("source", "sasl-it")
            .encode())).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, published.statusCode(), published.body());
    assertEquals("game.scram", new JsonObject(published.body()).getString("topic"));
  }

  @Test
  void wrongPasswordIsRefusedByTheBroker() {
    MeshConfig config = com.necpgame.mesh.config.ConfigLoader.load(new JsonObject()
        .put("kafka", new JsonObject().put("properties", clientSecurity("not-the-password-123"))), Map.of());
    KafkaClients clients = new KafkaClients(config.kafka(), saslBootstrap, "wrong");
    try (Admin admin = clients.admin()) {
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> admin.describeCluster().nodes().get(30, TimeUnit.SECONDS));
      assertTrue(e.getCause() instanceof SaslAuthenticationException, e.toString());
    }
  }

  @Test
  void thePasswordIsInNoLogStatsOrConfigDump() throws Exception {
    List<String> outputs = new ArrayList<>();
    outputs.add(get("/stats").body());
    outputs.add(get("/metrics").body());
    outputs.add(mesh.context().config().toString());
    outputs.add(mesh.context().config().kafka().toString());
    LOGS.list.forEach(e -> outputs.add(e.getFormattedMessage()));
    assertFalse(LOGS.list.isEmpty());
    outputs.forEach(o -> assertFalse(o.contains(PASSWORD), "the SCRAM password in: " + o));
    assertTrue(mesh.context().config().kafka().toString().contains("sasl.jaas.config=****"));
  }
}
