package com.necpgame.mesh.testsupport;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Clients publishing to one topic over HTTP as fast as the mesh answers, each request waiting at most {@link #HANG}:
 * which event ids were acknowledged (200) and when, how every request was answered, and when 503s began and ended. A
 * connection error (the mesh was killed) makes a client pause 50 ms and try again. Each client may pause between its
 * requests, to publish at a rate the rest of a test keeps up with.
 */
public final class PublishLoad implements AutoCloseable {

  /** A request unanswered this long is a hang. */
  public static final Duration HANG = Duration.ofSeconds(30);
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final int port;
  private final String topic;
  private final long pauseMs;
  private final Set<String> acked = ConcurrentHashMap.newKeySet();
  private final java.util.Queue<Long> ackTimes = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final Map<String, Integer> outcomes = new ConcurrentHashMap<>();
  private final List<String> bad = Collections.synchronizedList(new ArrayList<>());
  private final List<long[]> unavailable = Collections.synchronizedList(new ArrayList<>());
  private final AtomicLong sent = new AtomicLong();
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean running = true;

  private PublishLoad(int port, String topic, long pauseMs) {
    this.port = port;
    this.topic = topic;
    this.pauseMs = pauseMs;
  }

  public static PublishLoad start(int port, String topic, int clients) {
    return start(port, topic, clients, 0);
  }

  /** Clients that each wait {@code pauseMs} after every answer before the next request. */
  public static PublishLoad start(int port, String topic, int clients, long pauseMs) {
    PublishLoad load = new PublishLoad(port, topic, pauseMs);
    for (int i = 0; i < clients; i++) {
      Thread t = new Thread(load::run, "publish-load-" + i);
      t.setDaemon(true);
      load.threads.add(t);
      t.start();
    }
    return load;
  }

  private void run() {
    while (running) {
      long started = System.nanoTime();
      try {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
            + "/events/publish")).timeout(HANG).header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("event_type", "game.match.end")
                .put("topic", topic).put("source", "load").put("payload", new JsonObject().put("n", sent.incrementAndGet()))
                .encode())).build(), HttpResponse.BodyHandlers.ofString());
        outcomes.merge(String.valueOf(r.statusCode()), 1, Integer::sum);
        if (r.statusCode() == 200) {
          acked.add(new JsonObject(r.body()).getString("event_id"));
          ackTimes.add(System.nanoTime());
        } else if (r.statusCode() == 503 && r.headers().firstValue("retry-after").orElse("").matches("[1-9][0-9]*")
            && r.body().contains("\"code\"")) {
          unavailable.add(new long[] {started, System.nanoTime()});
        } else {
          bad.add(r.statusCode() + " " + r.headers().map() + " " + r.body());
        }
      } catch (HttpTimeoutException e) {
        outcomes.merge("timeout", 1, Integer::sum);
        bad.add("no answer within " + HANG);
      } catch (IOException e) {
        outcomes.merge("connection error", 1, Integer::sum);
        pause(50);
      } catch (InterruptedException e) {
        return;
      }
      if (pauseMs > 0) {
        pause(pauseMs);
      }
    }
  }

  private static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Waits until {@code n} more events than now were acknowledged, failing after {@code seconds}. */
  public void awaitAcks(int n, int seconds) throws InterruptedException {
    int target = acked.size() + n;
    for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds); acked.size() < target; Thread.sleep(20)) {
      if (System.nanoTime() > end) {
        throw new AssertionError("only " + acked.size() + " of " + target + " acknowledged within " + seconds
            + " s; outcomes " + outcomes() + ", bad " + bad());
      }
    }
  }

  public Set<String> acked() {
    return Set.copyOf(acked);
  }

  /** How many events were acknowledged so far (cheap: for sampling while the load runs). */
  public int ackedCount() {
    return acked.size();
  }

  /** Milliseconds from {@code nanoTime} (a {@link System#nanoTime()}) to the first acknowledgement after it, or -1. */
  public long firstAckMillisAfter(long nanoTime) {
    return ackTimes.stream().filter(t -> t >= nanoTime).mapToLong(t -> (t - nanoTime) / 1_000_000).min().orElse(-1);
  }

  /** How requests were answered: status code, {@code timeout} or {@code connection error}, to a count. */
  public Map<String, Integer> outcomes() {
    return new TreeMap<>(outcomes);
  }

  /** Answers that are neither a 200 nor a 503 with Retry-After and an error body, and requests that hung. */
  public List<String> bad() {
    synchronized (bad) {
      return List.copyOf(bad);
    }
  }

  /** Milliseconds from the first 503 sent to the last 503 received, or 0 without any. */
  public long unavailableMillis() {
    synchronized (unavailable) {
      long first = unavailable.stream().mapToLong(a -> a[0]).min().orElse(0);
      long last = unavailable.stream().mapToLong(a -> a[1]).max().orElse(0);
      return (last - first) / 1_000_000;
    }
  }

  /** The longest time one 503 took to come back, in ms. */
  public long slowest503Millis() {
    synchronized (unavailable) {
      return unavailable.stream().mapToLong(a -> (a[1] - a[0]) / 1_000_000).max().orElse(0);
    }
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    for (Thread t : threads) {
      t.join(HANG.toMillis() + 5000);
    }
  }

  /** How often each event id occurs on {@code topic} (every partition, start to end). */
  public static Map<String, Integer> eventIds(String bootstrap, String topic) {
    Map<String, Integer> counts = new HashMap<>();
    try (var consumer = new KafkaConsumer<>(Map.<String, Object>of("bootstrap.servers", bootstrap,
        "isolation.level", "read_committed"), new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> ends = consumer.endOffsets(parts);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (parts.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("could not read " + topic + " to its end " + ends + " within 60 s");
        }
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          counts.merge(new JsonObject(new String(r.value(), StandardCharsets.UTF_8)).getString("event_id"), 1,
              Integer::sum);
        }
      }
    }
    return counts;
  }
}
