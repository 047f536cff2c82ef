package com.necpgame.mesh.bench;

import com.necpgame.mesh.config.ConfigLoader;
import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.delivery.ReplayJob;
import com.necpgame.mesh.delivery.ReplayScanner;
import com.necpgame.mesh.envelope.EnvelopeFilter;
import com.necpgame.mesh.envelope.EventIds;
import com.necpgame.mesh.kafka.EmbeddedBroker;
import com.necpgame.mesh.kafka.KafkaClients;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Replay scan rate: {@link ReplayScanner} reading a window of N envelopes (~256 B, 12 partitions) with a filter that
 * matches 1% of them, the matches counted by a target that keeps nothing, so what is measured is reading and
 * filtering. Run: {@code mvn -q test-compile exec:exec -Dexec.args="-cp %classpath
 * com.necpgame.mesh.bench.ReplayScanBenchmark 2000000 3"} (events, rounds; {@code -Dbench.bootstrap=host:port} before
 * the class uses an existing broker).
 */
public final class ReplayScanBenchmark {

  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 2_000_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    EmbeddedBroker broker = null;
    String bootstrap = System.getProperty("bench.bootstrap");
    if (bootstrap == null) {
      broker = EmbeddedBroker.start(new MeshConfig.EmbeddedKafka("127.0.0.1", 0, 0,
          Files.createTempDirectory("mesh-bench"), 1, 1L << 30, 64 << 20));
      bootstrap = broker.bootstrapServers();
    }
    String topic = "replay-bench-" + System.currentTimeMillis();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      admin.createTopics(List.of(new NewTopic(topic, 12, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
    MeshConfig config = ConfigLoader.load(new JsonObject()
        .put("kafka", new JsonObject().put("bootstrap_servers", bootstrap)), Map.of());
    KafkaClients clients = new KafkaClients(config.kafka(), bootstrap, "bench");
    Instant start = Instant.now();
    long produced = System.nanoTime();
    try (KafkaProducer<String, byte[]> producer = clients.producer("bench")) {
      for (int i = 0; i < events; i++) {
        String type = i % 100 == 0 ? "game.match.end" : "game.kill";
        JsonObject envelope = new JsonObject().put("event_id", EventIds.newId().toString()).put("event_type", type)
            .put("timestamp", Instant.now().toString()).put("version", "1.0.0").put("source", "bench-server-01")
            .put("session_id", "session-" + (i % 1000)).put("player_id", "player-" + (i % 5000))
            .put("data", new JsonObject().put("weapon", "plasma_rifle").put("distance", 150.5).put("n", i))
            .put("metadata", new JsonObject().put("priority", "normal").put("ttl", "7d").put("retry_count", 0));
        producer.send(new ProducerRecord<>(topic, "session-" + (i % 1000),
            envelope.encode().getBytes(StandardCharsets.UTF_8)));
      }
    }
    System.out.printf("produced %,d events in %.1f s%n", events, (System.nanoTime() - produced) / 1e9);
    Instant end = Instant.now().plusSeconds(1);
    EnvelopeFilter filter = EnvelopeFilter.parse(new JsonObject().put("event_type", "game.match.end"), "",
        new JsonArray());
    for (int round = 1; round <= rounds; round++) {
      ReplayJob job = new ReplayJob("bench-" + round, ReplayJob.RUNNING, topic, start.minusSeconds(1), end, filter,
          new JsonObject(), null, null, null, 0, 0, 0, new JsonArray(), start, start);
      AtomicLong matched = new AtomicLong();
      ReplayScanner scanner = new ReplayScanner(job,
          () -> clients.consumer("bench-replay", null, "earliest", Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000,
              ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 << 20, ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 << 20)),
          (id, batch) -> matched.addAndGet(batch.size()), (progress, release) -> true, 1000, 1000,
          Duration.ofSeconds(30));
      long t = System.nanoTime();
      scanner.run();
      double s = (System.nanoTime() - t) / 1e9;
      System.out.printf("round %d: scanned %,d, matched %,d in %.2f s = %,.0f events/s scanned%n", round,
          scanner.progress().scanned(), matched.get(), s, scanner.progress().scanned() / s);
    }
    if (broker != null) {
      broker.close();
    }
  }
}
