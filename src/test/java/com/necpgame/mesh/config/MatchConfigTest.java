package com.necpgame.mesh.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MatchConfigTest {

  @Test
  void defaultsToTheLocalProviderAndTheSeedsScalingRules() {
    MatchConfig c = ConfigLoader.load(new JsonObject(), Map.of()).games();
    assertEquals(List.of("local"), c.llm().providers());
    assertEquals(List.of("curious-student", "skeptical-scientist", "creative-artist"), c.robots().types());
    assertEquals(2, c.robots().minIdlePerType());
    assertEquals(400, c.robots().maxTotal());
    assertEquals(0.8, c.robots().scaleUpBusyRatio(), 1e-9);
    assertEquals(300_000, c.robots().scaleDownAfterMs());
    assertEquals("match-state", c.match().stateTopic());
    assertEquals("robot-pool-state", c.robots().poolStateTopic());
  }

  @Test
  void takesTheApiKeyFromTheEnvironmentAndNeverPrintsIt() {
    MeshConfig c = ConfigLoader.load(new JsonObject(), Map.of("MESH_LLM_API_KEY", "sk-very-secret"));
    assertEquals("sk-very-secret", c.games().llm().openai().apiKey());
    assertFalse(c.toString().contains("sk-very-secret"));
  }

  @Test
  void readsTheFallbackChainFromConfigOrEnvironmentWithTheAnthropicKeyNeverPrinted() {
    MeshConfig c = ConfigLoader.load(new JsonObject(), Map.of("MESH_LLM_PROVIDERS", "anthropic, openai, local",
        "MESH_LLM_ANTHROPIC_API_KEY", "sk-ant-very-secret"));
    assertEquals(List.of("anthropic", "openai", "local"), c.games().llm().providers());
    assertEquals("sk-ant-very-secret", c.games().llm().anthropic().apiKey());
    assertEquals("2023-06-01", c.games().llm().anthropic().version());
    assertEquals(0.004, c.games().llm().anthropic().priceOutPer1k(), 1e-12);
    assertFalse(c.toString().contains("sk-ant-very-secret"));
    assertEquals(List.of("openai", "local"), ConfigLoader.load(new JsonObject().put("llm", new JsonObject()
        .put("provider", "openai")), Map.of()).games().llm().providers(), "llm.provider alone: it, then local");
  }

  @Test
  void rejectsAChainThatDoesNotEndInTheLocalProvider() {
    for (JsonArray chain : List.of(new JsonArray().add("anthropic").add("openai"),
        new JsonArray().add("local").add("anthropic"), new JsonArray().add("openai").add("openai").add("local"),
        new JsonArray().add("gemini").add("local"))) {
      ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(new JsonObject()
          .put("llm", new JsonObject().put("providers", chain)), Map.of()), chain.encode());
      assertTrue(e.getMessage().contains("llm.providers"), e.getMessage());
    }
  }

  @Test
  void rejectsAnUnknownProviderAPoolTooSmallAndNoPrompts() {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(new JsonObject()
        .put("llm", new JsonObject().put("provider", "magic"))
        .put("robots", new JsonObject().put("max_total", 3))
        .put("match", new JsonObject().put("prompts", new JsonArray())), Map.of()));
    assertTrue(e.getMessage().contains("llm.provider"), e.getMessage());
    assertTrue(e.getMessage().contains("robots.max_total"), e.getMessage());
    assertTrue(e.getMessage().contains("match.prompts"), e.getMessage());
  }
}
