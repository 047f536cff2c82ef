package com.necpgame.mesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.gateway.StreamRequest.AtTime;
import com.necpgame.mesh.gateway.StreamRequest.Earliest;
import com.necpgame.mesh.gateway.StreamRequest.Latest;
import com.necpgame.mesh.gateway.StreamRequest.Offsets;
import com.necpgame.mesh.kafka.EnvelopeRecords;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** Subscribe frames: patterns, event types and start positions, and every way they can be wrong. */
class StreamRequestTest {

  private static StreamRequest parse(String frame) {
    JsonArray problems = new JsonArray();
    StreamRequest request = StreamRequest.parse(new JsonObject(frame), problems);
    assertTrue(problems.isEmpty(), problems.encode());
    return request;
  }

  private static List<String> problems(String frame) {
    JsonArray problems = new JsonArray();
    assertNull(StreamRequest.parse(new JsonObject(frame), problems));
    return problems.stream().map(p -> ((JsonObject) p).getString("pointer")).sorted().toList();
  }

  @Test
  void globsMatchWholeNamesAcrossDotsAndNeverKafkasOwnTopics() {
    StreamRequest request = parse("{\"topics\":[\"game.*\",\"match-events\",\"world.tick.?ourly\"]}");
    assertTrue(request.matches("game.combat.events"));
    assertTrue(request.matches("game.x"));
    assertTrue(request.matches("match-events"));
    assertTrue(request.matches("world.tick.hourly"));
    assertFalse(request.matches("game"));
    assertFalse(request.matches("xgame.combat"));
    assertFalse(request.matches("match-events.dlq"));
    assertFalse(request.matches("world.tick.daily"));
    assertFalse(parse("{\"topics\":[\"*\"]}").matches("__consumer_offsets"));
    assertFalse(parse("{\"topics\":[\"game.a\"]}").matches("gameXa"), "a dot is a dot, not any character");
    assertTrue(request.wants("anything"), "no event types: everything");
    StreamRequest typed = parse("{\"topics\":[\"*\"],\"event_types\":[\"game.kill\"]}");
    assertTrue(typed.wants("game.kill"));
    assertFalse(typed.wants("game.chat"));
    assertFalse(typed.wants(null));
  }

  @Test
  void aPathologicalPatternInASubscribeFrameIsRefusedNamingIt() {
    JsonArray problems = new JsonArray();
    assertNull(StreamRequest.parse(new JsonObject().put("topics", new JsonArray().add("game.*")
        .add("*?".repeat(124))), problems));
    assertEquals(1, problems.size(), problems.encode());
    assertEquals("/topics/1", problems.getJsonObject(0).getString("pointer"));
    assertTrue(problems.getJsonObject(0).getString("message").contains("16 '*'"), problems.encode());
    assertEquals(List.of("/topics/0"), problems("{\"topics\":[\"" + "a".repeat(250) + "\"]}"));
  }

  @Test
  void startPositions() {
    assertEquals(new Latest(), parse("{\"topics\":[\"a\"]}").start());
    assertEquals(new Latest(), parse("{\"topics\":[\"a\"],\"start\":\"latest\"}").start());
    assertEquals(new Earliest(), parse("{\"topics\":[\"a\"],\"start\":\"earliest\"}").start());
    assertEquals(new AtTime(1_700_000_000_000L),
        parse("{\"topics\":[\"a\"],\"start\":{\"timestamp\":\"2023-11-14T22:13:20Z\"}}").start());
    assertEquals(new AtTime(5), parse("{\"topics\":[\"a\"],\"start\":{\"timestamp\":5}}").start());
    assertEquals(new Offsets(Map.of(new TopicPartition("a", 0), 10L, new TopicPartition("a", 2), 0L), new Earliest()),
        parse("{\"topics\":[\"a\"],\"start\":{\"offsets\":{\"a\":{\"0\":10,\"2\":0}}}}").start());
    assertEquals(new Offsets(Map.of(), new Latest()),
        parse("{\"topics\":[\"a\"],\"start\":{\"offsets\":{},\"otherwise\":\"latest\"}}").start());
  }

  @Test
  void anEndBoundsTheStreamAtTheLatestOffsetsOrATime() {
    assertNull(parse("{\"topics\":[\"a\"]}").end());
    assertEquals(new Latest(), parse("{\"topics\":[\"a\"],\"end\":\"latest\"}").end());
    assertEquals(new AtTime(5), parse("{\"topics\":[\"a\"],\"end\":{\"timestamp\":5}}").end());
    assertEquals(List.of("/end"), problems("{\"topics\":[\"a\"],\"end\":\"earliest\"}"));
    assertEquals(List.of("/end"), problems("{\"topics\":[\"a\"],\"end\":{\"offsets\":{}}}"));
    assertEquals(List.of("/end/timestamp"), problems("{\"topics\":[\"a\"],\"end\":{\"timestamp\":\"soon\"}}"));
  }

  @Test
  void everyProblemIsReportedWithItsPointer() {
    assertEquals(List.of("/topics"), problems("{}"));
    assertEquals(List.of("/topics"), problems("{\"topics\":[]}"));
    assertEquals(List.of("/topics"), problems("{\"topics\":\"game.*\"}"));
    assertEquals(List.of("/topics/0", "/topics/1", "/topics/2"), problems("{\"topics\":[\"a b\",\"\",7]}"));
    assertEquals(List.of("/event_types", "/start"), problems("{\"topics\":[\"a\"],\"event_types\":\"x\",\"start\":\"now\"}"));
    assertEquals(List.of("/start/timestamp"), problems("{\"topics\":[\"a\"],\"start\":{\"timestamp\":\"yesterday\"}}"));
    assertEquals(List.of("/start/timestamp"), problems("{\"topics\":[\"a\"],\"start\":{\"timestamp\":-1}}"));
    assertEquals(List.of("/start/offsets/a/0", "/start/offsets/a/x", "/start/offsets/b c"),
        problems("{\"topics\":[\"a\"],\"start\":{\"offsets\":{\"a\":{\"0\":-1,\"x\":1},\"b c\":{\"0\":1}}}}"));
    assertEquals(List.of("/start/offsets/a/0"), problems("{\"topics\":[\"a\"],\"start\":{\"offsets\":{\"a\":{\"0\":1.5}}}}"));
    assertEquals(List.of("/start/otherwise"),
        problems("{\"topics\":[\"a\"],\"start\":{\"offsets\":{},\"otherwise\":{\"offsets\":{}}}}"));
    assertEquals(List.of("/start"), problems("{\"topics\":[\"a\"],\"start\":{\"offsets\":{},\"extra\":1}}"));
    StringBuilder many = new StringBuilder("{\"topics\":[");
    for (int i = 0; i <= StreamRequest.MAX_PATTERNS; i++) {
      many.append(i == 0 ? "" : ",").append("\"t").append(i).append('"');
    }
    assertEquals(List.of("/topics"), problems(many.append("]}").toString()));
  }

  @Test
  void onlyWellFormedUtf8JsonObjectsAreSentAsEvents() {
    assertTrue(EnvelopeRecords.isJsonObject("{\"a\":[1,{\"b\":\"é\"}]}".getBytes(StandardCharsets.UTF_8)));
    assertFalse(EnvelopeRecords.isJsonObject("[1,2]".getBytes(StandardCharsets.UTF_8)));
    assertFalse(EnvelopeRecords.isJsonObject("{\"a\":1} {}".getBytes(StandardCharsets.UTF_8)));
    assertFalse(EnvelopeRecords.isJsonObject("{\"a\":".getBytes(StandardCharsets.UTF_8)));
    assertFalse(EnvelopeRecords.isJsonObject(new byte[0]));
    assertFalse(EnvelopeRecords.isJsonObject(null));
    assertFalse(EnvelopeRecords.isJsonObject(new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'}),
        "invalid UTF-8 inside a string");
  }
}
