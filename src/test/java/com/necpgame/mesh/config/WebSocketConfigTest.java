package com.necpgame.mesh.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WebSocketConfigTest {

  private static String problems(JsonObject websocket) {
    return String.join("\n", assertThrows(ConfigException.class, () -> ConfigLoader.load(new JsonObject()
        .put("websocket", websocket), Map.of())).problems());
  }

  @Test
  void theHubIsTheDefaultWithItsWindowAndChannels() {
    MeshConfig.WebSocket ws = ConfigLoader.load(new JsonObject(), Map.of()).webSocket();
    assertTrue(ws.hub());
    assertEquals(50_000, ws.maxClients());
    assertEquals(16, ws.maxSubscriptionsPerSocket());
    assertEquals(Map.of("player_id", "player_id", "session_id", "session_id", "match_id", "data.match_id"),
        ws.channelFields());
    assertEquals(new MeshConfig.History(10_000, 16L << 20, 300_000), ws.history());
    assertEquals(4, ws.catchUpMaxReaders());
    assertEquals(20_000, ws.pingIntervalMs());
    assertEquals(60_000, ws.idleTimeoutMs());
    assertEquals("player_id", ConfigLoader.load(new JsonObject(), Map.of()).security().jwt().playerClaim());
  }

  @Test
  void aChannelMayBeAddedAndBadOnesAreNamed() {
    MeshConfig.WebSocket ws = ConfigLoader.load(new JsonObject().put("websocket", new JsonObject()
        .put("channel_fields", new JsonObject().put("guild_id", "data.guild.id"))), Map.of()).webSocket();
    assertEquals("data.guild.id", ws.channelFields().get("guild_id"));
    assertEquals("player_id", ws.channelFields().get("player_id"), "the defaults stay");
    String bad = problems(new JsonObject().put("engine", "threads").put("channel_fields", new JsonObject()
        .put("Bad Name", "x").put("party", "data..id")));
    assertTrue(bad.contains("websocket.engine"), bad);
    assertTrue(bad.contains("websocket.channel_fields.Bad Name"), bad);
    assertTrue(bad.contains("websocket.channel_fields.party"), bad);
  }
}
