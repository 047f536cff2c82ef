package com.necpgame.mesh.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.config.ConfigException;
import com.necpgame.mesh.config.ConfigLoader;
import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.envelope.EnvelopeValidator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The settings of tenancy (issue 15): the {@code admin} right, the topics reserved to the mesh, the cap on
 * subscriptions per principal, and the audit event of a privileged action.
 */
class TenancyConfigTest {

  private static final String KEY = "k-0123456789abcdef-secret";

  private static MeshConfig load(JsonObject tree) {
    return ConfigLoader.load(tree, Map.of());
  }

  private static JsonObject principal(JsonObject spec) {
    return new JsonObject().put("security", new JsonObject().put("principals", new JsonObject().put("p", spec
        .put("api_keys", new JsonArray().add(KEY)))));
  }

  @Test
  void theMeshsOwnTopicsAreReservedAndTheGameServersInputsAreNot() {
    ReservedTopics reserved = ReservedTopics.of(load(new JsonObject()));
    for (String topic : List.of("game.system.audit", "dead-letter-events", "game.combat.events.dlq", "x.dlq",
        "simulation.event", "world.tick.hourly", "world.tick.daily", "world.tick.leader", "world.state",
        "market.state", "match-state", "robot-pool-state", "match-events", "robot-orchestration-events",
        "robot-commands", "robot-responses", "__consumer_offsets", "__transaction_state")) {
      assertTrue(reserved.reserved(topic), topic);
    }
    for (String topic : List.of("economy.orders", "game.combat.events", "game.economy.events", "game.social.events",
        "game.system.events", "sub.analytics", "dlq.events")) {
      assertFalse(reserved.reserved(topic), topic);
    }
  }

  @Test
  void reservedTopicsFollowTheConfigurationAndItsExtraGlobs() {
    ReservedTopics reserved = ReservedTopics.of(load(new JsonObject()
        .put("security", new JsonObject().put("audit", new JsonObject().put("topic", "ops.audit"))
            .put("reserved_topics", new JsonArray().add("ops.*").add("billing.ledger")))
        .put("delivery", new JsonObject().put("dead_letter_topic", "ops.dead"))));
    assertTrue(reserved.reserved("ops.audit"));
    assertTrue(reserved.reserved("ops.anything"));
    assertTrue(reserved.reserved("billing.ledger"));
    assertFalse(reserved.reserved("billing.invoices"));
    assertFalse(reserved.reserved("game.system.audit"), "the default audit topic is not the audit topic any more");
    assertTrue(assertThrows(ConfigException.class, () -> load(new JsonObject().put("security", new JsonObject()
        .put("reserved_topics", new JsonArray().add("bad topic"))))).getMessage()
        .contains("security.reserved_topics"));
  }

  @Test
  void adminIsAnExplicitFlagAndAnonymousOnALaptopHasIt() {
    assertTrue(Acl.ALL.admin(), "anonymous without principals.anonymous may do everything, as before owners");
    assertFalse(new Acl(List.of("*"), List.of("*"), List.of("*")).admin(), "endpoints * is not admin");
    assertTrue(load(principal(new JsonObject().put("admin", true))).security().principals().get("p").admin());
    assertFalse(load(principal(new JsonObject().put("endpoints", new JsonArray().add("*")))).security().principals()
        .get("p").admin());
    String problem = assertThrows(ConfigException.class, () -> load(principal(new JsonObject().put("admin", "yes"))))
        .getMessage();
    assertTrue(problem.contains("security.principals.p.admin") && problem.contains("true or false"), problem);
  }

  @Test
  void theSubscriptionQuotaHasADefaultAndARange() {
    assertEquals(100, load(new JsonObject()).security().quotas().subscriptionsPerPrincipal());
    assertEquals(7, load(new JsonObject().put("security", new JsonObject().put("quotas",
        new JsonObject().put("subscriptions_per_principal", 7)))).security().quotas().subscriptionsPerPrincipal());
    assertTrue(assertThrows(ConfigException.class, () -> load(new JsonObject().put("security", new JsonObject()
        .put("quotas", new JsonObject().put("subscriptions_per_principal", 0))))).getMessage()
        .contains("security.quotas.subscriptions_per_principal"));
  }

  @Test
  void anActionPerformedIsAValidAuditEnvelopeAndOnlyKnownActionsAre() {
    EnvelopeValidator validator = EnvelopeValidator.load(Optional.empty());
    AuditLog audit = new AuditLog(() -> null, "game.system.audit", "event-mesh/test", new TokenBucket(1, 1, 0),
        new TokenBucket(1, 1, 0));
    assertTrue(validator.hasSchemaFor(AuditLog.ACTION_PERFORMED));
    JsonObject event = audit.actionEnvelope("analytics", "api_key", "subscription.update", "sub_1",
        new JsonObject().put("fields", new JsonArray().add("endpoint")), "10.0.0.7", Instant.now());
    assertEquals(List.of(), validator.validate(event));
    assertEquals("high", event.getJsonObject("metadata").getString("priority"));
    JsonObject unknown = audit.actionEnvelope("analytics", "api_key", "subscription.teleport", "sub_1", null, null,
        Instant.now());
    assertTrue(validator.validate(unknown).stream().anyMatch(v -> v.pointer().equals("/data/action")),
        String.valueOf(validator.validate(unknown)));
  }
}
