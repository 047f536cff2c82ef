package com.necpgame.mesh.bench;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.MeshMetrics;
import com.necpgame.mesh.config.ConfigLoader;
import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.envelope.Envelope;
import com.necpgame.mesh.kafka.EmbeddedBroker;
import com.necpgame.mesh.kafka.EnvelopeRecords;
import com.necpgame.mesh.kafka.KafkaBridgeVerticle;
import com.necpgame.mesh.kafka.KafkaClients;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Outbound throughput of the bridge (envelope sent on the event bus, reply after Kafka acknowledged) against the raw
 * kafka-clients producer sending the same records, same broker, same run, alternating rounds. Not a test: run it with
 * {@code mvn -q test-compile exec:exec -Dexec.args="-cp %classpath com.necpgame.mesh.bench.BridgeThroughputBenchmark 1000000 5"}
 * (arguments: records per round, rounds; {@code -Dbench.bootstrap=host:port} before the class uses an existing broker).
 */
public final class BridgeThroughputBenchmark {

  private static final int WINDOW = 20_000;
  private static final int BATCH = 100;

  public static void main(String[] args) throws Exception {
    int records = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    EmbeddedBroker broker = null;
    String bootstrap = System.getProperty("bench.bootstrap");
    if (bootstrap == null) {
      broker = EmbeddedBroker.start(new MeshConfig.EmbeddedKafka("127.0.0.1", 0, 0,
          Files.createTempDirectory("mesh-bench"), 1, 256L << 20, 64 << 20));
      bootstrap = broker.bootstrapServers();
    }
    String topic = "bench-" + System.currentTimeMillis();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      admin.createTopics(List.of(new NewTopic(topic, 12, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
    MeshConfig config = ConfigLoader.load(new JsonObject()
        .put("kafka", new JsonObject().put("bootstrap_servers", bootstrap))
        .put("bridge", new JsonObject().put("outbound", new JsonArray().add(new JsonObject()
            .put("address", "bench.out").put("topic", topic).put("key_field", "player_id")))), Map.of());
    KafkaClients clients = new KafkaClients(config.kafka(), bootstrap, "bench");
    JsonObject envelope = envelopeOf256Bytes();
    byte[] value = envelope.encode().getBytes(StandardCharsets.UTF_8);
    System.out.printf("records per round %,d, envelope %d bytes, producer linger %d ms, batch %d, compression %s%n",
        records, value.length, config.kafka().producer().lingerMs(), config.kafka().producer().batchSize(),
        config.kafka().producer().compressionType());

    try (Producer<String, byte[]> producer = clients.producer("bench"); Admin admin = clients.admin()) {
      Vertx vertx = Vertx.vertx();
      MeshContext mesh = new MeshContext(config, clients, producer, admin, null, null, new MeshMetrics());
      vertx.deployVerticle(new KafkaBridgeVerticle(mesh)).toCompletionStage().toCompletableFuture().get();
      for (int warmup = 0; warmup < 2; warmup++) {
        raw(producer, topic, envelope, records / 2);
        bus(vertx, envelope, records / 2, 1);
        bus(vertx, envelope, records / 2, BATCH);
      }
      double rawSum = 0;
      double singleSum = 0;
      double batchSum = 0;
      for (int round = 1; round <= rounds; round++) {
        double r = raw(producer, topic, envelope, records);
        double single = bus(vertx, envelope, records, 1);
        double batch = bus(vertx, envelope, records, BATCH);
        rawSum += r;
        singleSum += single;
        batchSum += batch;
        System.out.printf("round %d: raw %,.0f msg/s | bridge, one envelope per message %,.0f msg/s (%.2f) | "
            + "bridge, %d per message %,.0f msg/s (%.2f)%n", round, r, single, single / r, BATCH, batch, batch / r);
      }
      System.out.printf("mean: raw %,.0f msg/s | one per message %,.0f msg/s, ratio %.2f | %d per message %,.0f msg/s, "
          + "ratio %.2f%n", rawSum / rounds, singleSum / rounds, singleSum / rawSum, BATCH, batchSum / rounds,
          batchSum / rawSum);
      vertx.close().toCompletionStage().toCompletableFuture().get();
    } finally {
      if (broker != null) {
        broker.close();
      }
    }
    System.out.flush();
    System.exit(0); // the broker's raft reaper thread outlives close(); do not let it hold the JVM
  }

  /** The plain client sending what the bridge would send: same topic, key, value and headers. */
  private static double raw(Producer<String, byte[]> producer, String topic, JsonObject envelope, int n)
      throws InterruptedException {
    Semaphore window = new Semaphore(WINDOW);
    CountDownLatch done = new CountDownLatch(n);
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      window.acquire();
      ProducerRecord<String, byte[]> record = EnvelopeRecords.record(topic, "player_id", envelope);
      producer.send(record, (md, e) -> {
        if (e != null) {
          throw new IllegalStateException(e);
        }
        window.release();
        done.countDown();
      });
    }
    done.await();
    return n / ((System.nanoTime() - start) / 1e9);
  }

  /**
   * Envelopes sent to the outbound address from a verticle context, {@code perMessage} to a message (a JSON array when
   * more than one), at most WINDOW envelopes awaiting their reply.
   */
  private static double bus(Vertx vertx, JsonObject envelope, int n, int perMessage) throws Exception {
    Object body = perMessage == 1 ? envelope : new JsonArray(java.util.Collections.nCopies(perMessage, envelope));
    Promise<Long> finished = Promise.promise();
    long start = System.nanoTime();
    vertx.runOnContext(v -> new Object() {
      int sent;
      int acked;

      void pump() {
        while (sent < n && sent - acked < WINDOW) {
          sent += perMessage;
          vertx.eventBus().request("bench.out", body).onComplete(ar -> {
            if (ar.failed()) {
              finished.tryFail(ar.cause());
              return;
            }
            if ((acked += perMessage) >= n) {
              finished.complete(System.nanoTime());
            } else if (sent - acked < WINDOW / 2) {
              pump();
            }
          });
        }
      }
    }.pump());
    long end = finished.future().toCompletionStage().toCompletableFuture().get(10, TimeUnit.MINUTES);
    return n / ((end - start) / 1e9);
  }

  /** A realistic envelope (id, type, time, version, source, data, metadata) padded to exactly 256 bytes. */
  private static JsonObject envelopeOf256Bytes() {
    JsonObject e = Envelope.create("combat.player.hit", "gs-01", new JsonObject().put("amount", 42)).toJson();
    int pad = 256 - e.encode().getBytes(StandardCharsets.UTF_8).length - ",\"pad\":\"\"".length();
    e.getJsonObject("data").put("pad", "x".repeat(pad));
    return e;
  }
}
