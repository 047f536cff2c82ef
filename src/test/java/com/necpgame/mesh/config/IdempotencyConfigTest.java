package com.necpgame.mesh.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IdempotencyConfigTest {

  private static String problems(JsonObject tree) {
    return String.join("\n", assertThrows(ConfigException.class, () -> ConfigLoader.load(tree, Map.of())).problems());
  }

  @Test
  void keysAreRememberedForADayByDefault() {
    MeshConfig.Idempotency i = ConfigLoader.load(new JsonObject(), Map.of()).idempotency();
    assertEquals(new MeshConfig.Idempotency(86_400_000, 60_000, 2000, 2000, 10_000, 10_000, 1000, 0), i);
  }

  @Test
  void aClaimIsNotTakenOverBeforeItsSendHasSurelyEnded() {
    String bad = problems(new JsonObject().put("idempotency", new JsonObject().put("pending_timeout_ms", 20_000)));
    assertTrue(bad.contains("idempotency.pending_timeout_ms") && bad.contains("35000"), bad);
    JsonObject shortKafka = new JsonObject().put("kafka", new JsonObject().put("request_timeout_ms", 3000)
        .put("producer", new JsonObject().put("delivery_timeout_ms", 4000).put("max_block_ms", 1000)))
        .put("idempotency", new JsonObject().put("pending_timeout_ms", 6000));
    assertEquals(6000, ConfigLoader.load(shortKafka, Map.of()).idempotency().pendingTimeoutMs());
    JsonObject longKafka = new JsonObject().put("kafka", new JsonObject().put("producer",
        new JsonObject().put("delivery_timeout_ms", 120_000)));
    assertEquals(5000 + 120_000 + 5000, ConfigLoader.load(longKafka, Map.of()).idempotency().pendingTimeoutMs(),
        "the default follows a producer whose sends may take longer than 60 s");
  }

  @Test
  void theWindowMustOutlastAClaimAndNumbersMustBeInRange() {
    String bad = problems(new JsonObject().put("idempotency", new JsonObject().put("window_ms", 50_000)
        .put("cleanup_batch", 0).put("db_timeout_ms", "fast")));
    assertTrue(bad.contains("shorter than idempotency.window_ms"), bad);
    assertTrue(bad.contains("idempotency.cleanup_batch"), bad);
    assertTrue(bad.contains("idempotency.db_timeout_ms"), bad);
  }
}
