package com.necpgame.mesh.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.envelope.EnvelopeValidator;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Audit events are envelopes whose data the system schemas describe; the schemas reject what is not an audit. */
class AuditLogTest {

  private final EnvelopeValidator validator = EnvelopeValidator.load(Optional.empty());
  private final AuditLog audit = new AuditLog(() -> null, "game.system.audit", "event-mesh/test",
      new TokenBucket(1, 1, 0), new TokenBucket(1, 1, 0));

  @Test
  void authFailureAndDenialAreValidEnvelopes() {
    assertTrue(validator.hasSchemaFor(AuditLog.AUTH_FAILED));
    assertTrue(validator.hasSchemaFor(AuditLog.ACCESS_DENIED));
    JsonObject failed = audit.envelope(AuditLog.AUTH_FAILED, null, null, "POST /events/publish", "events",
        "the API key is not valid", "10.0.0.7", Instant.parse("2026-11-23T10:00:00Z"));
    assertEquals(java.util.List.of(), validator.validate(failed));
    JsonObject denied = audit.envelope(AuditLog.ACCESS_DENIED, "game-server", "api_key", "publish",
        "game.economy.events", "topic not in the principal's publish ACL", "127.0.0.1", Instant.now());
    assertEquals(java.util.List.of(), validator.validate(denied));
    assertEquals("game-server", denied.getJsonObject("data").getString("principal"));
    assertEquals("high", denied.getJsonObject("metadata").getString("priority"));
  }

  @Test
  void longPathsAreClippedToStayValid() {
    JsonObject event = audit.envelope(AuditLog.AUTH_FAILED, null, null, "GET /" + "a".repeat(5000), "a".repeat(9000),
        "no", "::1", Instant.now());
    assertEquals(java.util.List.of(), validator.validate(event));
    assertEquals(300, event.getJsonObject("data").getString("action").length());
  }

  @Test
  void schemaRejectsAnAuditWithoutItsWho() {
    JsonObject event = audit.envelope(AuditLog.ACCESS_DENIED, "p", "jwt", "publish", "t", "r", "::1", Instant.now());
    event.getJsonObject("data").remove("remote_address");
    assertTrue(validator.validate(event).stream().anyMatch(v -> v.pointer().equals("/data/remote_address")),
        String.valueOf(validator.validate(event)));
  }

  @Test
  void pastItsRateAuditsAreCountedNotWritten() {
    audit.record(AuditLog.AUTH_FAILED, null, null, "GET /x", "x", "r", "::1"); // producer null: send fails, logged
    audit.record(AuditLog.AUTH_FAILED, null, null, "GET /x", "x", "r", "::1");
    assertEquals(1, audit.dropped());
  }
}
