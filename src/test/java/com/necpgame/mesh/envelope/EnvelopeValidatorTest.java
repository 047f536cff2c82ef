package com.necpgame.mesh.envelope;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.Validator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnvelopeValidatorTest {

  private static final EnvelopeValidator VALIDATOR = EnvelopeValidator.load(Optional.empty());
  /** The schema file, applied by a general JSON Schema validator: the code must agree with it on every case here. */
  private static final Validator SCHEMA_FILE = schemaFile();

  private static Validator schemaFile() {
    try {
      return Validator.create(JsonSchema.of(new JsonObject(Files.readString(Path.of("schemas/core/envelope.json")))),
          new JsonSchemaOptions().setDraft(Draft.DRAFT7).setBaseUri("https://schemas.necpgame.com/")
              .setOutputFormat(OutputFormat.Basic));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonObject valid() {
    return new JsonObject()
        .put("event_id", "0190b6a4-7c2e-7a1b-8c3d-4e5f60718293")
        .put("event_type", "game.match.end")
        .put("timestamp", "2024-01-10T10:30:00Z")
        .put("version", "1.0.0")
        .put("source", "match-service")
        .put("data", new JsonObject().put("winner", "player456"));
  }

  private static JsonObject with(Consumer<JsonObject> change) {
    JsonObject event = valid();
    change.accept(event);
    return event;
  }

  /** Validates with the code, checks the schema file agrees on valid/invalid, returns the pointers reported. */
  private static List<String> pointers(JsonObject event) {
    List<Violation> violations = VALIDATOR.validate(event);
    boolean envelopeValid = violations.stream().allMatch(v -> v.pointer().startsWith("/data/"));
    assertEquals(envelopeValid, SCHEMA_FILE.validate(event).getValid(),
        "code and schemas/core/envelope.json disagree on " + event.encode() + ": " + violations);
    return violations.stream().map(Violation::pointer).toList();
  }

  @Test
  void validEventsPassWithAndWithoutOptionalFields() {
    assertEquals(List.of(), pointers(valid()));
    JsonObject full = with(e -> e.put("correlation_id", "req-1").put("session_id", "session456")
        .put("player_id", "player123").put("timestamp", "2024-01-10T10:30:00.123456+02:00")
        .put("metadata", new JsonObject().put("priority", "high").put("ttl", "24h").put("retry_count", 2)));
    assertEquals(List.of(), pointers(full));
    assertEquals(List.of(), pointers(with(e -> e.putNull("player_id"))), "an absent optional id may be null");
  }

  @Test
  void eachMissingRequiredFieldIsReportedWithItsPointer() {
    for (String field : List.of("event_id", "event_type", "timestamp", "version", "source", "data")) {
      assertEquals(List.of("/" + field), pointers(with(e -> e.remove(field))), field);
    }
    assertEquals("required field is missing", VALIDATOR.validate(with(e -> e.remove("source"))).get(0).message());
  }

  @Test
  void wrongTypesAreReportedWithTheirPointers() {
    assertEquals(List.of("/event_id"), pointers(with(e -> e.put("event_id", 42))));
    assertEquals(List.of("/data"), pointers(with(e -> e.put("data", "{\"a\":1}"))));
    assertEquals(List.of("/source"), pointers(with(e -> e.put("source", new JsonArray()))));
    assertEquals(List.of("/metadata/retry_count"),
        pointers(with(e -> e.put("metadata", new JsonObject().put("retry_count", "x")))));
    assertEquals(List.of("/metadata/retry_count"),
        pointers(with(e -> e.put("metadata", new JsonObject().put("retry_count", -1)))));
    assertEquals(List.of("/metadata"), pointers(with(e -> e.put("metadata", "high"))));
    assertEquals(List.of("/player_id"), pointers(with(e -> e.put("player_id", 123))));
    assertEquals("expected a string, got a number", VALIDATOR.validate(with(e -> e.put("event_id", 42))).get(0).message());
  }

  @Test
  void badUuidIsRejected() {
    assertEquals(List.of("/event_id"), pointers(with(e -> e.put("event_id", "not-a-uuid"))));
    assertEquals(List.of("/event_id"), pointers(with(e -> e.put("event_id", "0190b6a4-7c2e-7a1b-8c3d-4e5f6071829"))));
  }

  @Test
  void badTimestampIsRejected() {
    assertEquals(List.of("/timestamp"), pointers(with(e -> e.put("timestamp", "2024-13-45T99:00:00Z"))));
    assertEquals(List.of("/timestamp"), pointers(with(e -> e.put("timestamp", "10/01/2024 10:30"))));
    assertEquals(List.of("/timestamp"), pointers(with(e -> e.put("timestamp", "2024-01-10T10:30:00"))), "no offset");
    assertEquals(List.of("/timestamp"), pointers(with(e -> e.put("timestamp", "2023-02-29T00:00:00Z"))), "not a leap year");
  }

  @Test
  void eventTypeMustBeDottedLowerCaseWords() {
    assertEquals(List.of("/event_type"), pointers(with(e -> e.put("event_type", "GameMatchEnd"))));
    assertEquals(List.of("/event_type"), pointers(with(e -> e.put("event_type", "game"))));
    assertEquals(List.of("/event_type"), pointers(with(e -> e.put("event_type", "game..end"))));
    assertEquals(List.of("/event_type"), pointers(with(e -> e.put("event_type", "a." + "b".repeat(100)))));
    assertEquals(List.of(), pointers(with(e -> e.put("event_type", "game.match.ended"))));
  }

  @Test
  void otherFieldRulesHold() {
    assertEquals(List.of("/version"), pointers(with(e -> e.put("version", "v1"))));
    assertEquals(List.of("/source"), pointers(with(e -> e.put("source", ""))));
    assertEquals(List.of("/player_id"), pointers(with(e -> e.put("player_id", "bad\u0000id"))));
    assertEquals(List.of("/session_id"), pointers(with(e -> e.put("session_id", "s".repeat(129)))));
    assertEquals(List.of("/metadata/priority"),
        pointers(with(e -> e.put("metadata", new JsonObject().put("priority", "urgent")))));
    assertEquals(List.of("/metadata/ttl"), pointers(with(e -> e.put("metadata", new JsonObject().put("ttl", "7 days")))));
  }

  @Test
  void unknownFieldsAreRejectedWithTheirPointers() {
    assertEquals(List.of("/color"), pointers(with(e -> e.put("color", "red"))));
    assertEquals(List.of("/metadata/shade"),
        pointers(with(e -> e.put("metadata", new JsonObject().put("priority", "low").put("shade", 1)))));
    assertEquals(List.of("/a~1b"), pointers(with(e -> e.put("a/b", 1))), "pointer escaping of RFC 6901");
  }

  @Test
  void everyFailureIsReportedAtOnceInFieldOrder() {
    JsonObject bad = with(e -> e.put("event_id", "x").remove("source"));
    bad.put("timestamp", 5).put("extra", true).put("metadata", new JsonObject().put("ttl", 0));
    assertEquals(List.of("/event_id", "/timestamp", "/source", "/metadata/ttl", "/extra"), pointers(bad));
  }

  @Test
  void somethingThatIsNotAnObjectIsOneViolationAtTheRoot() {
    assertEquals(List.of(""), VALIDATOR.validate(new JsonArray()).stream().map(Violation::pointer).toList());
    assertEquals(List.of(""), VALIDATOR.validate(null).stream().map(Violation::pointer).toList());
  }

  @Test
  void dataIsCheckedAgainstTheSchemaOfItsEventType() {
    assertTrue(VALIDATOR.hasSchemaFor("test.sample.created"), "found on the test classpath: " + VALIDATOR.eventTypes());
    JsonObject ok = with(e -> e.put("event_type", "test.sample.created")
        .put("data", new JsonObject().put("name", "n").put("count", 1).put("position", new JsonObject().put("x", 1.5))));
    assertEquals(List.of(), VALIDATOR.validate(ok));

    JsonObject bad = with(e -> e.put("event_type", "test.sample.created").put("data", new JsonObject()
        .put("count", "three").put("position", new JsonObject().put("y", 2)).put("colour", "red")));
    assertEquals(List.of("/data/name", "/data/count", "/data/position/x", "/data/colour"),
        VALIDATOR.validate(bad).stream().map(Violation::pointer).sorted(this::byDocumentOrder).toList());
  }

  private int byDocumentOrder(String a, String b) {
    List<String> order = List.of("/data/name", "/data/count", "/data/position/x", "/data/colour");
    return Integer.compare(order.indexOf(a), order.indexOf(b));
  }

  @Test
  void eventTypeWithoutASchemaGetsOnlyTheEnvelopeCheck() {
    assertFalse(VALIDATOR.hasSchemaFor("game.match.end"));
    assertEquals(List.of(), VALIDATOR.validate(with(e -> e.put("data", new JsonObject().put("anything", List.of(1))))));
  }

  @Test
  void schemasFromAnExtraDirectoryAreAddedAndWinOverBuiltInOnes(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("game"));
    Files.writeString(dir.resolve("game/game.match.end.json"),
        "{\"type\":\"object\",\"required\":[\"winner\",\"duration\"]}");
    Files.writeString(dir.resolve("test.sample.created.json"), "{\"type\":\"object\"}");
    EnvelopeValidator custom = EnvelopeValidator.load(Optional.of(dir));
    assertEquals(List.of("/data/duration"), custom.validate(valid()).stream().map(Violation::pointer).toList());
    assertEquals(List.of(), custom.validate(with(e -> e.put("event_type", "test.sample.created"))), "override wins");
  }

  @Test
  void createdEnvelopesAreValid() {
    assertEquals(List.of(), VALIDATOR.validate(Envelope.create("game.match.ended", "match-service",
        new JsonObject().put("game_hour", 7)).withCorrelationId("c-1").withPlayer("p-1", "s-1").toJson()));
  }
}
