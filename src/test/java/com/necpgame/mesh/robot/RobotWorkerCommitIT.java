package com.necpgame.mesh.robot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.envelope.Envelope;
import com.necpgame.mesh.kafka.EnvelopeRecords;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A robot command is committed only once it was answered: while the text provider has not answered, the worker group
 * has no commit for it (a process that dies then leaves the command to the next worker, instead of losing it); once
 * the answer is on {@code robot-responses}, the command is committed.
 */
class RobotWorkerCommitIT {

  @Test
  void aCommandIsCommittedOnlyAfterItsAnswerWasWritten(@TempDir Path dir) throws Exception {
    String commands = TestKafka.createTopic("robot-commands", 1);
    String responses = TestKafka.createTopic("robot-responses", 1);
    String orchestration = TestKafka.createTopic("robot-orchestration-events", 1);
    Vertx vertx = Vertx.vertx();
    CopyOnWriteArrayList<HttpServerRequest> held = new CopyOnWriteArrayList<>();
    HttpServer llm = vertx.createHttpServer().requestHandler(r -> {
      if (r.method() == io.vertx.core.http.HttpMethod.GET) {
        r.response().putHeader("content-type", "application/json").end("{\"object\":\"list\",\"data\":[]}");
      } else {
        held.add(r); // the health probe lists models; the answers are held
      }
    }).listen(0).await();
    JsonObject settings = new JsonObject()
        .put("kafka", new JsonObject().put("consumer", new JsonObject().put("group_prefix", TestKafka.unique("rw"))))
        .put("match", new JsonObject().put("topics", new JsonObject().put("responses", responses)
            .put("orchestration", orchestration)))
        .put("robots", new JsonObject().put("check_ms", 50).put("topics", new JsonObject().put("commands", commands)))
        .put("llm", new JsonObject().put("provider", "openai").put("base_url", "http://127.0.0.1:" + llm.actualPort()
            + "/v1").put("api_key", "test").put("timeout_ms", 60_000).put("max_retries", 0))
        .put("verticles", new JsonObject().put("robot-workers", new JsonObject().put("enabled", true))
            .put("robots", new JsonObject().put("enabled", false))
            .put("matches", new JsonObject().put("enabled", false))
            .put("tick", new JsonObject().put("enabled", false))
            .put("market", new JsonObject().put("enabled", false))
            .put("diplomacy", new JsonObject().put("enabled", false))
            .put("crowd", new JsonObject().put("enabled", false))
            .put("gateway", new JsonObject().put("enabled", false))
            .put("store", new JsonObject().put("enabled", false))
            .put("delivery", new JsonObject().put("enabled", false))
            .put("replay", new JsonObject().put("enabled", false)));
    MeshConfig config = TestMesh.config(dir, TestMesh.freePort(), settings);
    String group = config.games().robots().workerGroup();
    TopicPartition partition = new TopicPartition(commands, 0);
    try (Mesh mesh = Mesh.start(config);
        KafkaProducer<String, byte[]> producer = TestKafka.clients(config).producer("test")) {
      JsonObject data = new JsonObject().put("command_id", "generate.response:m-1:1:r-1").put("robot_id", "r-1")
          .put("robot_type", "curious-student").put("action", "generate.response").put("match_id", "m-1")
          .put("round", 1).put("identity", "A").put("prompt", "Why is the sky blue?").put("history", new JsonArray())
          .put("deadline_ms", System.currentTimeMillis() + 600_000);
      producer.send(EnvelopeRecords.record(commands, "data.robot_id",
          Envelope.create("generate.response", "test", data).toJson())).get(30, TimeUnit.SECONDS);

      await(() -> !held.isEmpty(), "the worker asked its text provider");
      Thread.sleep(3000); // sixty turns of the worker's loop: a commit of the command would have happened by now
      assertNull(committed(group, partition), "the command was committed before it was answered");

      vertx.runOnContext(v -> held.forEach(r -> r.response().putHeader("content-type", "application/json")
          .end(new JsonObject().put("choices", new JsonArray().add(new JsonObject().put("message",
              new JsonObject().put("content", "Rayleigh scattering")))).encode())));
      await(() -> TestKafka.envelopes(responses).stream()
          .anyMatch(e -> "response.submitted".equals(e.getString("event_type"))), "the answer was written");
      await(() -> committed(group, partition) != null, "the command was committed after its answer");
      assertEquals(1L, committed(group, partition).offset());

      List<String> types = TestKafka.envelopes(responses).stream().map(e -> e.getString("event_type")).toList();
      assertEquals(List.of("response.submitted", "robot.response_complete"), types, "the answer, then how it went");
      JsonObject complete = TestKafka.envelopes(responses).get(1).getJsonObject("data");
      assertEquals("openai", complete.getString("provider"));
      assertEquals("r-1", complete.getString("robot_id"));
      await(() -> TestKafka.envelopes(orchestration).stream().anyMatch(e -> "robot.health_check".equals(
          e.getString("event_type")) && config.nodeId().equals(e.getJsonObject("data").getString("worker_id"))
          && "openai".equals(e.getJsonObject("data").getString("provider"))
          && "healthy".equals(e.getJsonObject("data").getString("status"))), "the worker probed its providers");
    } finally {
      vertx.close().await();
    }
  }

  private static OffsetAndMetadata committed(String group, TopicPartition partition) {
    try {
      Map<TopicPartition, OffsetAndMetadata> offsets = TestKafka.admin().listConsumerGroupOffsets(group)
          .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
      return offsets.get(partition);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
    long until = System.currentTimeMillis() + 60_000;
    while (!condition.getAsBoolean()) {
      assertTrue(System.currentTimeMillis() < until, "not within 60 s: " + what);
      Thread.sleep(100);
    }
  }
}
