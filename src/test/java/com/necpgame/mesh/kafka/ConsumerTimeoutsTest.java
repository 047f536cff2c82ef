package com.necpgame.mesh.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.config.ConfigException;
import com.necpgame.mesh.config.ConfigLoader;
import com.necpgame.mesh.config.MeshConfig;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The group member timeouts of the mesh's consumers: from config, checked, and left out where Kafka refuses them. */
class ConsumerTimeoutsTest {

  private static Map<String, Object> groupConsumer(JsonObject consumer) {
    MeshConfig config = ConfigLoader.load(new JsonObject().put("kafka", new JsonObject().put("consumer", consumer)),
        Map.of());
    return new KafkaClients(config.kafka(), "127.0.0.1:9092", "n").consumerProps("store", "g", "earliest");
  }

  @Test
  void aDeadMemberIsNoticedWithinSixSecondsByDefaultNotKafkasFortyFive() {
    Map<String, Object> props = groupConsumer(new JsonObject());
    assertEquals(6000, props.get("session.timeout.ms"));
    assertEquals(1500, props.get("heartbeat.interval.ms"));
  }

  @Test
  void theConsumerProtocolGetsNeitherBecauseTheBrokerDecidesThem() {
    Map<String, Object> props = groupConsumer(new JsonObject().put("properties",
        new JsonObject().put("group.protocol", "consumer")));
    assertFalse(props.containsKey("session.timeout.ms"));
    assertFalse(props.containsKey("heartbeat.interval.ms"));
  }

  @Test
  void aHeartbeatOverAThirdOfTheSessionIsRefused() {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(new JsonObject().put("kafka",
        new JsonObject().put("consumer", new JsonObject().put("session_timeout_ms", 6000)
            .put("heartbeat_interval_ms", 2500))), Map.of()));
    assertTrue(String.join("\n", e.problems()).startsWith("kafka.consumer.heartbeat_interval_ms: must be at most a "
        + "third"), e.problems().toString());
  }
}
