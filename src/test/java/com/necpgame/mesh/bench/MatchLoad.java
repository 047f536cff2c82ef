package com.necpgame.mesh.bench;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Concurrent matches with the local provider, in one JVM: the mesh (matches, robots, robot workers, gateway; the
 * event store and delivery off) on the embedded broker, and N scripted players over REST who answer as soon as their
 * round starts and vote as soon as voting starts. The matches overlap, so they run at once. Reports
 * robot assignment latency (round.robots_needed to round.robots_assigned, envelope timestamps), rounds that missed a
 * deadline (a phase closed at its deadline because a participant had not answered) and the wall time.
 * Matches are created as fast as the gateway takes them, or evenly over {@code ramp_ms}; {@code warmup} matches run
 * first, unmeasured, so that the JIT has compiled the match path.
 * <pre>java -cp ... MatchLoad [matches=1000] [round_ms=20000] [think_ms=2000] [ramp_ms=0] [warmup=0]</pre>
 */
public final class MatchLoad {

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();
  /** Requests in flight at most (the JDK client opens a connection per concurrent request). */
  private static final Semaphore IN_FLIGHT = new Semaphore(64);
  private static final java.util.concurrent.atomic.AtomicReference<String> FIRST_ERROR =
      new java.util.concurrent.atomic.AtomicReference<>();

  public static void main(String[] args) throws Exception {
    int matches = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    long phaseMs = args.length > 1 ? Long.parseLong(args[1]) : 20_000;
    long thinkMs = args.length > 2 ? Long.parseLong(args[2]) : 2_000;
    long rampMs = args.length > 3 ? Long.parseLong(args[3]) : 0;
    int warmup = args.length > 4 ? Integer.parseInt(args[4]) : 0;
    String prefix = TestKafka.unique("bench");
    Map<String, String> topics = new HashMap<>();
    for (String t : List.of("match-events", "robot-responses", "robot-orchestration-events", "robot-commands",
        "match-state")) {
      topics.put(t, TestKafka.createTopic(t, 6));
    }
    topics.put("robot-pool-state", TestKafka.createTopic("robot-pool-state", 1));
    JsonObject extra = new JsonObject()
        .put("kafka", new JsonObject().put("consumer", new JsonObject().put("group_prefix", prefix)))
        .put("match", new JsonObject().put("round_ms", phaseMs).put("voting_ms", phaseMs)
            .put("assign_timeout_ms", phaseMs).put("check_ms", 100)
            .put("topics", new JsonObject().put("events", topics.get("match-events"))
                .put("responses", topics.get("robot-responses"))
                .put("orchestration", topics.get("robot-orchestration-events")).put("state", topics.get("match-state"))))
        .put("robots", new JsonObject().put("max_total", matches * 9 + 100).put("check_ms", 200)
            .put("topics", new JsonObject().put("commands", topics.get("robot-commands"))
                .put("pool_state", topics.get("robot-pool-state"))))
        .put("verticles", new JsonObject().put("store", new JsonObject().put("enabled", false))
            .put("delivery", new JsonObject().put("enabled", false))
            .put("replay", new JsonObject().put("enabled", false))
            .put("matches", new JsonObject().put("enabled", true))
            .put("robots", new JsonObject().put("enabled", true))
            .put("robot-workers", new JsonObject().put("enabled", true)));
    Path dir = Files.createTempDirectory("match-load");
    int port = TestMesh.freePort();
    try (Mesh mesh = Mesh.start(TestMesh.config(dir, port, extra))) {
      String base = "http://127.0.0.1:" + port;
      Map<String, String> tokens = new ConcurrentHashMap<>();
      AtomicInteger completed = new AtomicInteger();
      Map<Integer, Integer> refused = new HashMap<>();
      Thread player = new Thread(() -> play(base, topics.get("match-events"), tokens, completed, refused, thinkMs));
      player.setDaemon(true);
      player.start();
      Thread.sleep(3000); // the player's consumer is assigned
      if (warmup > 0) { // not measured: the JIT compiles the match path, as it would have in a running mesh
        create(base, "warmup-", warmup, rampMs * warmup / matches, tokens, refused);
        await(completed, warmup, phaseMs);
        System.out.printf("warm-up: %d of %d matches completed%n", completed.get(), warmup);
        completed.set(0);
        refused.clear();
      }
      Set<String> warm = Set.copyOf(tokens.keySet());
      long started = System.nanoTime();
      create(base, "player-", matches, rampMs, tokens, refused);
      long createdMs = (System.nanoTime() - started) / 1_000_000;
      await(completed, matches, phaseMs);
      long wallMs = (System.nanoTime() - started) / 1_000_000;
      Set<String> measured = new HashSet<>(tokens.keySet());
      measured.removeAll(warm);
      report(matches, phaseMs, createdMs, wallMs, completed.get(), new JsonObject(new HashMap<>(refused).entrySet()
          .stream().collect(java.util.stream.Collectors.toMap(e -> String.valueOf(e.getKey()), Map.Entry::getValue))),
          topics, measured);
    }
    System.exit(0); // the test broker's and database's threads would keep the JVM up
  }

  /** Creates {@code n} matches, evenly over {@code rampMs} (or as fast as the gateway takes them). */
  private static void create(String base, String prefix, int n, long rampMs, Map<String, String> tokens,
      Map<Integer, Integer> refused) throws InterruptedException {
    long started = System.nanoTime();
    for (int i = 0; i < n; i++) {
      long due = started + rampMs * 1_000_000L * i / n;
      if (System.nanoTime() < due) {
        Thread.sleep((due - System.nanoTime()) / 1_000_000);
      }
      IN_FLIGHT.acquire();
      HTTP.sendAsync(post(base + "/matches", null, new JsonObject().put("player_id", prefix + i)),
          HttpResponse.BodyHandlers.ofString()).whenComplete((r, e) -> {
            IN_FLIGHT.release();
            if (e != null) {
              FIRST_ERROR.compareAndSet(null, e.toString());
            }
            if (e == null && r.statusCode() == 201) {
              JsonObject b = new JsonObject(r.body());
              tokens.put(b.getString("match_id"), b.getString("token"));
            } else {
              synchronized (refused) {
                refused.merge(e != null ? -1 : r.statusCode(), 1, Integer::sum);
              }
            }
          });
    }
  }

  private static void await(AtomicInteger completed, int n, long phaseMs) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 3 * (3 * phaseMs + phaseMs) + 180_000;
    while (completed.get() < n && System.currentTimeMillis() < deadline) {
      Thread.sleep(200);
    }
  }

  private static HttpRequest post(String url, String token, JsonObject body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()));
    if (token != null) {
      b.header("x-match-token", token);
    }
    return b.build();
  }

  /** The scripted players: answer on round.started, vote for another letter on round.voting_started. */
  private static void play(String base, String topic, Map<String, String> tokens, AtomicInteger completed,
      Map<Integer, Integer> refused, long thinkMs) {
    java.util.concurrent.ScheduledExecutorService later = java.util.concurrent.Executors.newScheduledThreadPool(2);
    try (KafkaConsumer<String, byte[]> c = TestKafka.clients(TestKafka.config(new JsonObject()))
        .consumer("match-load", null, "latest")) {
      List<TopicPartition> parts = c.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition()))
          .toList();
      c.assign(parts);
      c.seekToEnd(parts);
      parts.forEach(c::position);
      while (true) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(100))) {
          JsonObject e = new JsonObject(new String(r.value(), StandardCharsets.UTF_8));
          JsonObject d = e.getJsonObject("data");
          String id = d.getString("match_id");
          switch (e.getString("event_type")) {
            case "round.started" -> later.schedule(() -> send(() -> post(base + "/matches/" + id + "/responses",
                tokens.get(id), new JsonObject().put("round", d.getInteger("round"))
                    .put("text", "eh, whatever comes to mind first")), refused, tokens, id, later, 0), thinkMs,
                java.util.concurrent.TimeUnit.MILLISECONDS);
            case "round.voting_started" -> {
              List<String> robots = new ArrayList<>();
              d.getJsonArray("robots").forEach(o -> robots.add(((JsonObject) o).getString("identity")));
              if (!robots.isEmpty()) {
                later.schedule(() -> send(() -> post(base + "/matches/" + id + "/votes", tokens.get(id),
                    new JsonObject().put("round", d.getInteger("round")).put("identity", robots.get(0))), refused, tokens,
                    id, later, 0), thinkMs, java.util.concurrent.TimeUnit.MILLISECONDS);
              }
            }
            case "match.completed" -> completed.incrementAndGet();
            default -> { }
          }
        }
      }
    }
  }

  /** Sends once the match's token is known (its creation's answer may still be on its way). */
  private static void send(java.util.function.Supplier<HttpRequest> request, Map<Integer, Integer> refused,
      Map<String, String> tokens, String id, java.util.concurrent.ScheduledExecutorService later, int tries) {
    if (!tokens.containsKey(id) && tries < 200) {
      later.schedule(() -> send(request, refused, tokens, id, later, tries + 1), 50,
          java.util.concurrent.TimeUnit.MILLISECONDS);
      return;
    }
    IN_FLIGHT.acquireUninterruptibly();
    HTTP.sendAsync(request.get(), HttpResponse.BodyHandlers.discarding()).whenComplete((r, e) -> {
      IN_FLIGHT.release();
      if (e != null) {
        FIRST_ERROR.compareAndSet(null, e.toString());
      }
      if (e != null || r.statusCode() != 202) {
        synchronized (refused) {
          refused.merge(e != null ? -1 : r.statusCode(), 1, Integer::sum);
        }
      }
    });
  }

  private static void report(int matches, long phaseMs, long createdMs, long wallMs, int completed, JsonObject refused,
      Map<String, String> topics, Set<String> measured) {
    Map<String, Long> needed = new HashMap<>();
    Histogram assign = new Histogram(3_600_000L, 3);
    int rounds = 0;
    int missedResponses = 0;
    int missedVotes = 0;
    int lateClose = 0;
    Map<String, Long> respondingDeadline = new HashMap<>();
    Map<String, Long> votingDeadline = new HashMap<>();
    java.util.TreeMap<Long, Integer> activeDelta = new java.util.TreeMap<>();
    Map<String, Long> neededSent = new HashMap<>();
    Histogram toSend = new Histogram(3_600_000L, 3);
    Histogram sentToAssigned = new Histogram(3_600_000L, 3);
    for (ConsumerRecord<String, byte[]> r : TestKafka.records(topics.get("match-events"))) {
      JsonObject e = new JsonObject(new String(r.value(), StandardCharsets.UTF_8));
      JsonObject d = e.getJsonObject("data");
      if (!measured.contains(d.getString("match_id"))) {
        continue;
      }
      String key = d.getString("match_id") + ":" + d.getInteger("round");
      long at = Instant.parse(e.getString("timestamp")).toEpochMilli();
      switch (e.getString("event_type")) {
        case "round.robots_needed" -> {
          needed.put(key, at);
          neededSent.put(key, r.timestamp());
          toSend.recordValue(Math.max(0, r.timestamp() - at));
        }
        case "match.created" -> activeDelta.merge(at, 1, Integer::sum);
        case "match.completed" -> activeDelta.merge(at, -1, Integer::sum);
        case "round.started" -> respondingDeadline.put(key, d.getLong("deadline_ms"));
        case "round.voting_started" -> {
          votingDeadline.put(key, d.getLong("deadline_ms"));
          if (d.getJsonArray("responses").stream().anyMatch(o -> ((JsonObject) o).getValue("text") == null)) {
            missedResponses++;
          }
          if (at >= respondingDeadline.getOrDefault(key, Long.MAX_VALUE)) {
            lateClose++;
          }
        }
        case "round.completed" -> {
          rounds++;
          if (d.getJsonArray("votes").size() < d.getJsonObject("identities").size()) {
            missedVotes++;
          }
          if (at >= votingDeadline.getOrDefault(key, Long.MAX_VALUE)) {
            lateClose++;
          }
        }
        default -> { }
      }
    }
    for (JsonObject e : TestKafka.envelopes(topics.get("robot-orchestration-events"))) {
      JsonObject d = e.getJsonObject("data");
      String key = d.getString("match_id") + ":" + d.getInteger("round");
      Long from = needed.get(key);
      if ("round.robots_assigned".equals(e.getString("event_type")) && from != null) {
        long at = Instant.parse(e.getString("timestamp")).toEpochMilli();
        assign.recordValue(Math.max(0, at - from));
        sentToAssigned.recordValue(Math.max(0, at - neededSent.get(key)));
      }
    }
    int active = 0;
    int peak = 0;
    for (int delta : activeDelta.values()) {
      active += delta;
      peak = Math.max(peak, active);
    }
    JsonObject result = new JsonObject().put("peak_concurrent_matches", peak).put("matches", matches).put("phase_ms", phaseMs)
        .put("created_in_ms", createdMs).put("wall_ms", wallMs).put("completed", completed)
        .put("refused_requests", refused).put("first_error", FIRST_ERROR.get()).put("rounds", rounds).put("rounds_missing_a_response", missedResponses)
        .put("rounds_missing_a_vote", missedVotes).put("phases_closed_by_deadline", lateClose)
        .put("assign_ms", new JsonObject().put("count", assign.getTotalCount())
            .put("p50", assign.getValueAtPercentile(50)).put("p99", assign.getValueAtPercentile(99))
            .put("max", assign.getMaxValue()))
        .put("of_which_until_sent_ms", percentiles(toSend))
        .put("of_which_sent_to_assigned_ms", percentiles(sentToAssigned));
    System.out.println("RESULT " + result.encode());
  }

  private static JsonObject percentiles(Histogram h) {
    return new JsonObject().put("p50", h.getValueAtPercentile(50)).put("p99", h.getValueAtPercentile(99))
        .put("max", h.getMaxValue());
  }
}
