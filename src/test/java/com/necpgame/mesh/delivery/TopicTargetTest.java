package com.necpgame.mesh.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** Replays into a topic: what a replayed record carries. */
class TopicTargetTest {

  private final MockProducer<String, byte[]> producer =
      new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());

  private static ConsumerRecord<String, byte[]> record() {
    ConsumerRecord<String, byte[]> r = new ConsumerRecord<>("game.combat.events", 2, 7, "k",
        "{}".getBytes(StandardCharsets.UTF_8));
    r.headers().add(DeliveryRouter.HEADER_SUBSCRIPTION, "someone-else".getBytes(StandardCharsets.UTF_8));
    return r;
  }

  private static String header(ProducerRecord<String, byte[]> r, String name) {
    var h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  @Test
  void replayedIntoAKafkaSubscriptionCarriesItsIdSoTheRouterNeverRoutesItAgain() throws Exception {
    new TopicTarget(producer, "sub.analytics", 5000, "sub-1").deliver("replay-1", List.of(record()));
    ProducerRecord<String, byte[]> out = producer.history().get(0);
    assertEquals("sub.analytics", out.topic());
    assertEquals("sub-1", header(out, DeliveryRouter.HEADER_SUBSCRIPTION));
    assertEquals(1, out.headers().toArray().length - 4, "one subscription_id, the other's replaced");
    assertEquals("replay-1", header(out, ReplayTarget.HEADER_REPLAY_ID));
  }

  @Test
  void replayedIntoAPlainTopicKeepsItsHeadersAsTheyWere() throws Exception {
    new TopicTarget(producer, "game.copy", 5000, null).deliver("replay-2", List.of(record()));
    ProducerRecord<String, byte[]> out = producer.history().get(0);
    assertEquals("someone-else", header(out, DeliveryRouter.HEADER_SUBSCRIPTION));
    assertNull(header(out, "dlq.reason"));
  }
}
