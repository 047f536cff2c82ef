package com.necpgame.mesh.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.necpgame.mesh.config.MeshConfig;
import org.junit.jupiter.api.Test;

class InboundConsumerTest {

  @Test
  void backoffDoublesFromTheFirstDelayUpToTheCap() {
    MeshConfig.Inbound mapping = new MeshConfig.Inbound("t", "a", MeshConfig.Mode.SHARED, "g",
        MeshConfig.Start.EARLIEST, 10);
    InboundConsumer consumer = new InboundConsumer(mapping, new MeshConfig.Retry(10, 200, 1000), null, null, null,
        r -> null);
    assertEquals(200, consumer.backoff(1));
    assertEquals(400, consumer.backoff(2));
    assertEquals(800, consumer.backoff(3));
    assertEquals(1000, consumer.backoff(4));
    assertEquals(1000, consumer.backoff(200), "no overflow for many attempts");
  }
}
