package com.necpgame.mesh.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Load generator for a running mesh (see BENCHMARKS.md and {@code bench/gateway-load.sh}). Modes:
 * <ul>
 *   <li>{@code http} — {@code POST /events/publish/batch} on {@code --connections} connections;</li>
 *   <li>{@code ws} — publish frames of {@code --batch} events on {@code --connections} sockets, each with
 *   {@code --window} frames unacknowledged; {@code --ack each} (an ack frame per event) or {@code batch} (one
 *   {@code acks} frame per publish frame);</li>
 *   <li>{@code e2e} — publishes over HTTP at {@code --rate} while one WebSocket subscriber receives every event;
 *   reports publish-to-receive latency;</li>
 *   <li>{@code raw} — the kafka-clients producer with the mesh's settings, straight to {@code --bootstrap}, values
 *   the size of the mesh's envelopes: the ceiling the gateway is measured against.</li>
 * </ul>
 * {@code --rate 0} (default) runs flat out; otherwise events are sent on a fixed schedule and latency is measured
 * from when each was due (no coordinated omission). Events are {@code --size} bytes of JSON (payload padded). Latency
 * is recorded in HdrHistogram after {@code --warmup} seconds for {@code --seconds}. With {@code --mesh-pid} the
 * mesh's resident memory is sampled every 500 ms. With {@code --keys on} every event carries an {@code
 * idempotency_key} of its own (unique per run), so the mesh claims and records each in PostgreSQL: the cost of
 * idempotent publishing, against {@code --keys off} (the default) on the same mesh. The last line is {@code RESULT
 * {json}}.
 */
public final class GatewayLoad {

  private final Map<String, String> options;
  private final String mode;
  private final URI url;
  private final String topic;
  private final int seconds;
  private final int warmup;
  private final long rate;
  private final int batch;
  private final int connections;
  private final int size;
  private final int window;
  private final String ack;
  /** Whether each event carries an idempotency_key, and the run's prefix of them (keys are never reused). */
  private final boolean keys;
  private final String keyPrefix = "load-" + java.util.UUID.randomUUID() + "-";
  private final AtomicLong keySeq = new AtomicLong();
  private final Vertx vertx = Vertx.vertx();
  /** Held for the whole run: Vert.x closes a WebSocket client (and its sockets) once it is unreachable. */
  private final WebSocketClient webSockets = vertx.createWebSocketClient(new WebSocketClientOptions()
      .setMaxMessageSize(1 << 20));
  private final Recorder latency = new Recorder(TimeUnit.SECONDS.toNanos(60), 3);
  private final AtomicLong acknowledged = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong maxRssKb = new AtomicLong();
  /** Anonymous memory only: without the files the embedded broker maps (its indexes), which count in RSS too. */
  private final AtomicLong maxAnonKb = new AtomicLong();
  private volatile boolean measuring;
  private volatile boolean running = true;

  private GatewayLoad(Map<String, String> options) {
    this.options = options;
    this.mode = options.getOrDefault("mode", "http");
    this.url = URI.create(options.getOrDefault("url", "http://127.0.0.1:8080"));
    this.topic = options.getOrDefault("topic", "game.bench.load");
    this.seconds = Integer.parseInt(options.getOrDefault("seconds", "60"));
    this.warmup = Integer.parseInt(options.getOrDefault("warmup", "10"));
    this.rate = Long.parseLong(options.getOrDefault("rate", "0"));
    this.batch = Integer.parseInt(options.getOrDefault("batch", "500"));
    this.connections = Integer.parseInt(options.getOrDefault("connections", "4"));
    this.size = Integer.parseInt(options.getOrDefault("size", "256"));
    this.window = Integer.parseInt(options.getOrDefault("window", "4"));
    this.ack = options.getOrDefault("ack", "each");
    this.keys = switch (options.getOrDefault("keys", "off")) {
      case "on" -> true;
      case "off" -> false;
      default -> throw new IllegalArgumentException("--keys on or off");
    };
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("expected --option value pairs, got " + args[i]);
      }
      options.put(args[i].substring(2), args[i + 1]);
    }
    GatewayLoad load = new GatewayLoad(options);
    try {
      load.run();
    } finally {
      load.vertx.close().await(10, TimeUnit.SECONDS);
    }
    System.exit(0);
  }

  private void run() throws Exception {
    if (options.containsKey("mesh-pid")) {
      sampleRss(Long.parseLong(options.get("mesh-pid")));
    }
    Histogram e2e = null;
    switch (mode) {
      case "http" -> startHttp();
      case "ws" -> startWebSocket();
      case "e2e" -> e2e = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
      case "raw" -> startRaw();
      default -> throw new IllegalArgumentException("--mode http, ws, e2e or raw");
    }
    Recorder received = null;
    if (e2e != null) {
      received = subscribe();
      startHttp();
    }
    Thread.sleep(TimeUnit.SECONDS.toMillis(warmup));
    latency.reset();
    if (received != null) {
      received.reset();
    }
    long startAcked = acknowledged.get();
    long startFailed = failed.get();
    measuring = true;
    long started = System.nanoTime();
    Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
    double took = (System.nanoTime() - started) / 1e9;
    Histogram acks = latency.getIntervalHistogram();
    long events = acknowledged.get() - startAcked;
    running = false;
    JsonObject result = new JsonObject().put("mode", mode).put("ack", mode.equals("ws") ? ack : null).put("rate", rate).put("batch", batch).put("keys", keys)
        .put("connections", connections).put("size", size).put("seconds", Math.round(took * 10) / 10.0)
        .put("events", events).put("failed", failed.get() - startFailed)
        .put("events_per_second", Math.round(events / took)).put("ack_ms", percentiles(acks));
    if (received != null) {
      Histogram h = received.getIntervalHistogram();
      result.put("received", h.getTotalCount()).put("e2e_ms", percentiles(h));
    }
    if (maxRssKb.get() > 0) {
      result.put("mesh_max_rss_mb", maxRssKb.get() / 1024).put("mesh_max_rss_anon_mb", maxAnonKb.get() / 1024);
    }
    System.out.printf(Locale.ROOT, "%s: %,d events in %.1f s = %,.0f events/s; ack p50 %s p99 %s ms%s%s%n", mode,
        events, took, events / took, result.getJsonObject("ack_ms").getValue("p50"),
        result.getJsonObject("ack_ms").getValue("p99"),
        received == null ? "" : "; end to end p50 " + result.getJsonObject("e2e_ms").getValue("p50") + " p99 "
            + result.getJsonObject("e2e_ms").getValue("p99") + " ms",
        maxRssKb.get() > 0 ? "; mesh RSS max " + maxRssKb.get() / 1024 + " MB (anonymous " + maxAnonKb.get() / 1024
            + " MB)" : "");
    System.out.println("RESULT " + result.encode());
  }

  private static JsonObject percentiles(Histogram h) {
    JsonObject out = new JsonObject();
    for (double p : new double[] {50, 90, 99, 99.9}) {
      out.put("p" + (p == Math.floor(p) ? String.valueOf((int) p) : String.valueOf(p)),
          Math.round(h.getValueAtPercentile(p) / 10_000.0) / 100.0);
    }
    return out.put("max", Math.round(h.getMaxValue() / 10_000.0) / 100.0);
  }

  /**
   * One publish request of about {@code size} bytes whose payload carries the time it is due ({@code t}), padded
   * with random letters so that compression does not flatter anyone.
   */
  private String event(long due) {
    String head = "{\"event_type\":\"game.bench\",\"topic\":\"" + topic + "\",\"source\":\"load\",\"player_id\":\"p"
        + (due % 1000) + "\"," + (keys ? "\"idempotency_key\":\"" + keyPrefix + keySeq.getAndIncrement() + "\"," : "")
        + "\"payload\":{\"t\":" + due + ",\"pad\":\"";
    return head + pad(size - head.length() - 3) + "\"}}";
  }

  private static final String RANDOM = randomLetters(1 << 16);
  private int padAt;

  private String pad(int length) {
    length = Math.max(0, Math.min(length, RANDOM.length() / 2));
    padAt = (padAt + 977) % (RANDOM.length() - length);
    return RANDOM.substring(padAt, padAt + length);
  }

  private static String randomLetters(int n) {
    java.util.Random random = new java.util.Random(42);
    StringBuilder out = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      out.append((char) ('a' + random.nextInt(26)));
    }
    return out.toString();
  }

  private String events(long firstDue, long nanosApart) {
    StringBuilder body = new StringBuilder(batch * (size + 1) + 16);
    for (int i = 0; i < batch; i++) {
      body.append(i == 0 ? "" : ",").append(event(firstDue + i * nanosApart));
    }
    return body.toString();
  }

  // ---- HTTP batch ----

  private void startHttp() {
    HttpClientAgent http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost(url.getHost())
        .setDefaultPort(url.getPort()).setKeepAlive(true), new PoolOptions().setHttp1MaxSize(connections));
    if (rate > 0) {
      schedule((due, apart) -> postBatch(http, due, apart));
    } else {
      for (int i = 0; i < connections; i++) {
        vertx.runOnContext(v -> httpLoop(http));
      }
    }
  }

  private void httpLoop(HttpClientAgent http) {
    if (running) {
      postBatch(http, System.nanoTime(), 0).onComplete(done -> httpLoop(http));
    }
  }

  private Future<Void> postBatch(HttpClientAgent http, long due, long apart) {
    Buffer body = Buffer.buffer("{\"events\":[" + events(due, apart) + "]}");
    return http.request(HttpMethod.POST, "/events/publish/batch")
        .compose(req -> req.putHeader("content-type", "application/json").send(body))
        .compose(resp -> resp.body().map(b -> {
          int ok = resp.statusCode() == 200 ? batch
              : resp.statusCode() == 207 ? new JsonObject(b).getInteger("published") : 0;
          record(due, apart, ok);
          return (Void) null;
        }))
        .onFailure(e -> failed.addAndGet(batch));
  }

  private void record(long due, long apart, int ok) {
    long now = System.nanoTime();
    acknowledged.addAndGet(ok);
    failed.addAndGet(batch - ok);
    for (int i = 0; i < ok; i++) {
      latency.recordValue(Math.max(0, now - (due + i * apart)));
    }
  }

  /** Fixed rate: every millisecond, sends the batches that are due, each event due {@code 1/rate} s after the last. */
  private void schedule(java.util.function.BiConsumer<Long, Long> send) {
    long start = System.nanoTime();
    long apart = 1_000_000_000L / rate;
    long[] sent = {0};
    vertx.setPeriodic(1, id -> {
      if (!running) {
        vertx.cancelTimer(id);
        return;
      }
      long due = (System.nanoTime() - start) * rate / 1_000_000_000L;
      while (sent[0] + batch <= due + batch && sent[0] <= due) {
        send.accept(start + sent[0] * apart, apart);
        sent[0] += batch;
      }
    });
  }

  // ---- WebSocket publish ----

  private void startWebSocket() throws Exception {
    for (int i = 0; i < connections; i++) {
      WebSocket ws = connect().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      Map<Long, long[]> inFlight = new HashMap<>(); // ref -> {sent at, acks missing}
      long[] next = {0};
      Runnable sendFrame = () -> {
        long ref = next[0]++;
        long now = System.nanoTime();
        inFlight.put(ref, new long[] {now, batch});
        ws.writeTextMessage("{\"op\":\"publish\",\"ref\":" + ref + ",\"ack\":\"" + ack + "\",\"events\":["
            + events(now, 0) + "]}");
      };
      ws.textMessageHandler(text -> {
        long ref = numberAfter(text, "\"ref\":");
        long[] frame = inFlight.get(ref);
        if (frame == null) {
          return;
        }
        long now = System.nanoTime();
        if (text.contains("\"type\":\"acks\"")) {
          int ok = (int) numberAfter(text, "{\"published\":");
          acknowledged.addAndGet(ok);
          failed.addAndGet(batch - ok);
          latency.recordValueWithCount(now - frame[0], Math.max(1, ok));
          frame[1] = 1;
        } else if (text.contains("\"type\":\"ack\"")) {
          acknowledged.incrementAndGet();
          latency.recordValue(now - frame[0]);
        } else {
          failed.incrementAndGet();
        }
        if (--frame[1] == 0) {
          inFlight.remove(ref);
          if (running) {
            sendFrame.run();
          }
        }
      });
      for (int w = 0; w < window; w++) {
        sendFrame.run();
      }
    }
  }

  private Future<WebSocket> connect() {
    return webSockets.connect(new WebSocketConnectOptions().setHost(url.getHost()).setPort(url.getPort())
        .setURI("/ws"));
  }

  private static long numberAfter(String text, String key) {
    int i = text.indexOf(key);
    if (i < 0) {
      return -1;
    }
    long n = 0;
    for (i += key.length(); i < text.length() && Character.isDigit(text.charAt(i)); i++) {
      n = n * 10 + (text.charAt(i) - '0');
    }
    return n;
  }

  // ---- end to end ----

  /** A WebSocket subscriber from the latest offsets; records receive time minus the {@code t} each event carries. */
  private Recorder subscribe() throws Exception {
    Recorder received = new Recorder(TimeUnit.SECONDS.toNanos(60), 3);
    WebSocket ws = connect().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    CompletableFuture<Void> subscribed = new CompletableFuture<>();
    ws.textMessageHandler(text -> {
      long t = numberAfter(text, "\"t\":");
      if (text.startsWith("{\"type\":\"event\"") && t > 0) {
        received.recordValue(Math.max(0, System.nanoTime() - t));
      } else if (text.contains("\"subscribed\"")) {
        subscribed.complete(null);
      }
    });
    ws.writeTextMessage(new JsonObject().put("op", "subscribe").put("topics", new io.vertx.core.json.JsonArray()
        .add(topic)).encode());
    subscribed.get(30, TimeUnit.SECONDS);
    return received;
  }

  // ---- raw kafka-clients ----

  private void startRaw() throws Exception {
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", options.getOrDefault("bootstrap", "127.0.0.1:9092"));
    props.put("acks", "all");
    props.put("enable.idempotence", true);
    props.put("linger.ms", 5);
    props.put("batch.size", 131072);
    props.put("compression.type", "lz4");
    KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(),
        new ByteArraySerializer());
    byte[][] values = new byte[1024][];
    for (int i = 0; i < values.length; i++) {
      values[i] = envelope(i);
    }
    Semaphore window = new Semaphore(20_000);
    Thread sender = new Thread(() -> {
      try (producer) {
        for (long i = 0; running; i++) {
          window.acquire();
          long sent = System.nanoTime();
          producer.send(new ProducerRecord<>(topic, null, values[(int) (i % values.length)]), (md, e) -> {
            window.release();
            if (e == null) {
              acknowledged.incrementAndGet();
              latency.recordValue(System.nanoTime() - sent);
            } else {
              failed.incrementAndGet();
            }
          });
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "raw-producer");
    sender.setDaemon(true);
    sender.start();
  }

  /** An envelope like the one the mesh makes of a publish request from {@link #event}: same fields, same size. */
  private byte[] envelope(long n) {
    JsonObject request = new JsonObject(event(System.nanoTime()));
    return new JsonObject().put("event_id", com.necpgame.mesh.envelope.EventIds.newId().toString())
        .put("event_type", request.getString("event_type")).put("timestamp", java.time.Instant.now().toString())
        .put("version", "1.0.0").put("source", request.getString("source")).put("data", request.getJsonObject("payload"))
        .put("metadata", new JsonObject().put("priority", "normal").put("ttl", "7d").put("retry_count", 0))
        .put("player_id", "p" + n).encode().getBytes(StandardCharsets.UTF_8);
  }

  private void sampleRss(long pid) {
    Path status = Path.of("/proc", String.valueOf(pid), "status");
    Thread sampler = new Thread(() -> {
      while (running) {
        try {
          for (String line : Files.readAllLines(status)) {
            if (line.startsWith("VmRSS:")) {
              maxRssKb.accumulateAndGet(Long.parseLong(line.replaceAll("\\D", "")), Math::max);
            } else if (line.startsWith("RssAnon:")) {
              maxAnonKb.accumulateAndGet(Long.parseLong(line.replaceAll("\\D", "")), Math::max);
            }
          }
          Thread.sleep(500);
        } catch (Exception e) {
          return;
        }
      }
    }, "rss-sampler");
    sampler.setDaemon(true);
    sampler.start();
  }
}
