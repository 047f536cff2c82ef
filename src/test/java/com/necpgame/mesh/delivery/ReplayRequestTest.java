package com.necpgame.mesh.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.necpgame.mesh.envelope.EnvelopeFilter;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReplayRequestTest {

  private static final Instant NOW = Instant.parse("2026-11-23T10:00:00Z");

  @Test
  void acceptsTheSeedsRequestWithAFilterString() {
    JsonArray problems = new JsonArray();
    ReplayRequest r = ReplayRequest.parse(new JsonObject().put("topic", "game.system.events")
        .put("start_time", "2026-11-23T08:00:00+01:00").put("end_time", "2026-11-23T09:00:00Z")
        .put("filter", "{\"event_type\":\"game.match.end\"}")
        .put("target", new JsonObject().put("topic", "replayed")), NOW, problems);
    assertEquals(new JsonArray(), problems);
    assertEquals(Instant.parse("2026-11-23T07:00:00Z"), r.start());
    assertEquals(new JsonObject().put("event_type", "game.match.end"), r.filter().toJson());
    assertEquals("replayed", r.targetTopic());
  }

  @Test
  void endTimeDefaultsToNowAndFilterToEverything() {
    ReplayRequest r = ReplayRequest.parse(new JsonObject().put("topic", "a").put("start_time", "2026-11-23T09:00:00Z")
        .put("target", new JsonObject().put("topic", "b")), NOW, new JsonArray());
    assertEquals(NOW, r.end());
    assertEquals(true, r.filter().isAll());
  }

  @Test
  void rejectsAnEndNotAfterTheStartAndATargetThatIsTheSource() {
    JsonArray problems = new JsonArray();
    assertNull(ReplayRequest.parse(new JsonObject().put("topic", "a").put("start_time", "2026-11-23T09:00:00Z")
        .put("end_time", "2026-11-23T09:00:00Z").put("target", new JsonObject().put("topic", "a")), NOW, problems));
    assertEquals(List.of("/end_time", "/target/topic"),
        problems.stream().map(p -> ((JsonObject) p).getString("pointer")).toList());
  }

  @Test
  void aTargetIsATopicOrASubscriptionNeverBothOrNeither() {
    ReplayRequest r = ReplayRequest.parse(new JsonObject().put("topic", "a").put("start_time", "2026-11-23T09:00:00Z")
        .put("target", new JsonObject().put("subscription", "sub_1")), NOW, new JsonArray());
    assertEquals("sub_1", r.targetSubscription());
    assertNull(r.targetTopic());
    for (JsonObject[] bad : new JsonObject[][] {
        {new JsonObject().put("topic", "b").put("subscription", "sub_1"), new JsonObject().put("p", "/target")},
        {new JsonObject(), new JsonObject().put("p", "/target")},
        {new JsonObject().put("subscription", 7), new JsonObject().put("p", "/target/subscription")},
        {new JsonObject().put("queue", "q"), new JsonObject().put("p", "/target/queue")}}) {
      JsonArray problems = new JsonArray();
      assertNull(ReplayRequest.parse(new JsonObject().put("topic", "a").put("start_time", "2026-11-23T09:00:00Z")
          .put("target", bad[0]), NOW, problems), bad[0].encode());
      assertEquals(bad[1].getString("p"), problems.getJsonObject(0).getString("pointer"), problems.encode());
    }
  }

  @Test
  void progressIsTheShareOfTheWindowRead() {
    ReplayJob job = new ReplayJob("r", ReplayJob.RUNNING, "t", NOW, NOW, EnvelopeFilter.ALL, new JsonObject(),
        Map.of(0, 100L, 1, 0L), Map.of(0, 200L, 1, 300L), Map.of(0, 200L, 1, 0L), 100, 0, 0, new JsonArray(), NOW,
        NOW);
    assertEquals(25.0, job.progressPercent());
  }
}
