package com.necpgame.mesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, finding 5d: what one principal may create through {@code POST /topics} is capped (topics, partitions of a
 * topic, partitions in all), so one tenant cannot fill the brokers for the others.
 */
class TopicQuotaIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String PREFIX = TestKafka.unique("quota");
  private static Mesh mesh;
  private static int port;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    JsonObject principals = new JsonObject();
    for (String name : List.of("greedy", "neighbour", "racer")) {
      principals.put(name, new JsonObject().put("api_keys", new JsonArray().add(name + "-key-0123456789abcdef"))
          .put("publish", new JsonArray().add(PREFIX + ".*")).put("subscribe", new JsonArray().add(PREFIX + ".*"))
          .put("endpoints", new JsonArray().add("topics")));
    }
    port = TestMesh.freePort();
    mesh = Mesh.start(TestMesh.config(dir, port, new JsonObject()
        .put("security", new JsonObject().put("anonymous", "deny").put("principals", principals))
        .put("topics", new JsonObject().put("max_per_principal", 2).put("max_partitions_per_topic", 4)
            .put("max_partitions_per_principal", 8))));
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  private static HttpResponse<String> create(String principal, String topic, int partitions, boolean dlq)
      throws Exception {
    return HTTP.send(request(principal, topic, partitions, dlq), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpRequest request(String principal, String topic, int partitions, boolean dlq) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/topics"))
        .header("content-type", "application/json").header("X-API-Key", principal + "-key-0123456789abcdef")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("name", topic).put("partitions", partitions)
            .put("replication_factor", 1).put("enable_dlq", dlq).encode())).build();
  }

  private static boolean exists(String topic) throws Exception {
    return TestKafka.admin().listTopics().names().get(30, TimeUnit.SECONDS).contains(topic);
  }

  private static void refused(HttpResponse<String> response, int status, String code, String... words) {
    assertEquals(status, response.statusCode(), response.body());
    JsonObject error = new JsonObject(response.body()).getJsonObject("error");
    assertEquals(code, error.getString("code"), response.body());
    for (String word : words) {
      assertTrue(response.body().contains(word), word + " in " + response.body());
    }
  }

  @Test
  void aTopicWithMorePartitionsThanAllowedIs400OnPartitions() throws Exception {
    String topic = PREFIX + ".wide";
    HttpResponse<String> wide = create("neighbour", topic, 5, false);
    refused(wide, 400, "invalid_topic", "/partitions", "topics.max_partitions_per_topic");
    assertFalse(exists(topic));
  }

  @Test
  void aPrincipalPastItsTopicCapIsRefusedAndTheOthersAreNot() throws Exception {
    assertEquals(201, create("greedy", PREFIX + ".g1", 1, false).statusCode());
    assertEquals(201, create("greedy", PREFIX + ".g2", 1, false).statusCode());
    HttpResponse<String> third = create("greedy", PREFIX + ".g3", 1, false);
    refused(third, 403, "quota_exceeded", "greedy", "topics.max_per_principal");
    assertFalse(exists(PREFIX + ".g3"), "nothing created in Kafka");
    // another principal's own allowance is untouched
    HttpResponse<String> neighbours = create("neighbour", PREFIX + ".n1", 4, true);
    assertEquals(201, neighbours.statusCode(), neighbours.body());
    assertEquals("neighbour", new JsonObject(neighbours.body()).getString("owner_principal"));
    // its 4 partitions and their .dlq's 4 are its 8: one partition more is over
    HttpResponse<String> more = create("neighbour", PREFIX + ".n2", 1, false);
    refused(more, 403, "quota_exceeded", "topics.max_partitions_per_principal");
    assertFalse(exists(PREFIX + ".n2"));
  }

  @Test
  void concurrentCreatesCannotRaceThePastCap() throws Exception {
    List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      sent.add(HTTP.sendAsync(request("racer", PREFIX + ".r" + i, 1, false), HttpResponse.BodyHandlers.ofString()));
    }
    List<Integer> statuses = new ArrayList<>();
    for (CompletableFuture<HttpResponse<String>> f : sent) {
      statuses.add(f.get(120, TimeUnit.SECONDS).statusCode());
    }
    assertEquals(2, statuses.stream().filter(s -> s == 201).count(), statuses.toString());
    assertEquals(Set.of(201, 403), Set.copyOf(statuses), statuses.toString());
    long created = 0;
    for (int i = 0; i < 8; i++) {
      created += exists(PREFIX + ".r" + i) ? 1 : 0;
    }
    assertEquals(2, created, "only two of the racer's topics exist in Kafka");
  }
}
