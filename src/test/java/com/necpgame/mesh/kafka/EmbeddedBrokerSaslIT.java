package com.necpgame.mesh.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.config.ConfigException;
import com.necpgame.mesh.config.ConfigLoader;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The embedded broker bound to every interface ({@code kafka.embedded.host: 0.0.0.0}), as on a shared machine: without
 * credentials the mesh does not start; with them, a client that does not authenticate, or guesses the password, is
 * refused, while the mesh's own clients log in and work. The test connects to 127.0.0.1, one of the addresses bound.
 */
class EmbeddedBrokerSaslIT {

  private static final String USER = "mesh";
  private static final String PASSWORD = "embedded-kafka-pw-2c7e9a1f";
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @Test
  void aBrokerOnEveryInterfaceWithoutCredentialsIsRefusedAtStart(@TempDir Path dir) {
    JsonObject open = new JsonObject().put("data_dir", dir.toString())
        .put("kafka", new JsonObject().put("embedded", new JsonObject().put("host", "0.0.0.0")));
    ConfigException refused = assertThrows(ConfigException.class, () -> ConfigLoader.load(open, Map.of()));
    assertTrue(refused.getMessage().contains("kafka.embedded.sasl.password"), refused.getMessage());
    ConfigException env = assertThrows(ConfigException.class, () -> ConfigLoader.load(new JsonObject(),
        Map.of("MESH_KAFKA_EMBEDDED_HOST", "0.0.0.0")));
    assertTrue(env.getMessage().contains("kafka.embedded.sasl.password"), env.getMessage());
    // an external cluster is its own business; loopback keeps PLAINTEXT without credentials
    ConfigLoader.load(open.copy().put("kafka", open.getJsonObject("kafka").copy().put("bootstrap_servers", "k:9092")),
        Map.of());
    ConfigLoader.load(new JsonObject(), Map.of("MESH_KAFKA_EMBEDDED_HOST", "127.0.0.1"));
  }

  @Test
  void withCredentialsOnlyClientsThatLogInAreServed(@TempDir Path dir) throws Exception {
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    logs.start();
    root.addAppender(logs);
    int kafkaPort = TestMesh.freePort();
    int port = TestMesh.freePort();
    try (Mesh mesh = Mesh.start(TestMesh.config(dir, port, "", new JsonObject()
        .put("kafka", new JsonObject().put("embedded", new JsonObject().put("host", "0.0.0.0").put("port", kafkaPort)
            .put("sasl", new JsonObject().put("username", USER).put("password", PASSWORD))))
        .put("topics", new JsonObject().put("create_on_start", false).put("default_replication_factor", 1))
        .put("bridge", new JsonObject().put("outbound", new JsonArray()))))) {
      String bootstrap = "127.0.0.1:" + kafkaPort;

      // the mesh's own clients: admin (creating a topic), producer (publishing), and readiness
      assertEquals(201, send("POST", port, "/topics", new JsonObject().put("name", "game.sasl").put("partitions", 1)
          .put("replication_factor", 1)).statusCode());
      HttpResponse<String> published = send("POST", port, "/events/publish", new JsonObject()
          .put("event_type", "game.sasl.sent").put("topic", "game.sasl").put("source", "sasl-it"));
      assertEquals(200, published.statusCode(), published.body());
      assertEquals(200, send("GET", port, "/ready", null).statusCode());

      // the attack: a client on the network that does not authenticate, or guesses
      try (Admin anonymous = Admin.create(client(bootstrap, Map.of()))) {
        ExecutionException e = assertThrows(ExecutionException.class,
            () -> anonymous.listTopics().names().get(30, TimeUnit.SECONDS));
        assertFalse(e.getCause() instanceof IllegalStateException, e.toString());
      }
      try (Admin guessing = Admin.create(client(bootstrap, Map.of("security.protocol", "SASL_PLAINTEXT",
          "sasl.mechanism", "PLAIN", "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule "
              + "required username=\"" + USER + "\" password=\"guess-guess-guess-1\";")))) {
        ExecutionException e = assertThrows(ExecutionException.class,
            () -> guessing.listTopics().names().get(30, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof SaslAuthenticationException, e.toString());
      }
      List<String> outputs = new ArrayList<>();
      outputs.add(mesh.context().config().toString());
      outputs.add(send("GET", port, "/stats", null).body());
      logs.list.forEach(l -> outputs.add(l.getFormattedMessage()));
      outputs.forEach(o -> assertFalse(o.contains(PASSWORD), "the broker's password in: " + o));
    } finally {
      root.detachAppender(logs);
    }
  }

  private static Map<String, Object> client(String bootstrap, Map<String, String> security) {
    Map<String, Object> props = new HashMap<>(security);
    props.put("bootstrap.servers", bootstrap);
    props.put("request.timeout.ms", 3000);
    props.put("default.api.timeout.ms", 6000);
    return props;
  }

  private static HttpResponse<String> send(String method, int port, String path, JsonObject body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("content-type", "application/json");
    return HTTP.send(b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofString());
  }
}
