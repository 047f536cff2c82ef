package com.necpgame.mesh.bench;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.config.ConfigLoader;
import com.necpgame.mesh.envelope.EventIds;
import com.necpgame.mesh.kafka.EnvelopeRecords;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Webhook deliveries per second to a local receiver: a mesh with its embedded defaults (in a temporary directory),
 * a receiver in this JVM answering 204, a webhook subscription on a 12-partition topic, then N envelopes of about
 * 256 B produced straight to Kafka as the gateway writes them (event_id and event_type headers) (while they are being produced, the mesh already routes and delivers them); the
 * rate is events received over the time from the first request to the last at the receiver, and, apart, over the time
 * after the producer finished (the backlog left in Kafka, delivered without the producer sharing the cores). Run once
 * unbatched and once with {@code enable_batching}, after an optional unmeasured warm-up (W events unbatched, then 10 W
 * batched, to subscriptions of their own). Not a test: {@code mvn -B -ntp -q exec:exec
 * -Dexec.args="-cp %classpath com.necpgame.mesh.bench.WebhookThroughputBenchmark 50000 500000 20000"} (events
 * unbatched, events batched, warm-up W); {@code -Dbench.trace=1} before {@code -cp} prints the queue and the receiver's count every second.
 */
public final class WebhookThroughputBenchmark {

  public static void main(String[] args) throws Exception {
    int unbatched = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
    int batched = args.length > 1 ? Integer.parseInt(args[1]) : 500_000;
    int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 0;
    Path dir = Files.createTempDirectory("mesh-webhook-bench");
    int port = freePort();
    Mesh mesh = Mesh.start(ConfigLoader.load(new JsonObject().put("data_dir", dir.resolve("data").toString())
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", port))
        .put("kafka", new JsonObject().put("embedded", new JsonObject().put("port", 0))), Map.of()));
    Vertx vertx = Vertx.vertx();
    Counts counts = new Counts();
    HttpServer receiver = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      counts.requests.incrementAndGet();
      counts.firstAt.compareAndSet(0, System.nanoTime());
      counts.lastAt.set(System.nanoTime());
      counts.received.addAndGet(body.getByte(0) == '[' ? count(body.toString()) : 1);
      req.response().setStatusCode(204).end();
    })).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    try {
      if (warmup > 0) { // not measured: the JIT compiles the delivery path, as it would have in a running mesh
        run(mesh, port, receiver.actualPort(), counts, "warm-up unbatched", "-warmup", false, warmup);
        run(mesh, port, receiver.actualPort(), counts, "warm-up batched", "-warmup-batched", true, warmup * 10);
      }
      run(mesh, port, receiver.actualPort(), counts, "unbatched", "", false, unbatched);
      run(mesh, port, receiver.actualPort(), counts, "batched", "-batched", true, batched);
    } finally {
      receiver.close();
      vertx.close();
      mesh.close();
    }
    System.exit(0);
  }

  /** What the receiver got. */
  private static final class Counts {
    final AtomicLong received = new AtomicLong();
    final AtomicLong requests = new AtomicLong();
    final AtomicLong firstAt = new AtomicLong();
    final AtomicLong lastAt = new AtomicLong();
  }

  /** One subscription on a topic of its own, {@code events} produced to it, and the rates it was delivered at. */
  private static void run(Mesh mesh, int port, int receiverPort, Counts counts, String label, String suffix,
      boolean batching, int events) throws Exception {
    String topic = "game.bench.webhook" + suffix;
    post(port, "/topics", new JsonObject().put("name", topic).put("partitions", 12).put("replication_factor", 1)
        .put("enable_dlq", false));
    post(port, "/subscriptions", new JsonObject().put("service_name", "bench" + suffix).put("method", "webhook")
        .put("endpoint", "http://127.0.0.1:" + receiverPort + "/hook").put("topic_pattern", topic)
        .put("enable_batching", batching).put("rate_limit_per_min", 6_000_000));
    Thread.sleep(3000); // subscriptions are re-read every delivery.refresh_ms
    counts.received.set(0);
    counts.requests.set(0);
    counts.firstAt.set(0);
    produce(mesh.context().kafka().bootstrapServers(), topic, events);
    long started = System.nanoTime();
    long receivedWhileProducing = counts.received.get();
    long lastPrint = 0;
    while (counts.received.get() < events && System.nanoTime() - started < TimeUnit.MINUTES.toNanos(10)) {
      if (System.getProperty("bench.trace") != null && System.nanoTime() - lastPrint > 1e9) {
        lastPrint = System.nanoTime();
        long queued = mesh.context().pool().query("SELECT count(*) FROM webhook_queue").execute()
            .await(10, TimeUnit.SECONDS).iterator().next().getLong(0);
        System.out.printf("  t=%.1f s queued %,d received %,d%n", (lastPrint - started) / 1e9, queued,
            counts.received.get());
      }
      Thread.sleep(5);
    }
    long received = counts.received.get();
    double seconds = (counts.lastAt.get() - counts.firstAt.get()) / 1e9;
    double draining = (counts.lastAt.get() - started) / 1e9;
    System.out.printf(Locale.ROOT, "%s: %,d events in %,d requests, %.1f s from the first to the last = %,.0f "
        + "events/s; after the producer finished, %,d in %.1f s = %,.0f events/s%n", label, received,
        counts.requests.get(), seconds, received / seconds, received - receivedWhileProducing, draining,
        (received - receivedWhileProducing) / draining);
  }

  /** The envelopes in a batch: each has one event_id (a scan, so the receiver costs the machine little). */
  private static int count(String array) {
    int n = 0;
    for (int at = array.indexOf("\"event_id\""); at >= 0; at = array.indexOf("\"event_id\"", at + 1)) {
      n++;
    }
    return n;
  }

  private static void produce(String bootstrap, String topic, int events) {
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap,
        "linger.ms", 5, "compression.type", "lz4"), new StringSerializer(), new ByteArraySerializer())) {
      String pad = "x".repeat(90);
      for (int i = 0; i < events; i++) {
        producer.send(EnvelopeRecords.record(topic, "key", new JsonObject().put("event_id", EventIds.newId().toString())
            .put("event_type", "game.bench").put("timestamp", Instant.now().toString()).put("version", "1.0.0")
            .put("source", "bench").put("data", new JsonObject().put("n", i).put("pad", pad))));
      }
    }
  }

  private static void post(int port, String path, JsonObject body) throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + port + path)).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() / 100 != 2) {
      throw new IllegalStateException(path + " answered " + response.statusCode() + ": " + response.body());
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
