package com.necpgame.mesh.tick;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.envelope.EnvelopeValidator;
import com.necpgame.mesh.kafka.KafkaClients;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tick emitter against a real broker: fencing, resuming, and leadership among several meshes. */
class TickIT {

  private static final Instant GAME_EPOCH = Instant.parse("2077-01-01T00:00:00Z");
  private static final EnvelopeValidator VALIDATOR = EnvelopeValidator.load(Optional.empty());

  private static List<String> tickIds(List<JsonObject> events, String type) {
    return events.stream().filter(e -> type.equals(e.getString("event_type")))
        .map(e -> e.getJsonObject("data").getString("tick_id")).toList();
  }

  @Test
  void aNewEmitterFencesThePausedOldOneAndGoesOnFromItsLastTick() throws Exception {
    String hourly = TestKafka.createTopic("tick-hourly", 3);
    String daily = TestKafka.createTopic("tick-daily", 1);
    Instant t0 = Instant.parse("2026-11-23T10:00:00.500Z");
    GameClock clock = new GameClock(GAME_EPOCH, t0, 3600);
    List<TickEmitter.Channel> channels = List.of(
        new TickEmitter.Channel(TickSchedule.parse("hourly", "0 * * * *", Duration.ofHours(1), GAME_EPOCH), hourly),
        new TickEmitter.Channel(TickSchedule.parse("daily", "0 0 * * *", Duration.ofDays(1), GAME_EPOCH), daily));
    KafkaClients clients = TestKafka.clients(TestKafka.config(new JsonObject()));
    String transactionalId = TestKafka.unique("tick-emitter");
    try (TickEmitter old = new TickEmitter(clients, transactionalId, clock, channels, 24);
        TickEmitter next = new TickEmitter(clients, transactionalId, clock, channels, 24)) {
      old.takeOver();
      assertEquals(t0.plusSeconds(1), old.emitDue(t0.plusMillis(300)), "fresh: the current hour now, the next next");
      old.emitDue(t0.plusSeconds(1));
      old.emitDue(t0.plusSeconds(2));
      next.takeOver(); // the old one is "paused" here and wakes up afterwards
      assertThrows(TickEmitter.Fenced.class, () -> old.emitDue(t0.plusSeconds(3)));
      next.emitDue(t0.plusSeconds(5).plusMillis(100));
      next.emitDue(t0.plusSeconds(6));
    }
    List<JsonObject> events = TestKafka.envelopes(hourly);
    events.forEach(e -> assertEquals(List.of(), VALIDATOR.validate(e), e.encode()));
    assertEquals(List.of("hourly:0", "hourly:1", "hourly:2", "hourly:3", "hourly:4", "hourly:5", "hourly:6"),
        tickIds(events, "world.tick.hourly"), "each hour once, in order, none from the fenced emitter");
    List<JsonObject> summaries = events.stream().filter(e -> "world.tick.catchup".equals(e.getString("event_type")))
        .toList();
    assertEquals(1, summaries.size());
    assertEquals(3, summaries.get(0).getJsonObject("data").getInteger("emitted"), "hours 3-5 came late, together");
    assertEquals(List.of("daily:0"), tickIds(TestKafka.envelopes(daily), "world.tick.daily"),
        "a fresh world's current day at once, no other");
  }

  @Test
  void amongThreeMeshesOneLeadsAndAnotherTakesOverWhenItStops(@TempDir Path dir) throws Exception {
    String hourly = TestKafka.createTopic("tick-hourly", 6);
    String daily = TestKafka.createTopic("tick-daily", 3);
    String leader = TestKafka.createTopic("tick-leader", 1);
    JsonObject settings = new JsonObject()
        .put("kafka", new JsonObject().put("consumer", new JsonObject().put("group_prefix", TestKafka.unique("t"))))
        .put("world", new JsonObject()
            .put("clock", new JsonObject().put("real_epoch", Instant.now().toString()).put("time_scale", 3600))
            .put("tick", new JsonObject().put("failover_ms", 6000).put("topics", new JsonObject()
                .put("hourly", hourly).put("daily", daily).put("leader", leader))))
        .put("verticles", new JsonObject().put("tick", new JsonObject().put("enabled", true))
            .put("gateway", new JsonObject().put("enabled", false))
            .put("delivery", new JsonObject().put("enabled", false)));
    List<Mesh> meshes = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        meshes.add(Mesh.start(TestMesh.config(dir.resolve("m" + i), TestMesh.freePort(), settings)));
      }
      Thread.sleep(6000);
      Mesh first = meshes.stream().filter(TickIT::leads).findFirst().orElseThrow();
      assertEquals(1, meshes.stream().filter(TickIT::leads).count(), "one leader");
      first.close();
      meshes.remove(first);
      Thread.sleep(6000);
      assertEquals(1, meshes.stream().filter(TickIT::leads).count(), "another leads");
    } finally {
      meshes.forEach(Mesh::close);
    }
    List<String> ids = tickIds(TestKafka.envelopes(hourly), "world.tick.hourly");
    assertTrue(ids.size() >= 9, "ticks went on: " + ids);
    long first = Long.parseLong(ids.get(0).substring("hourly:".length()));
    for (int i = 0; i < ids.size(); i++) {
      assertEquals("hourly:" + (first + i), ids.get(i), "every hour once and in order: " + ids);
    }
  }

  private static boolean leads(Mesh mesh) {
    return mesh.context().metrics().registry().find("event_bus_tick_leader").gauge().value() == 1.0;
  }
}
