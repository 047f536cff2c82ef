package com.necpgame.mesh.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.MeshMetrics;
import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.envelope.Envelope;
import com.necpgame.mesh.testsupport.TestKafka;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The bridge against a real broker, checked with plain kafka-clients on the other side. */
class KafkaBridgeIT {

  private static final Duration WAIT = Duration.ofSeconds(60);

  private final List<Vertx> vertxes = new ArrayList<>();
  private final List<Producer<String, byte[]>> producers = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (Vertx v : vertxes) {
      v.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    producers.forEach(Producer::close);
  }

  /** Deploys a bridge with these mappings in a Vert.x of its own (as another process would have). */
  private Vertx bridge(JsonObject bridgeConfig) throws Exception {
    MeshConfig config = TestKafka.config(new JsonObject().put("bridge", bridgeConfig));
    KafkaClients clients = TestKafka.clients(config);
    Producer<String, byte[]> producer = clients.producer("test");
    producers.add(producer);
    Vertx vertx = Vertx.vertx();
    vertxes.add(vertx);
    MeshContext mesh = new MeshContext(config, clients, producer, TestKafka.admin(), null, null, new MeshMetrics());
    await(vertx.deployVerticle(new KafkaBridgeVerticle(mesh)));
    return vertx;
  }

  private static JsonObject outbound(String address, String topic, String keyField) {
    return new JsonObject().put("outbound", new JsonArray()
        .add(new JsonObject().put("address", address).put("topic", topic).put("key_field", keyField)))
        .put("inbound", new JsonArray());
  }

  private static JsonObject inbound(String topic, String address, String mode, int attempts) {
    return new JsonObject().put("outbound", new JsonArray())
        .put("retry", new JsonObject().put("max_attempts", attempts).put("backoff_ms", 10).put("max_backoff_ms", 50))
        .put("inbound", new JsonArray().add(new JsonObject().put("topic", topic).put("address", address).put("mode", mode)));
  }

  @Test
  void envelopeSentToOutboundAddressIsReadableByAPlainConsumerWithKeyAndHeaders() throws Exception {
    String topic = TestKafka.createTopic("out", 3);
    Vertx vertx = bridge(outbound("test.out", topic, "data.commodity"));
    Envelope envelope = Envelope.create("economy.order.placed", "test", new JsonObject().put("commodity", "iron"));

    JsonObject reply = await(vertx.eventBus().<JsonObject>request("test.out", envelope.toJson())).body();

    List<ConsumerRecord<String, byte[]>> records = read(topic, 1);
    ConsumerRecord<String, byte[]> record = records.get(0);
    assertEquals("iron", record.key());
    assertEquals(envelope.eventId().toString(), EnvelopeRecords.header(record.headers(), "event_id"));
    assertEquals("economy.order.placed", EnvelopeRecords.header(record.headers(), "event_type"));
    assertEquals(envelope.toJson(), new JsonObject(new String(record.value(), StandardCharsets.UTF_8)));
    assertEquals(topic, reply.getString("topic"));
    assertEquals(record.partition(), reply.getInteger("partition"));
    assertEquals(record.offset(), reply.getLong("offset"));
  }

  @Test
  void correlationIdBecomesAHeaderAndAMissingKeyFieldGivesNoKey() throws Exception {
    String topic = TestKafka.createTopic("out-nokey", 1);
    Vertx vertx = bridge(outbound("test.out.nokey", topic, "player_id"));
    JsonObject envelope = Envelope.create("system.service.health", "test", new JsonObject()).toJson()
        .put("correlation_id", "req-42");
    await(vertx.eventBus().request("test.out.nokey", envelope));
    ConsumerRecord<String, byte[]> record = read(topic, 1).get(0);
    assertNull(record.key());
    assertEquals("req-42", EnvelopeRecords.header(record.headers(), "correlation_id"));
  }

  @Test
  void somethingThatIsNotAnEnvelopeFailsWith400() throws Exception {
    String topic = TestKafka.createTopic("out-bad", 1);
    Vertx vertx = bridge(outbound("test.out.bad", topic, "event_id"));
    ReplyException notJson = failure(vertx.eventBus().request("test.out.bad", "not json"));
    assertEquals(400, notJson.failureCode());
    ReplyException noType = failure(vertx.eventBus().request("test.out.bad",
        new JsonObject().put("event_id", "e1").put("data", new JsonObject())));
    assertEquals(400, noType.failureCode());
    assertTrue(noType.getMessage().contains("event_type"), noType.getMessage());
  }

  @Test
  void envelopeLargerThanKafkaTakesFailsWith413AndTheNextOneGoesThrough() throws Exception {
    String topic = TestKafka.createTopic("out-large", 1);
    Vertx vertx = bridge(outbound("test.out.large", topic, "event_id"));
    JsonObject huge = Envelope.create("game.replay.uploaded", "t", new JsonObject().put("blob", "x".repeat(2 << 20)))
        .toJson();
    ReplyException tooLarge = failure(vertx.eventBus().request("test.out.large", huge));
    assertEquals(413, tooLarge.failureCode());
    JsonObject small = Envelope.create("game.replay.uploaded", "t", new JsonObject()).toJson();
    assertEquals(topic, await(vertx.eventBus().<JsonObject>request("test.out.large", small)).body().getString("topic"));
    assertEquals(small.getString("event_id"), EnvelopeRecords.header(read(topic, 1).get(0).headers(), "event_id"));
  }

  @Test
  void batchIsAnsweredOnceWithAResultPerEnvelopeInOrder() throws Exception {
    String topic = TestKafka.createTopic("out-batch", 2);
    Vertx vertx = bridge(outbound("test.out.batch", topic, "event_id"));
    JsonObject first = Envelope.create("economy.trade.executed", "t", new JsonObject().put("n", 1)).toJson();
    JsonObject second = Envelope.create("economy.trade.executed", "t", new JsonObject().put("n", 2)).toJson();
    JsonArray batch = new JsonArray().add(first).add("not an envelope").add(second);

    JsonArray results = await(vertx.eventBus().<JsonArray>request("test.out.batch", batch)).body();

    assertEquals(3, results.size());
    assertEquals(topic, results.getJsonObject(0).getString("topic"));
    assertEquals(400, results.getJsonObject(1).getJsonObject("error").getInteger("code"));
    assertEquals(topic, results.getJsonObject(2).getString("topic"));
    List<ConsumerRecord<String, byte[]>> records = read(topic, 2);
    List<String> ids = records.stream().map(r -> EnvelopeRecords.header(r.headers(), "event_id")).toList();
    assertTrue(ids.containsAll(List.of(first.getString("event_id"), second.getString("event_id"))), ids.toString());
    assertTrue(await(vertx.eventBus().<JsonArray>request("test.out.batch", new JsonArray())).body().isEmpty());
  }

  @Test
  void outboundMappingToAMissingTopicFailsStartUpNamingIt() throws Exception {
    // A send to an unknown topic would block the event loop until max_block_ms: refused at start instead.
    String missing = TestKafka.unique("missing");
    MeshConfig config = TestKafka.config(new JsonObject()
        .put("kafka", new JsonObject().put("request_timeout_ms", 1000))
        .put("bridge", outbound("test.out.missing", missing, "event_id")));
    KafkaClients clients = TestKafka.clients(config);
    Producer<String, byte[]> producer = clients.producer("test");
    producers.add(producer);
    Vertx vertx = Vertx.vertx();
    vertxes.add(vertx);
    var deployed = vertx.deployVerticle(new KafkaBridgeVerticle(
        new MeshContext(config, clients, producer, TestKafka.admin(), null, null, new MeshMetrics())));
    java.util.concurrent.ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
        java.util.concurrent.ExecutionException.class, () -> await(deployed));
    assertTrue(e.getCause().getMessage().contains("bridge.outbound: topics [" + missing + "] must exist"),
        e.getCause().getMessage());
  }

  @Test
  void recordFromAPlainProducerArrivesOnTheMappedAddressWithItsCoordinates() throws Exception {
    String topic = TestKafka.createTopic("in", 2);
    Vertx vertx = bridge(inbound(topic, "test.in", "shared", 3));
    List<io.vertx.core.eventbus.Message<JsonObject>> got = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer("test.in", m -> {
      got.add(m);
      m.reply(null);
    });
    JsonObject envelope = Envelope.create("combat.session.start", "server-1", new JsonObject().put("map", "neon")).toJson();
    var meta = produce(topic, "session-1", envelope.encode());

    waitUntil(() -> got.size() == 1);
    var message = got.get(0);
    assertEquals(envelope, message.body());
    assertEquals(topic, message.headers().get(KafkaBridgeVerticle.TOPIC));
    assertEquals(String.valueOf(meta.partition()), message.headers().get(KafkaBridgeVerticle.PARTITION));
    assertEquals(String.valueOf(meta.offset()), message.headers().get(KafkaBridgeVerticle.OFFSET));
    assertEquals("session-1", message.headers().get(KafkaBridgeVerticle.KEY));
  }

  @Test
  void handlerThatAlwaysFailsSendsTheRecordToTheDlqAfterNAttemptsAndTheNextRecordIsStillProcessed() throws Exception {
    String topic = TestKafka.createTopic("in-fail", 1);
    Vertx vertx = bridge(inbound(topic, "test.in.fail", "shared", 3));
    Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
    List<String> handled = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer("test.in.fail", m -> {
      String id = m.body().getString("event_id");
      attempts.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
      if (m.body().getJsonObject("data").getBoolean("poison", false)) {
        m.fail(500, "cannot handle this one");
      } else {
        handled.add(id);
        m.reply(null);
      }
    });
    JsonObject bad = Envelope.create("economy.order.placed", "t", new JsonObject().put("poison", true)).toJson();
    JsonObject good = Envelope.create("economy.order.placed", "t", new JsonObject()).toJson();
    produce(topic, "k", bad.encode());
    produce(topic, "k", good.encode());

    waitUntil(() -> handled.contains(good.getString("event_id")));
    assertEquals(3, attempts.get(bad.getString("event_id")).get(), "three attempts, no more");
    assertEquals(1, attempts.get(good.getString("event_id")).get());

    ConsumerRecord<String, byte[]> dead = read(topic + ".dlq", 1).get(0);
    assertEquals(bad, new JsonObject(new String(dead.value(), StandardCharsets.UTF_8)));
    assertEquals("k", dead.key());
    assertTrue(EnvelopeRecords.header(dead.headers(), DeadLetters.REASON).contains("cannot handle this one"));
    assertEquals("3", EnvelopeRecords.header(dead.headers(), DeadLetters.ATTEMPTS));
    assertEquals(topic, EnvelopeRecords.header(dead.headers(), DeadLetters.SOURCE_TOPIC));
    assertEquals("0", EnvelopeRecords.header(dead.headers(), DeadLetters.SOURCE_OFFSET));
    assertEquals("test.in.fail", EnvelopeRecords.header(dead.headers(), DeadLetters.ADDRESS));
  }

  @Test
  void malformedRecordGoesToTheDlqWithoutRetriesAndConsumptionGoesOn() throws Exception {
    String topic = TestKafka.createTopic("in-malformed", 1);
    Vertx vertx = bridge(inbound(topic, "test.in.malformed", "shared", 5));
    List<JsonObject> handled = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer("test.in.malformed", m -> {
      handled.add(m.body());
      m.reply(null);
    });
    produce(topic, null, "{not json");
    JsonObject good = Envelope.create("economy.order.placed", "t", new JsonObject()).toJson();
    produce(topic, null, good.encode());

    waitUntil(() -> handled.size() == 1);
    assertEquals(good, handled.get(0));
    ConsumerRecord<String, byte[]> dead = read(topic + ".dlq", 1).get(0);
    assertEquals("{not json", new String(dead.value(), StandardCharsets.UTF_8));
    assertEquals("0", EnvelopeRecords.header(dead.headers(), DeadLetters.ATTEMPTS));
    assertTrue(EnvelopeRecords.header(dead.headers(), DeadLetters.REASON).startsWith("not a JSON object"));
  }

  @Test
  void restartedConsumerResumesAfterTheLastCommittedOffset() throws Exception {
    String topic = TestKafka.createTopic("in-resume", 1);
    JsonObject mapping = inbound(topic, "test.in.resume", "shared", 3);
    List<Integer> first = new CopyOnWriteArrayList<>();
    Vertx one = bridge(mapping);
    one.eventBus().<JsonObject>consumer("test.in.resume", m -> {
      first.add(m.body().getJsonObject("data").getInteger("n"));
      m.reply(null);
    });
    for (int n = 0; n < 5; n++) {
      produce(topic, null, Envelope.create("test.sample.counted", "t", new JsonObject().put("n", n)).toJson().encode());
    }
    waitUntil(() -> first.size() == 5);
    await(one.close());
    vertxes.remove(one);

    for (int n = 5; n < 8; n++) {
      produce(topic, null, Envelope.create("test.sample.counted", "t", new JsonObject().put("n", n)).toJson().encode());
    }
    List<Integer> second = new CopyOnWriteArrayList<>();
    Vertx two = bridge(mapping);
    two.eventBus().<JsonObject>consumer("test.in.resume", m -> {
      second.add(m.body().getJsonObject("data").getInteger("n"));
      m.reply(null);
    });
    waitUntil(() -> second.size() >= 3);
    Thread.sleep(1000); // anything re-delivered would arrive now
    assertEquals(List.of(0, 1, 2, 3, 4), first);
    assertEquals(List.of(5, 6, 7), second, "nothing lost, nothing handled twice");
  }

  @Test
  void broadcastMappingDeliversEveryRecordToEveryProcess() throws Exception {
    String topic = TestKafka.createTopic("in-broadcast", 3);
    JsonObject mapping = inbound(topic, "test.in.broadcast", "broadcast", 3);
    List<List<String>> seen = List.of(new CopyOnWriteArrayList<>(), new CopyOnWriteArrayList<>());
    for (List<String> ids : seen) {
      Vertx v = bridge(mapping);
      v.eventBus().<JsonObject>consumer("test.in.broadcast", m -> {
        ids.add(m.body().getString("event_id"));
        m.reply(null);
      });
    }
    List<String> sent = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      JsonObject e = Envelope.create("world.tick.hourly", "t", new JsonObject()).toJson();
      sent.add(e.getString("event_id"));
      produce(topic, "k" + i, e.encode());
    }
    waitUntil(() -> seen.get(0).size() == 6 && seen.get(1).size() == 6);
    for (List<String> ids : seen) {
      assertTrue(ids.containsAll(sent), ids.toString());
    }
  }

  // ---- helpers

  private static org.apache.kafka.clients.producer.RecordMetadata produce(String topic, String key, String value)
      throws Exception {
    try (var producer = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", TestKafka.bootstrapServers()),
        new StringSerializer(), new ByteArraySerializer())) {
      return producer.send(new ProducerRecord<>(topic, key, value.getBytes(StandardCharsets.UTF_8)))
          .get(30, TimeUnit.SECONDS);
    }
  }

  private static List<ConsumerRecord<String, byte[]>> read(String topic, int count) {
    List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
    try (var consumer = new KafkaConsumer<>(Map.<String, Object>of("bootstrap.servers", TestKafka.bootstrapServers(),
        "group.id", TestKafka.unique("reader"), "auto.offset.reset", "earliest"),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (out.size() < count && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
      }
    }
    assertEquals(count, out.size(), "records read from " + topic);
    return out;
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private static ReplyException failure(Future<?> future) throws Exception {
    try {
      await(future);
    } catch (java.util.concurrent.ExecutionException e) {
      assertNotNull(e.getCause());
      return (ReplyException) e.getCause();
    }
    throw new AssertionError("expected a failed reply");
  }

  private static void waitUntil(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within " + WAIT);
      }
      Thread.sleep(20);
    }
  }
}
