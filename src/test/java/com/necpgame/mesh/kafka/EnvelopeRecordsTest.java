package com.necpgame.mesh.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

class EnvelopeRecordsTest {

  private static JsonObject envelope() {
    return new JsonObject().put("event_id", "0190b6a4-7c2e-7a1b-8c3d-4e5f60718293").put("event_type", "economy.order.placed")
        .put("correlation_id", "c-1").put("player_id", "p-9")
        .put("data", new JsonObject().put("commodity", "iron").put("quantity", 5).put("tags", new JsonArray().add("ü")));
  }

  @Test
  void recordCarriesTheEnvelopeAsUtf8JsonWithIdsAsHeaders() {
    ProducerRecord<String, byte[]> r = EnvelopeRecords.record("orders", "data.commodity", envelope());
    assertEquals("orders", r.topic());
    assertEquals("iron", r.key());
    assertEquals(envelope(), new JsonObject(new String(r.value(), StandardCharsets.UTF_8)));
    assertEquals("economy.order.placed", EnvelopeRecords.header(r.headers(), "event_type"));
    assertEquals("0190b6a4-7c2e-7a1b-8c3d-4e5f60718293", EnvelopeRecords.header(r.headers(), "event_id"));
    assertEquals("c-1", EnvelopeRecords.header(r.headers(), "correlation_id"));
  }

  @Test
  void keyIsTakenFromAFieldOrPathAndIsAbsentWhenTheFieldIs() {
    assertEquals("p-9", EnvelopeRecords.keyOf(envelope(), "player_id"));
    assertEquals("5", EnvelopeRecords.keyOf(envelope(), "data.quantity"));
    assertNull(EnvelopeRecords.keyOf(envelope(), "session_id"));
    assertNull(EnvelopeRecords.keyOf(envelope(), "data.commodity.name"));
    assertNull(EnvelopeRecords.keyOf(envelope(), "data"), "an object is not a key");
  }

  @Test
  void envelopeWithoutIdOrTypeIsRefused() {
    JsonObject noType = envelope();
    noType.remove("event_type");
    assertEquals("the envelope has no event_type (a non-empty string is required)",
        assertThrows(IllegalArgumentException.class, () -> EnvelopeRecords.record("t", "event_id", noType)).getMessage());
    JsonObject numericId = envelope().put("event_id", 7);
    assertThrows(IllegalArgumentException.class, () -> EnvelopeRecords.record("t", "event_id", numericId));
  }
}
