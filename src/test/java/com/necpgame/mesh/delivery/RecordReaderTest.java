package com.necpgame.mesh.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.delivery.RecordReader.Place;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class RecordReaderTest {

  private static final String TOPIC = "game.reader";
  private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);

  @Test
  void readsTheWantedRecordsAndTellsWhichKafkaNoLongerHas() {
    MockConsumer<String, byte[]> c = new MockConsumer<>("earliest");
    c.updateBeginningOffsets(Map.of(P0, 0L));
    c.schedulePollTask(() -> {
      for (long o = 0; o < 10; o++) {
        if (o != 3 && o != 5) { // compacted away
          c.addRecord(new ConsumerRecord<>(TOPIC, 0, o, "k" + o, ("v" + o).getBytes()));
        }
      }
    });
    Place two = new Place(TOPIC, 0, 2);
    Place three = new Place(TOPIC, 0, 3);
    Place seven = new Place(TOPIC, 0, 7);
    Place past = new Place(TOPIC, 0, 20);
    Map<Place, Optional<ConsumerRecord<String, byte[]>>> read = new RecordReader(c)
        .read(List.of(seven, two, three, past), Duration.ofMillis(500));
    assertEquals("k2", read.get(two).orElseThrow().key());
    assertEquals("v7", new String(read.get(seven).orElseThrow().value()));
    assertTrue(read.get(three).isEmpty(), "read past it: Kafka no longer has it");
    assertFalse(read.containsKey(past), "not read in time: no answer for it");
    assertTrue(c.assignment().isEmpty(), "the reader leaves nothing assigned");
  }
}
