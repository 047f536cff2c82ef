package com.necpgame.mesh.match;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.config.MatchConfig;
import com.necpgame.mesh.kafka.OwnedPartitions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/** The match service of one process: which matches it runs, and the player's inputs that reach it from Kafka. */
class MatchServiceTest {

  private static final MatchConfig.Match CONFIG = new MatchConfig.Match(2, 2, 1000, 500, 200, true,
      List.of("What did you eat?"), 100, "events", "responses", "orchestration", "state", "g.match");

  private final AtomicInteger ids = new AtomicInteger();
  private final List<Match> changes = new ArrayList<>();
  private final OwnedPartitions owned = new OwnedPartitions(6);
  private final MatchService service = new MatchService(CONFIG, () -> 1_000, owned, changes::add);

  private Match create(List<ProducerRecord<String, byte[]>> out) {
    return service.create(() -> "match-" + ids.incrementAndGet(), "p1", "hash", out).orElseThrow();
  }

  private static ConsumerRecord<String, byte[]> input(ProducerRecord<String, byte[]> r) {
    return new ConsumerRecord<>(r.topic(), 0, 0, r.key(), r.value());
  }

  private static ConsumerRecord<String, byte[]> input(String type, JsonObject data) {
    byte[] value = new JsonObject().put("event_type", type).put("data", data).encode().getBytes(StandardCharsets.UTF_8);
    return new ConsumerRecord<>("orchestration", 0, 0, data.getString("match_id"), value);
  }

  private static List<String> types(List<ProducerRecord<String, byte[]>> out) {
    return out.stream().map(r -> r.topic().equals("state") ? "state"
        : new JsonObject(new String(r.value(), StandardCharsets.UTF_8)).getString("event_type")).toList();
  }

  /** The match, created and given its two robots: its round 1 is open for answers. */
  private Match responding() {
    owned.assigned(List.of(0, 1, 2, 3, 4, 5));
    Match m = create(new ArrayList<>());
    JsonArray robots = new JsonArray();
    "ABC".chars().mapToObj(c -> String.valueOf((char) c)).filter(l -> !l.equals(m.humanIdentity())).limit(2)
        .forEach(l -> robots.add(new JsonObject().put("id", "robot-" + l).put("identity", l)));
    service.input(input("round.robots_assigned", new JsonObject().put("match_id", m.id()).put("round", 1)
        .put("correlation_id", m.correlationId()).put("robots", robots)), new ArrayList<>());
    assertEquals(Match.Phase.RESPONDING, m.phase());
    return m;
  }

  @Test
  void createsNothingWhenItRunsNoPartition() {
    List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
    assertTrue(service.create(() -> "match-" + ids.incrementAndGet(), "p1", "hash", out).isEmpty());
    assertTrue(out.isEmpty());
    assertEquals(0, service.active());
  }

  @Test
  void createsMatchesOnlyUnderIdsOfItsPartitions() {
    owned.assigned(List.of(2));
    for (int i = 0; i < 20; i++) {
      List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
      Match m = create(out);
      assertEquals(2, OwnedPartitions.partitionOf(m.id(), 6));
      assertEquals(List.of("match.created", "round.starting", "round.robots_needed", "state"), types(out));
      out.forEach(r -> assertEquals(m.id(), r.key()));
    }
    assertEquals(20, service.active());
  }

  @Test
  void appliesTheForwardedAnswerOfThePlayerOnceWithoutPublishingItAgain() {
    Match m = responding();
    ProducerRecord<String, byte[]> forwarded = service.forward(true, Match.fromJson(m.toJson()), 1, "hi");
    assertEquals("responses", forwarded.topic());
    assertEquals(m.id(), forwarded.key());
    JsonObject data = new JsonObject(new String(forwarded.value(), StandardCharsets.UTF_8)).getJsonObject("data");
    assertEquals(new JsonObject().put("match_id", m.id()).put("round", 1).put("participant", "p1").put("kind", "human")
        .put("text", "hi"), data);

    List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
    service.input(input(forwarded), out);
    assertEquals(List.of("state"), types(out), "applied and saved, not published again");
    assertFalse(m.canRespond(1, Match.HUMAN));
    out.clear();
    service.input(input(forwarded), out);
    assertTrue(out.isEmpty(), "a duplicate changes nothing");
  }

  @Test
  void publishesTheLocalAnswerOfThePlayerOnceAndIgnoresItWhenItComesBack() {
    Match m = responding();
    List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
    assertTrue(service.human(true, m.id(), 1, "hi", out));
    assertEquals(List.of("response.submitted", "state"), types(out));
    ProducerRecord<String, byte[]> published = out.get(0);
    out.clear();
    service.input(input(published), out);
    assertTrue(out.isEmpty());
    assertFalse(service.human(true, m.id(), 1, "again", out));
  }

  @Test
  void countsAPlayerInputOnlyFromTheMatchsPlayerAndARobotInputOnlyFromARobot() {
    Match m = responding();
    List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
    JsonObject base = new JsonObject().put("match_id", m.id()).put("round", 1).put("text", "x");
    service.input(input("response.submitted", base.copy().put("kind", "human").put("participant", "p2")), out);
    service.input(input("response.submitted", base.copy().put("kind", "robot").put("participant", "human")), out);
    assertTrue(out.isEmpty());
    assertTrue(m.canRespond(1, Match.HUMAN));
  }

  @Test
  void savesARobotAnswerThatStartsNothing() {
    Match m = responding();
    String robot = m.participants().values().stream().filter(p -> !Match.HUMAN.equals(p)).findFirst().orElseThrow();
    List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
    service.input(input("response.submitted", new JsonObject().put("match_id", m.id()).put("round", 1)
        .put("kind", "robot").put("participant", robot).put("text", "beep")), out);
    assertEquals(List.of("state"), types(out), "the next owner must know it");
  }

  @Test
  void letsGoOfTheMatchesOfRevokedPartitionsAndResumesThemFromTheirState() {
    Match m = responding();
    service.human(true, m.id(), 1, "hi", new ArrayList<>());
    Match saved = changes.get(changes.size() - 1);
    int partition = OwnedPartitions.partitionOf(m.id(), 6);
    service.revoked(List.of(partition));
    assertNull(service.match(m.id()));
    assertTrue(service.create(() -> "match-" + ids.incrementAndGet(), "p1", "h", new ArrayList<>())
        .map(c -> OwnedPartitions.partitionOf(c.id(), 6) != partition).orElseThrow());

    service.assigned(List.of(partition), Map.of(m.id(), saved.toJson().encode().getBytes(StandardCharsets.UTF_8)));
    Match resumed = service.match(m.id());
    assertEquals(saved.version(), resumed.version());
    assertFalse(resumed.canRespond(1, Match.HUMAN), "the answer came back with it");
    assertEquals(Match.Phase.RESPONDING, resumed.phase());
  }
}
