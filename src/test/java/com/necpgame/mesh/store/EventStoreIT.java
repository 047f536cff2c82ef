package com.necpgame.mesh.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.necpgame.mesh.envelope.Envelope;
import com.necpgame.mesh.kafka.Backoff;
import com.necpgame.mesh.kafka.GroupConsumer;
import com.necpgame.mesh.testsupport.TestDatabase;
import com.necpgame.mesh.testsupport.TestKafka;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The store writer between a real broker and a real database. */
class EventStoreIT {

  private Vertx vertx;
  private Pool pool;
  private EventStore store;

  @BeforeEach
  void database() throws Exception {
    vertx = Vertx.vertx();
    pool = Database.pool(vertx, TestDatabase.freshDatabase(), 4);
    await(Migrations.run(pool));
    store = new EventStore(pool);
  }

  @AfterEach
  void close() throws Exception {
    await(vertx.close());
  }

  @Test
  void everyEnvelopeOnAMatchingTopicIsStoredOnceWithItsPartitionAndOffset() throws Exception {
    String topic = TestKafka.createTopic("store", 2);
    JsonObject first = Envelope.create("game.match.end", "match-service", new JsonObject().put("winner", "p1"))
        .toJson();
    JsonObject second = Envelope.create("game.player.kill", "server-1", new JsonObject()).toJson()
        .put("metadata", new JsonObject().put("priority", "high"));
    RecordMetadata at = produce(topic, first.encode());
    produce(topic, second.encode());
    produce(topic, first.encode()); // a producer retry or a replay: same event again
    produce(topic, "{not an envelope");
    produce(topic, new JsonObject().put("hello", "world").encode());

    var metrics = new com.necpgame.mesh.MeshMetrics();
    var kafka = TestKafka.clients(TestKafka.config(new JsonObject()));
    String group = TestKafka.unique("store");
    GroupConsumer writer = new GroupConsumer("store-writer", () -> kafka.consumer("store", group, "earliest"),
        GroupConsumer.Source.pattern(Pattern.compile(Pattern.quote(topic))),
        new GroupConsumer.Policy(true, 3, new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), 0.2),
            GroupConsumer.Probe.NONE, "store"), null, metrics, new StoreWriter(store, metrics)).start();
    try {
      waitForRows(2);
      Thread.sleep(500); // the rest of the topic is read by now; nothing more may appear
      assertEquals(2L, count());
      JsonObject status = await(store.status(first.getString("event_id")));
      assertEquals("published", status.getString("status"));
      assertEquals(topic, status.getString("topic"));
      assertEquals(at.partition(), status.getInteger("partition"));
      assertEquals(at.offset(), status.getLong("offset"), "the first copy's offset is kept");
      assertEquals("game.match.end", status.getString("event_type"));
      assertEquals("high", scalar("SELECT priority FROM events WHERE event_id = '" + second.getString("event_id") + "'"));
      assertEquals(first, new JsonObject(scalar(
          "SELECT payload FROM events WHERE event_id = '" + first.getString("event_id") + "'")));
      assertNull(await(store.status("no-such-event")));
    } finally {
      writer.stop().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aBatchRecordedTwiceChangesNothingTheSecondTime() throws Exception {
    EventRow row = new EventRow("e-1", "game.match.end", "t", "s", "{}", 0, 7, "normal",
        java.time.OffsetDateTime.parse("2024-01-10T10:30:00Z"));
    assertEquals(1, await(store.record(List.of(row, row))), "a duplicate inside one batch is one row");
    assertEquals(0, await(store.record(List.of(row))));
    assertEquals(1L, count());
  }

  private long count() throws Exception {
    return await(pool.query("SELECT count(*) FROM events").execute()).iterator().next().getLong(0);
  }

  private String scalar(String sql) throws Exception {
    return await(pool.query(sql).execute()).iterator().next().getString(0);
  }

  private void waitForRows(long expected) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (count() < expected) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the store has " + count() + " rows, expected " + expected);
      }
      Thread.sleep(50);
    }
  }

  private static RecordMetadata produce(String topic, String value) throws Exception {
    try (var producer = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", TestKafka.bootstrapServers()),
        new StringSerializer(), new ByteArraySerializer())) {
      return producer.send(new ProducerRecord<>(topic, "k", value.getBytes(StandardCharsets.UTF_8)))
          .get(30, TimeUnit.SECONDS);
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
