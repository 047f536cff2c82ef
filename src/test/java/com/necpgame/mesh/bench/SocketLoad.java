package com.necpgame.mesh.bench;

import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Socket fan-out load generator for a running mesh (BENCHMARKS.md "Socket fan-out", {@code bench/socket-load.sh}).
 * Opens many WebSocket clients on a few event loops, subscribes each to its personal channel and/or a shared topic,
 * publishes over HTTP batch on a fixed schedule and reports what issue 17 asks: connections held, the mesh's RSS idle
 * and under load, deliveries/s, publish-to-receive latency (from when each event was due, so no coordinated
 * omission), the mesh's CPU-seconds per 100,000 deliveries, events lost and duplicated per socket, and for the
 * {@code resume} scenario how long clients that were away take to catch up. {@link #HELP} lists the options; the last
 * line printed is {@code RESULT {json}}.
 */
public final class SocketLoad {

  static final String HELP = """
      SocketLoad: WebSocket fan-out load against a running mesh (bench/socket-load.sh starts one).
        --url URL                 the mesh (default http://127.0.0.1:8080)
        --scenario S              shared | personal | resume | idle (default shared)
                                  shared:   every socket receives every event published to the shared topic
                                  personal: events addressed to random players; each reaches its player's socket
                                  resume:   as shared (or --channels), and --resume-clients sockets close for
                                            --away seconds while events flow, then resume from their offsets
                                  idle:     open and subscribe the sockets, publish nothing, hold them --seconds
        --channels C              shared | personal | both (default: both for personal, shared otherwise).
                                  shared works against every mesh; personal and both need the issue-17 engine
                                  (a "key" channel, several subscriptions per socket): an older mesh refuses or
                                  ignores the key, which shows as subscribe errors or misdelivered events
        --sockets N               WebSocket clients (default 1000)
        --shared-rate R           events/s published to the shared topic (default 100; 0 in personal and idle)
        --personal-rate R         events/s addressed to random players (default 2000 in personal, else 0)
        --shared-topic T          default bench.fanout.shared    (must exist: POST /topics)
        --personal-topic T        default bench.fanout.personal  (must exist)
        --size B                  bytes per published event, padded with random letters (default 256)
        --tick-ms M               the publisher sends every event due so far every M ms (default 5; HTTP batches
                                  of at most 1000 on --connections connections, default 4)
        --publish P               coalesced (default): at most --connections requests in flight; events due
                                  while all are busy go together in the next request when one is answered.
                                  per-tick: every tick sends its own requests whatever is in flight (they
                                  queue for a connection; the generator before 2026-12-06)
        --warmup S                seconds of load before measuring (default 5)
        --seconds S               seconds measured (default 30)
        --drain S                 after publishing stops, seconds to wait for every socket to catch up (default 15)
        --resume-clients K        resume: sockets that go away (default 1000, at most --sockets)
        --away T                  resume: seconds they stay away while events flow (default 10)
        --connect-concurrency C   WebSocket upgrades in flight while connecting (default 256)
        --loops L                 event loops the sockets share (default: processors)
        --source-addresses A      loopback source addresses 127.0.0.1..127.0.0.A the sockets are spread over
                                  (default: enough that no address needs more than the ephemeral port range
                                  minus 2,000, i.e. 2 past ~26,000 sockets)
        --api-key K               sent as X-API-Key on the sockets and the publishes (default none: anonymous)
        --progress 1              print a line a second while publishing: deliveries, publish requests in
                                  flight, and p50/max of due->received and due->acknowledged of that second
        --mesh-pid P              sample the mesh's RSS, threads and file descriptors from /proc/P/status and
                                  its CPU time from /proc/P/stat
      The last line is RESULT {json}.
      """;

  private static final Set<String> OPTIONS = Set.of("url", "scenario", "channels", "sockets", "shared-rate",
      "personal-rate", "shared-topic", "personal-topic", "size", "tick-ms", "connections", "warmup", "seconds",
      "drain", "resume-clients", "away", "connect-concurrency", "loops", "source-addresses", "api-key", "mesh-pid", "progress", "publish");
  private static final long MAX_LATENCY = TimeUnit.SECONDS.toNanos(120);
  private static final int MAX_BATCH = 1000;

  private final String scenario;
  private final URI url;
  private final boolean shared;
  private final boolean personal;
  private final int sockets;
  private final long sharedRate;
  private final long personalRate;
  private final String sharedTopic;
  private final String personalTopic;
  private final int size;
  private final int tickMs;
  private final int connections;
  private final int warmup;
  private final int seconds;
  private final int drain;
  private final int resumeClients;
  private final int away;
  private final int connectConcurrency;
  private final int loops;
  private final int sourceAddresses;
  private final String apiKey;
  private final MeshSampler mesh;
  private final boolean progress;
  private final boolean coalesce;

  private final Vertx vertx;
  private final List<Context> contexts = new ArrayList<>();
  /** One client per source address, held for the whole run (Vert.x closes an unreachable client's sockets). */
  private final List<WebSocketClient> webSockets = new ArrayList<>();
  private final Client[] clients;
  private final Recorder latency = new Recorder(MAX_LATENCY, 3);
  private final Recorder resumedLatency = new Recorder(MAX_LATENCY, 3);
  /** Due to the mesh's answer to the publish request, per event in the measured window: the publish side alone. */
  private final Recorder ackLatency = new Recorder(MAX_LATENCY, 3);
  /** Per second (--progress): due to received, and due to acknowledged, of whatever arrived in that second. */
  private final Recorder secondLatency = new Recorder(MAX_LATENCY, 3);
  private final Recorder secondAckLatency = new Recorder(MAX_LATENCY, 3);
  /** Per second (--progress): a publish request's time on its connection, from sent to answered. */
  private final Recorder secondService = new Recorder(MAX_LATENCY, 3);
  private final LongAdder deliveries = new LongAdder();
  private final AtomicLong connectFailures = new AtomicLong();
  private final AtomicLong subscribeErrors = new AtomicLong();
  private final Map<String, LongAdder> problems = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> closedByMesh = new ConcurrentHashMap<>();
  /** Events the mesh acknowledged (published). */
  private final AtomicLong sharedPublished = new AtomicLong();
  private final AtomicLong personalPublished = new AtomicLong();
  private final AtomicLong publishFailed = new AtomicLong();
  private final AtomicInteger requestsInFlight = new AtomicInteger();
  /** Per partition of the shared topic, the highest offset the mesh acknowledged (-1: none). */
  private final AtomicLongArray sharedAcked = new AtomicLongArray(4096);
  /** Per player (socket index), the personal events the mesh acknowledged. */
  private final AtomicIntegerArray personalAcked;
  private int[] players = new int[0];
  /**
   * Latency is recorded for the events due in [from, to): the measured window, whenever they arrive (those that come
   * during the drain too, so a mesh that falls behind is charged for all of its lag).
   */
  private volatile long measureFrom = Long.MAX_VALUE;
  private volatile long measureTo = Long.MAX_VALUE;
  private volatile boolean publishing = true;
  /** Events due and not sent yet (publisher side), as of the last tick. */
  private final AtomicLong unsent = new AtomicLong();
  /** Called on the publisher's context when a request is answered: the next one may go. */
  private volatile Runnable afterPublish = () -> { };
  private volatile boolean stopping;

  private SocketLoad(Map<String, String> o) {
    scenario = o.getOrDefault("scenario", "shared");
    if (!Set.of("shared", "personal", "resume", "idle").contains(scenario)) {
      throw new IllegalArgumentException("--scenario shared, personal, resume or idle");
    }
    String channels = o.getOrDefault("channels", scenario.equals("personal") ? "both" : "shared");
    if (!Set.of("shared", "personal", "both").contains(channels)) {
      throw new IllegalArgumentException("--channels shared, personal or both");
    }
    shared = !channels.equals("personal");
    personal = !channels.equals("shared");
    url = URI.create(o.getOrDefault("url", "http://127.0.0.1:8080"));
    sockets = intOption(o, "sockets", 1000);
    boolean quiet = scenario.equals("idle");
    sharedRate = !shared || quiet ? 0 : intOption(o, "shared-rate", scenario.equals("personal") ? 0 : 100);
    personalRate = !personal || quiet ? 0 : intOption(o, "personal-rate", scenario.equals("personal") ? 2000 : 0);
    sharedTopic = o.getOrDefault("shared-topic", "bench.fanout.shared");
    personalTopic = o.getOrDefault("personal-topic", "bench.fanout.personal");
    size = intOption(o, "size", 256);
    tickMs = Math.max(1, intOption(o, "tick-ms", 5));
    connections = intOption(o, "connections", 4);
    warmup = intOption(o, "warmup", 5);
    seconds = intOption(o, "seconds", 30);
    drain = intOption(o, "drain", 15);
    resumeClients = scenario.equals("resume") ? Math.min(sockets, intOption(o, "resume-clients", 1000)) : 0;
    away = intOption(o, "away", 10);
    connectConcurrency = Math.max(1, intOption(o, "connect-concurrency", 256));
    loops = Math.max(1, intOption(o, "loops", Runtime.getRuntime().availableProcessors()));
    int perAddress = Math.max(1000, ephemeralPorts() - 2000);
    sourceAddresses = Math.max(1, intOption(o, "source-addresses", (sockets + perAddress - 1) / perAddress));
    apiKey = o.get("api-key");
    mesh = o.containsKey("mesh-pid") ? new MeshSampler(Long.parseLong(o.get("mesh-pid"))) : null;
    if (scenario.equals("resume") && seconds < away + 2) {
      throw new IllegalArgumentException("--seconds must exceed --away by 2 or more");
    }
    personalAcked = new AtomicIntegerArray(sockets);
    for (int p = 0; p < sharedAcked.length(); p++) {
      sharedAcked.set(p, -1);
    }
    // On a loaded machine a starved event loop is common and its stack says nothing: warn past 5 s, trace past 30 s.
    // Linux epoll where it loads, as the mesh: the generator shares the cores with it, the less it takes the better.
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops).setPreferNativeTransport(true)
        .setMaxEventLoopExecuteTime(5).setMaxEventLoopExecuteTimeUnit(TimeUnit.SECONDS)
        .setWarningExceptionTime(30).setWarningExceptionTimeUnit(TimeUnit.SECONDS));
    clients = new Client[sockets];
    progress = o.containsKey("progress") && !o.get("progress").equals("0");
    String publish = o.getOrDefault("publish", "coalesced");
    if (!Set.of("coalesced", "per-tick").contains(publish)) {
      throw new IllegalArgumentException("--publish coalesced or per-tick");
    }
    coalesce = publish.equals("coalesced");
  }

  private static int intOption(Map<String, String> o, String name, int otherwise) {
    return o.containsKey(name) ? Integer.parseInt(o.get(name)) : otherwise;
  }

  /** Size of the range the kernel picks client ports from. */
  private static int ephemeralPorts() {
    int[] range = TestMesh.ephemeralRange();
    return range == null ? 28_000 : range[1] - range[0] + 1;
  }

  public static void main(String[] args) throws Exception {
    if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
      System.out.print(HELP);
      return;
    }
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      String name = args[i].startsWith("--") ? args[i].substring(2) : "";
      if (!OPTIONS.contains(name) || i + 1 >= args.length) {
        System.err.print("unknown option or missing value: " + args[i] + "\n" + HELP);
        System.exit(2);
      }
      options.put(name, args[i + 1]);
    }
    SocketLoad load = new SocketLoad(options);
    try {
      load.run();
    } finally {
      load.stopping = true;
      load.vertx.close().await(20, TimeUnit.SECONDS);
    }
    System.exit(0);
  }

  // ---- the run ----

  private void run() throws Exception {
    JsonObject result = new JsonObject().put("scenario", scenario)
        .put("channels", shared && personal ? "both" : shared ? "shared" : "personal").put("sockets", sockets)
        .put("shared_rate", sharedRate).put("personal_rate", personalRate).put("size", size).put("loops", loops)
        .put("source_addresses", sourceAddresses).put("load_average_before", loadAverage());
    if (mesh != null) {
      mesh.start();
      result.put("mesh_before", mesh.now());
    }
    deployContexts();
    for (int a = 1; a <= sourceAddresses; a++) {
      webSockets.add(vertx.createWebSocketClient(new WebSocketClientOptions().setMaxMessageSize(1 << 20)
          .setMaxConnections(sockets).setConnectTimeout(30_000).setLocalAddress("127.0.0." + a)));
    }
    for (int i = 0; i < sockets; i++) {
      clients[i] = new Client(i, contexts.get(i % contexts.size()), webSockets.get(i % webSockets.size()));
    }
    long connectStart = System.nanoTime();
    connectAll(Arrays.asList(clients));
    double connectSeconds = (System.nanoTime() - connectStart) / 1e9;
    players = Stream.of(clients).filter(c -> c.subscribed).mapToInt(c -> c.index).toArray();
    System.out.printf(Locale.ROOT, "%,d of %,d sockets subscribed in %.1f s (%,d connect failures, %,d subscribe "
        + "errors)%s%n", players.length, sockets, connectSeconds, connectFailures.get(), subscribeErrors.get(),
        problems.isEmpty() ? "" : "; " + problems.keySet().stream().limit(3).toList());
    result.put("subscribed", players.length).put("connect_seconds", round(connectSeconds))
        .put("connect_failures", connectFailures.get()).put("subscribe_errors", subscribeErrors.get());
    long idleTicks = mesh == null ? 0 : mesh.cpuTicks();
    Thread.sleep(2000);
    if (mesh != null) {
      result.put("mesh_idle", mesh.now().put("cpu_share",
          round((mesh.cpuTicks() - idleTicks) / (double) mesh.ticksPerSecond / 2)));
    }
    if (scenario.equals("idle")) {
      if (mesh != null) {
        mesh.resetMax();
      }
      Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
      result.put("held", held()).put("closed_by_mesh", counts(closedByMesh));
      if (mesh != null) {
        JsonObject end = mesh.now();
        long grown = end.getLong("rss_mb", 0L) - result.getJsonObject("mesh_before").getLong("rss_mb", 0L);
        result.put("mesh_idle_end", end).put("mesh_max", mesh.max())
            .put("mesh_rss_kb_per_socket", players.length == 0 ? null : grown * 1024 / players.length);
      }
      finish(result);
      return;
    }
    if (players.length == 0) {
      throw new IllegalStateException("no socket subscribed: " + problems.keySet());
    }
    HttpClientAgent http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost(url.getHost())
        .setDefaultPort(url.getPort()).setKeepAlive(true), new PoolOptions().setHttp1MaxSize(connections));
    PublishSchedule schedule = new PublishSchedule(connections, coalesce, MAX_BATCH);
    if (sharedRate > 0) {
      schedule.add(sharedRate, false);
    }
    if (personalRate > 0) {
      schedule.add(personalRate, true);
    }
    startPublishing(http, schedule);
    if (progress) {
      startProgress();
    }
    Thread.sleep(TimeUnit.SECONDS.toMillis(warmup));
    long cpuStart = mesh == null ? 0 : mesh.cpuTicks();
    long delivered = deliveries.sum();
    long started = System.nanoTime();
    long loadCpuStart = loadCpuNanos();
    if (mesh != null) {
      mesh.resetMax();
    }
    measureFrom = started;
    List<Client> away = scenario.equals("resume") ? resume() : List.of();
    Thread.sleep(Math.max(0, TimeUnit.SECONDS.toMillis(seconds) - (System.nanoTime() - started) / 1_000_000));
    measureTo = System.nanoTime();
    double took = (measureTo - started) / 1e9;
    long measured = deliveries.sum() - delivered;
    long cpuTicks = mesh == null ? 0 : mesh.cpuTicks() - cpuStart;
    double loadCpu = (loadCpuNanos() - loadCpuStart) / 1e9;
    publishing = false;
    result.put("seconds", round(took)).put("deliveries", measured)
        .put("deliveries_per_second", Math.round(measured / took))
        .put("expected_deliveries_per_second", sharedRate * (shared ? players.length : 0) + personalRate)
        .put("held", held()).put("load_average", loadAverage())
        .put("load_generator_cpu_seconds", round(loadCpu));
    if (mesh != null) {
      double cpu = cpuTicks / (double) mesh.ticksPerSecond;
      result.put("mesh_load_max", mesh.max()).put("mesh_cpu_seconds", round(cpu))
          .put("mesh_cpu_seconds_per_100k_deliveries", measured == 0 ? null : round(cpu / measured * 100_000));
    }
    long drainStart = System.nanoTime();
    boolean drained = drain();
    Histogram h = latency.getIntervalHistogram();
    result.put("latency_ms", percentiles(h)).put("publish_ack_ms", percentiles(ackLatency.getIntervalHistogram()));
    result.put("drain_seconds", round((System.nanoTime() - drainStart) / 1e9)).put("drained", drained)
        .put("published", new JsonObject().put("shared", sharedPublished.get())
            .put("personal", personalPublished.get()).put("failed", publishFailed.get()));
    result.put("integrity", integrity(Arrays.asList(clients))).put("closed_by_mesh", counts(closedByMesh));
    if (!away.isEmpty()) {
      result.put("resume", resumeReport(away));
    }
    System.out.printf(Locale.ROOT, "%s: %,d sockets held, %,d deliveries/s (expected %,d); publish->receive p50 %s "
        + "p99 %s p99.9 %s ms; lost %s, duplicated %s, misdelivered %s%s%n", scenario, result.getLong("held"),
        result.getLong("deliveries_per_second"), result.getLong("expected_deliveries_per_second"),
        h.getTotalCount() == 0 ? "-" : result.getJsonObject("latency_ms").getValue("p50"),
        h.getTotalCount() == 0 ? "-" : result.getJsonObject("latency_ms").getValue("p99"),
        h.getTotalCount() == 0 ? "-" : result.getJsonObject("latency_ms").getValue("p99.9"),
        result.getJsonObject("integrity").getValue("lost"), result.getJsonObject("integrity").getValue("duplicated"),
        result.getJsonObject("integrity").getValue("misdelivered"),
        mesh == null ? "" : String.format(Locale.ROOT, "; mesh RSS idle %s MB, under load max %s MB, %s CPU-s per "
            + "100k deliveries", result.getJsonObject("mesh_idle").getValue("rss_mb"),
            result.getJsonObject("mesh_load_max").getValue("rss_mb"),
            result.getValue("mesh_cpu_seconds_per_100k_deliveries")));
    finish(result);
  }

  private void finish(JsonObject result) {
    result.put("problems", counts(problems));
    if (scenario.equals("idle")) {
      System.out.printf(Locale.ROOT, "idle: %,d sockets held%s%n", result.getLong("held"), mesh == null ? ""
          : String.format(Locale.ROOT, "; mesh RSS %s MB before, %s MB with them idle (%s kB a socket), %s threads, "
              + "%s fds", result.getJsonObject("mesh_before").getValue("rss_mb"),
              result.getJsonObject("mesh_idle_end").getValue("rss_mb"), result.getValue("mesh_rss_kb_per_socket"),
              result.getJsonObject("mesh_idle_end").getValue("threads"),
              result.getJsonObject("mesh_idle_end").getValue("fds")));
    }
    System.out.println("RESULT " + result.encode());
  }

  /** One trivial verticle per loop: each gives a context on its own event loop for the sockets it will own. */
  private void deployContexts() throws java.util.concurrent.TimeoutException {
    for (int i = 0; i < loops; i++) {
      Promise<Context> owned = Promise.promise();
      vertx.deployVerticle(new VerticleBase() {
        @Override
        public Future<?> start() {
          owned.complete(context);
          return Future.succeededFuture();
        }
      }).await(10, TimeUnit.SECONDS);
      contexts.add(owned.future().await(10, TimeUnit.SECONDS));
    }
  }

  /** Opens and subscribes the clients, {@link #connectConcurrency} at a time; returns when every one is done. */
  private void connectAll(List<Client> list) throws InterruptedException {
    AtomicInteger next = new AtomicInteger();
    java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(list.size());
    Runnable[] lane = new Runnable[1];
    lane[0] = () -> {
      int i = next.getAndIncrement();
      if (i < list.size()) {
        Client c = list.get(i);
        c.context.runOnContext(v -> c.open().onComplete(r -> {
          if (r.failed()) {
            problem("socket not subscribed: " + r.cause().getMessage());
          }
          done.countDown();
          lane[0].run();
        }));
      }
    };
    for (int l = 0; l < Math.min(connectConcurrency, list.size()); l++) {
      lane[0].run();
    }
    // each lane takes its sockets one after the other, each up to 30 s to connect and 30 s for its subscribed
    // frames: a bound below that would count sockets never tried as sockets whose connect did not finish
    long lanes = Math.min(connectConcurrency, list.size());
    long bound = Math.max(60, (list.size() + lanes - 1) / Math.max(1, lanes) * 65);
    if (!done.await(bound, TimeUnit.SECONDS)) {
      long left = done.getCount();
      long untried = Math.max(0, list.size() - next.get());
      problem("connecting did not finish in " + bound + " s: " + left + " sockets left, " + untried
          + " of them never tried");
    }
  }

  private long held() {
    return Stream.of(clients).filter(c -> c.ws != null && !c.ws.isClosed()).count();
  }

  /** Every second while publishing: what arrived in that second and how late (--progress). */
  private void startProgress() {
    long start = System.nanoTime();
    long[] last = {deliveries.sum()};
    AtomicLong loopLag = new AtomicLong(); // the generator's own event loops: how late a 100 ms timer fired, at most
    for (Context c : contexts) {
      c.runOnContext(v -> {
        long[] expected = {System.nanoTime() + 100_000_000L};
        vertx.setPeriodic(100, id -> {
          long now = System.nanoTime();
          loopLag.accumulateAndGet(now - expected[0], Math::max);
          expected[0] = now + 100_000_000L;
          if (!publishing) {
            vertx.cancelTimer(id);
          }
        });
      });
    }
    vertx.setPeriodic(1000, id -> {
      if (!publishing) {
        vertx.cancelTimer(id);
      }
      long now = deliveries.sum();
      Histogram received = secondLatency.getIntervalHistogram();
      Histogram acked = secondAckLatency.getIntervalHistogram();
      Histogram service = secondService.getIntervalHistogram();
      System.out.printf(Locale.ROOT, "t=%3ds deliveries %,6d  publish requests in flight %4d, events unsent %,6d  due->received p50 %6.1f "
          + "max %7.1f ms  due->acked p50 %6.1f max %7.1f ms  request on its connection p50 %5.1f max %6.1f ms (%d)  "
          + "generator loop lag max %5.1f ms  load %s%n", (System.nanoTime() - start) / 1_000_000_000L,
          now - last[0], requestsInFlight.get(), unsent.get(), received.getValueAtPercentile(50) / 1e6, received.getMaxValue() / 1e6,
          acked.getValueAtPercentile(50) / 1e6, acked.getMaxValue() / 1e6, service.getValueAtPercentile(50) / 1e6,
          service.getMaxValue() / 1e6, service.getTotalCount(), loopLag.getAndSet(0) / 1e6, loadAverage());
      last[0] = now;
    });
  }

  // ---- publishing ----

  /**
   * Publishes the channels from one context ({@link PublishSchedule}): every {@link #tickMs} the events due so far
   * and, coalesced (the default), whenever a request is answered what waits, at most {@link #connections} requests in
   * flight; {@code --publish per-tick} sends each tick's events in requests of their own whatever is in flight.
   */
  private void startPublishing(HttpClientAgent http, PublishSchedule schedule) {
    Context context = vertx.getOrCreateContext();
    context.runOnContext(v -> {
      Runnable pump = () -> schedule.sends(requestsInFlight.get()).forEach(send -> publish(http, send.firstDue(),
          send.count(), send.channel().rate, send.channel().toPlayers));
      afterPublish = pump;
      vertx.setPeriodic(tickMs, id -> {
        schedule.tick(System.nanoTime(), publishing);
        pump.run();
        unsent.set(schedule.pending());
        if (!publishing && schedule.pending() == 0) {
          vertx.cancelTimer(id);
        }
      });
    });
  }

  private void publish(HttpClientAgent http, long firstDue, int n, long rate, boolean toPlayers) {
    StringBuilder body = new StringBuilder(n * (size + 64) + 16).append("{\"events\":[");
    int[] to = new int[n];
    for (int i = 0; i < n; i++) {
      long due = firstDue + i * 1_000_000_000L / rate;
      String head;
      if (toPlayers) {
        to[i] = players[ThreadLocalRandom.current().nextInt(players.length)];
        head = "{\"event_type\":\"bench.fanout.personal\",\"topic\":\"" + personalTopic + "\",\"source\":\"load\","
            + "\"player_id\":\"p-" + to[i] + "\",\"session_id\":\"p-" + to[i] + "\",\"payload\":{\"bench_c\":\"p\","
            + "\"bench_t\":" + due + ",\"pad\":\"";
      } else {
        head = "{\"event_type\":\"bench.fanout.shared\",\"topic\":\"" + sharedTopic + "\",\"source\":\"load\","
            + "\"payload\":{\"bench_c\":\"s\",\"bench_t\":" + due + ",\"pad\":\"";
      }
      body.append(i == 0 ? "" : ",").append(head).append(Padding.pad(size - head.length() - 3)).append("\"}}");
    }
    Buffer request = Buffer.buffer(body.append("]}").toString());
    requestsInFlight.incrementAndGet();
    http.request(HttpMethod.POST, "/events/publish/batch")
        .compose(req -> {
          long sentAt = System.nanoTime();
          req.response().onComplete(r -> secondService.recordValue(Math.min(MAX_LATENCY, System.nanoTime() - sentAt)));
          req.putHeader("content-type", "application/json");
          if (apiKey != null) {
            req.putHeader("X-API-Key", apiKey);
          }
          return req.send(request);
        })
        .compose(resp -> resp.body().map(b -> {
          if (resp.statusCode() != 200 && resp.statusCode() != 207) {
            problem("publish answered " + resp.statusCode() + ": " + b.toString().substring(0,
                Math.min(200, b.length())));
            publishFailed.addAndGet(n);
            return null;
          }
          JsonArray results = new JsonObject(b).getJsonArray("results");
          long acked = System.nanoTime();
          for (int i = 0; i < n; i++) {
            long due = firstDue + i * 1_000_000_000L / rate;
            long took = Math.min(MAX_LATENCY, Math.max(0, acked - due));
            secondAckLatency.recordValue(took);
            if (due >= measureFrom && due < measureTo) {
              ackLatency.recordValue(took);
            }
            JsonObject r = results.getJsonObject(i);
            if (r.getValue("offset") instanceof Number offset) {
              if (toPlayers) {
                personalAcked.incrementAndGet(to[i]);
                personalPublished.incrementAndGet();
              } else {
                sharedAcked.accumulateAndGet(r.getInteger("partition"), offset.longValue(), Math::max);
                sharedPublished.incrementAndGet();
              }
            } else {
              publishFailed.incrementAndGet();
              problem("publish refused: " + r.getValue("error"));
            }
          }
          return null;
        }))
        .onFailure(e -> {
          publishFailed.addAndGet(n);
          problem("publish failed: " + e.getMessage());
        })
        .onComplete(done -> {
          requestsInFlight.decrementAndGet();
          afterPublish.run();
        });
  }

  // ---- resume ----

  /** Closes {@link #resumeClients} sockets, keeps them away {@link #away} s while events flow, then resumes them. */
  private List<Client> resume() throws InterruptedException {
    List<Client> gone = new ArrayList<>();
    for (int i = 0; i < resumeClients; i++) {
      Client c = clients[(int) ((long) i * sockets / resumeClients)];
      if (c.subscribed) {
        gone.add(c);
      }
    }
    for (Client c : gone) {
      c.context.runOnContext(v -> c.leave());
    }
    System.out.printf(Locale.ROOT, "resume: %,d sockets away for %d s%n", gone.size(), away);
    Thread.sleep(TimeUnit.SECONDS.toMillis(away));
    long[] sharedTarget = new long[sharedAcked.length()];
    for (int p = 0; p < sharedTarget.length; p++) {
      sharedTarget[p] = sharedAcked.get(p);
    }
    for (Client c : gone) {
      c.sharedTarget = sharedTarget;
      c.personalTarget = personalAcked.get(c.index);
    }
    connectAll(gone);
    return gone;
  }

  private JsonObject resumeReport(List<Client> gone) {
    Histogram caughtUp = new Histogram(MAX_LATENCY, 3);
    long notCaughtUp = 0;
    long gaps = 0;
    for (Client c : gone) {
      gaps += c.gaps;
      if (c.caughtUpAt > 0) {
        caughtUp.recordValue(Math.min(MAX_LATENCY, c.caughtUpAt - c.reconnectedAt));
      } else {
        notCaughtUp++;
      }
    }
    return new JsonObject().put("clients", gone.size()).put("away_seconds", away)
        .put("reconnected", gone.stream().filter(c -> c.subscribed).count()).put("not_caught_up", notCaughtUp)
        .put("caught_up_ms", percentiles(caughtUp)).put("gaps", gaps).put("integrity", integrity(gone))
        .put("delivery_ms", percentiles(resumedLatency.getIntervalHistogram()));
  }

  // ---- integrity ----

  /** Waits until no publish is in flight and every open socket has every event acknowledged for it. */
  private boolean drain() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(drain);
    while (System.nanoTime() < deadline) {
      if (requestsInFlight.get() == 0 && unsent.get() == 0
          && Stream.of(clients).filter(Client::counted).allMatch(c -> missing(c) <= 0)) {
        return true;
      }
      Thread.sleep(100);
    }
    return false;
  }

  /** Events acknowledged for this socket that it has not received (negative: it received more). */
  private long missing(Client c) {
    return (shared ? sharedPublished.get() - c.sharedUnique : 0)
        + (personal ? personalAcked.get(c.index) - c.personalUnique : 0);
  }

  private JsonObject integrity(List<Client> list) {
    long lost = 0;
    long duplicated = 0;
    long misdelivered = 0;
    long extra = 0;
    long withLoss = 0;
    long withDuplicates = 0;
    long maxLost = 0;
    long notCounted = 0;
    for (Client c : list) {
      if (!c.counted()) {
        notCounted++;
        continue;
      }
      long missing = missing(c);
      lost += Math.max(0, missing);
      extra += Math.max(0, -missing);
      withLoss += missing > 0 ? 1 : 0;
      maxLost = Math.max(maxLost, missing);
      duplicated += c.duplicated;
      withDuplicates += c.duplicated > 0 ? 1 : 0;
      misdelivered += c.misdelivered;
    }
    return new JsonObject().put("sockets_checked", list.size() - notCounted).put("sockets_not_checked", notCounted)
        .put("lost", lost).put("sockets_with_loss", withLoss).put("max_lost_per_socket", maxLost)
        .put("duplicated", duplicated).put("sockets_with_duplicates", withDuplicates)
        .put("misdelivered", misdelivered).put("unacknowledged_received", extra);
  }

  // ---- one socket ----

  /** A socket and what it received; touched only on its own context (counters read at the end). */
  private final class Client {
    final int index;
    final Context context;
    final WebSocketClient webSocketClient;
    final String playerNeedle;
    WebSocket ws;
    volatile boolean subscribed;
    volatile boolean away;
    int pending;
    Promise<Void> ready;
    /** Per partition, the last offset received (-1: none); null until the channel is subscribed. */
    long[] sharedLast;
    long[] personalLast;
    volatile long sharedUnique;
    volatile long personalUnique;
    volatile long duplicated;
    volatile long misdelivered;
    long gaps;
    long[] sharedTarget;
    long personalTarget = -1;
    volatile long reconnectedAt;
    volatile long caughtUpAt;

    Client(int index, Context context, WebSocketClient webSocketClient) {
      this.index = index;
      this.context = context;
      this.webSocketClient = webSocketClient;
      this.playerNeedle = "\"player_id\":\"p-" + index + "\"";
    }

    /** Sockets whose loss is meaningful: subscribed and not closed by the mesh. */
    boolean counted() {
      return subscribed && ws != null && !ws.isClosed();
    }

    Future<Void> open() {
      boolean resuming = sharedTarget != null;
      if (resuming) {
        reconnectedAt = System.nanoTime();
      }
      subscribed = false;
      WebSocketConnectOptions options = new WebSocketConnectOptions().setHost(url.getHost()).setPort(url.getPort())
          .setURI("/ws");
      if (apiKey != null) {
        options.addHeader("X-API-Key", apiKey);
      }
      Promise<Void> mine = Promise.promise();
      ready = mine;
      return webSocketClient.connect(options).recover(e -> {
        connectFailures.incrementAndGet();
        problem("connect: " + e.getMessage());
        return Future.failedFuture(e);
      }).compose(socket -> {
        ws = socket;
        away = false;
        socket.textMessageHandler(this::onText);
        socket.exceptionHandler(e -> problem("socket: " + e.getMessage()));
        socket.closeHandler(v -> {
          if (!away && !stopping) {
            closedByMesh.computeIfAbsent(socket.closeStatusCode() + " " + socket.closeReason(), k -> new LongAdder())
                .increment();
          }
          mine.tryFail("closed before subscribed");
        });
        pending = 0;
        if (shared) {
          send(socket, "shared", sharedTopic, null, sharedLast);
        }
        if (personal) {
          send(socket, "personal", personalTopic, new JsonObject().put("player_id", "p-" + index), personalLast);
        }
        int asked = pending;
        long timer = context.owner().setTimer(30_000, t -> mine.tryFail("no subscribed frame within 30 s for "
            + pending + " of its " + asked + " subscriptions"));
        return mine.future().onComplete(r -> context.owner().cancelTimer(timer));
      }).onSuccess(v -> {
        subscribed = true;
        if (resuming) {
          checkCaughtUp(System.nanoTime());
        }
      });
    }

    private void send(WebSocket socket, String id, String topic, JsonObject key, long[] last) {
      JsonObject frame = new JsonObject().put("op", "subscribe").put("id", id)
          .put("topics", new JsonArray().add(topic));
      if (key != null) {
        frame.put("key", key);
      }
      if (last != null) {
        JsonObject offsets = new JsonObject();
        for (int p = 0; p < last.length; p++) {
          offsets.put(String.valueOf(p), last[p] + 1);
        }
        frame.put("start", new JsonObject().put("offsets", new JsonObject().put(topic, offsets))
            .put("otherwise", "earliest"));
      } else {
        frame.put("start", "latest");
      }
      pending++;
      socket.writeTextMessage(frame.encode());
    }

    void leave() {
      away = true;
      subscribed = false;
      ws.close();
    }

    private void onText(String text) {
      if (text.startsWith("{\"type\":\"event\"")) {
        onEvent(text);
        return;
      }
      JsonObject frame = new JsonObject(text);
      switch (String.valueOf(frame.getValue("type"))) {
        case "event" -> onEvent(text);
        case "subscribed" -> {
          boolean isShared = "shared".equals(String.valueOf(frame.getValue("id")));
          JsonObject positions = frame.getJsonObject("positions", new JsonObject())
              .getJsonObject(isShared ? sharedTopic : personalTopic, new JsonObject());
          gaps += frame.getJsonArray("gaps", new JsonArray()).size();
          if ((isShared ? sharedLast : personalLast) == null) {
            long[] last = new long[positions.fieldNames().stream().mapToInt(Integer::parseInt).max().orElse(-1) + 1];
            positions.forEach(e -> last[Integer.parseInt(e.getKey())] = ((Number) e.getValue()).longValue() - 1);
            if (isShared) {
              sharedLast = last;
            } else {
              personalLast = last;
            }
          }
          if (--pending == 0) {
            ready.tryComplete();
          }
        }
        case "error" -> {
          subscribeErrors.incrementAndGet();
          problem("error frame: " + frame.getValue("status") + " " + frame.getValue("error"));
          ready.tryFail("error frame");
        }
        default -> { }
      }
    }

    private void onEvent(String text) {
      long now = System.nanoTime();
      deliveries.increment();
      int partition = (int) numberAfter(text, "\"partition\":");
      long offset = numberAfter(text, "\"offset\":");
      long due = numberAfter(text, "\"bench_t\":");
      boolean isPersonal = text.contains("\"bench_c\":\"p\"");
      long[] last = isPersonal ? personalLast : sharedLast;
      if (last == null || partition >= last.length) {
        last = grow(last, partition + 1);
        if (isPersonal) {
          personalLast = last;
        } else {
          sharedLast = last;
        }
      }
      if (offset <= last[partition]) {
        duplicated++;
      } else {
        last[partition] = offset;
        if (isPersonal) {
          personalUnique++;
        } else {
          sharedUnique++;
        }
      }
      if (isPersonal && !text.contains(playerNeedle)) {
        misdelivered++;
      }
      if (due > 0) {
        secondLatency.recordValue(Math.min(MAX_LATENCY, Math.max(0, now - due)));
      }
      if (due >= measureFrom && due < measureTo) {
        (reconnectedAt > 0 ? resumedLatency : latency).recordValue(Math.min(MAX_LATENCY, Math.max(0, now - due)));
      }
      if (reconnectedAt > 0 && caughtUpAt == 0) {
        checkCaughtUp(now);
      }
    }

    /** Caught up: each shared partition at the offset acknowledged when it reconnected, and each personal event. */
    private void checkCaughtUp(long now) {
      if (shared) {
        for (int p = 0; p < sharedTarget.length; p++) {
          boolean behind = sharedLast == null || p >= sharedLast.length || sharedLast[p] < sharedTarget[p];
          if (sharedTarget[p] >= 0 && behind) {
            return;
          }
        }
      }
      if (personal && personalUnique < personalTarget) {
        return;
      }
      caughtUpAt = now;
    }
  }

  private static long[] grow(long[] last, int length) {
    long[] grown = new long[Math.max(length, last == null ? 0 : last.length)];
    Arrays.fill(grown, -1);
    if (last != null) {
      System.arraycopy(last, 0, grown, 0, last.length);
    }
    return grown;
  }

  // ---- helpers ----

  private void problem(String what) {
    if (problems.size() < 50 || problems.containsKey(what)) {
      problems.computeIfAbsent(what, k -> new LongAdder()).increment();
    }
  }

  private static JsonObject counts(Map<String, LongAdder> map) {
    JsonObject out = new JsonObject();
    map.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  static long numberAfter(String text, String key) {
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

  private static JsonObject percentiles(Histogram h) {
    JsonObject out = new JsonObject().put("count", h.getTotalCount());
    for (double p : new double[] {50, 90, 99, 99.9}) {
      out.put("p" + (p == Math.floor(p) ? String.valueOf((int) p) : String.valueOf(p)),
          Math.round(h.getValueAtPercentile(p) / 10_000.0) / 100.0);
    }
    return out.put("max", Math.round(h.getMaxValue() / 10_000.0) / 100.0);
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  private static String loadAverage() {
    try {
      return String.join(" ", Arrays.copyOf(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+"), 3));
    } catch (IOException e) {
      return null;
    }
  }

  private static long loadCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** Random letters, so that compression flatters nobody. */
  private static final class Padding {
    private static final String LETTERS = letters(1 << 16);
    private static final AtomicInteger AT = new AtomicInteger();

    static String pad(int length) {
      length = Math.max(0, Math.min(length, LETTERS.length() / 2));
      int from = Math.floorMod(AT.addAndGet(977), LETTERS.length() - length);
      return LETTERS.substring(from, from + length);
    }

    private static String letters(int n) {
      java.util.Random random = new java.util.Random(42);
      StringBuilder out = new StringBuilder(n);
      for (int i = 0; i < n; i++) {
        out.append((char) ('a' + random.nextInt(26)));
      }
      return out.toString();
    }
  }
}
