package com.necpgame.mesh;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The process's meters, named as in the seed ({@code event_bus_events_published_total{topic,event_type,status}},
 * {@code event_bus_kafka_operations_total{operation,status}}, ...), in a Prometheus registry scraped at
 * {@code GET /metrics}. Also what {@code GET /stats} sums up.
 */
public final class MeshMetrics {

  public static final String SUCCESS = "success";
  public static final String FAILURE = "failure";

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  /** name -> topic -> event type -> {success, failure}. */
  private final Map<String, Map<String, Map<String, Counter[]>>> counters = new ConcurrentHashMap<>();
  private final Map<String, Counter[]> operations = new ConcurrentHashMap<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger workers = new AtomicInteger();
  private final AtomicInteger webSockets = new AtomicInteger();
  private final AtomicInteger pausedStreams = new AtomicInteger();
  private final AtomicInteger kafkaBrokers = new AtomicInteger(-1);
  /** {@link System#nanoTime()} by which a draining process must be closed; 0 while it is not draining. */
  private volatile long drainDeadline;
  private final Counter slowCloses;
  private final Timer publishLatency;
  private final Timer storeWrites;
  private final MultiGauge lag;

  public MeshMetrics() {
    Gauge.builder("event_bus_event_buffer_size", inFlight, AtomicInteger::get)
        .description("Events handed to Kafka and not yet acknowledged").register(registry);
    Gauge.builder("event_bus_active_workers", workers, AtomicInteger::get)
        .description("Kafka loops running (every KafkaWorker: store, delivery, bridge inbound, simulation, views)").register(registry);
    Gauge.builder("event_bus_websocket_clients", webSockets, AtomicInteger::get)
        .description("WebSocket clients connected to this process").register(registry);
    Gauge.builder("event_bus_websocket_paused_streams", pausedStreams, AtomicInteger::get)
        .description("WebSocket streams waiting for their client to catch up (Kafka holds the rest)").register(registry);
    Gauge.builder("event_bus_kafka_brokers", kafkaBrokers, AtomicInteger::get)
        .description("Brokers that answered the last metadata request (0: Kafka unreachable; -1: not measured yet)")
        .register(registry);
    Gauge.builder("event_bus_draining", this, m -> m.draining() ? 1 : 0)
        .description("1 once the process was asked to stop: /ready answers 503 and it drains").register(registry);
    slowCloses = Counter.builder("event_bus_websocket_slow_closes_total")
        .description("WebSocket clients closed for staying behind past websocket.slow_client_close_ms").register(registry);
    publishLatency = Timer.builder("event_bus_event_processing_duration_seconds").tag("operation", "publish")
        .description("From handing an event to Kafka to its acknowledgement").register(registry);
    lag = MultiGauge.builder("event_bus_consumer_lag")
        .description("Records not yet committed by the mesh's consumer group on the topic").register(registry);
    storeWrites = Timer.builder("event_bus_database_query_duration_seconds").tag("operation", "event_store")
        .description("One batched insert into the event store").publishPercentiles(0.5, 0.95, 0.99).register(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** Prometheus text exposition of every meter. */
  public String scrape() {
    return registry.scrape();
  }

  /** Call when an event is handed to Kafka; the returned callback records its outcome once. */
  public PublishOutcome publishing(String topic, String eventType) {
    inFlight.incrementAndGet();
    long started = System.nanoTime();
    return success -> {
      inFlight.decrementAndGet();
      publishLatency.record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
      count("event_bus_events_published_total", "publish", topic, eventType, success);
    };
  }

  public void consumed(String topic, String eventType, boolean success) {
    count("event_bus_events_consumed_total", "consume", topic, eventType, success);
  }

  /** Runs for every event: counters are found through two map lookups, without allocating a key. */
  private void count(String name, String operation, String topic, String eventType, boolean success) {
    String type = eventType == null ? "unknown" : eventType;
    Counter[] pair = counters.computeIfAbsent(name, n -> new ConcurrentHashMap<>())
        .computeIfAbsent(topic, t -> new ConcurrentHashMap<>())
        .computeIfAbsent(type, t -> new Counter[] {counter(name, topic, t, SUCCESS), counter(name, topic, t, FAILURE)});
    pair[success ? 0 : 1].increment();
    operations.computeIfAbsent(operation, o -> new Counter[] {operation(o, SUCCESS), operation(o, FAILURE)})
        [success ? 0 : 1].increment();
  }

  private Counter counter(String name, String topic, String type, String status) {
    return Counter.builder(name).tags("topic", topic, "event_type", type, "status", status).register(registry);
  }

  private Counter operation(String operation, String status) {
    return Counter.builder("event_bus_kafka_operations_total").tags("operation", operation, "status", status)
        .register(registry);
  }

  /**
   * {@code event_bus_simulation_step_duration_seconds{step}}: one market clearing of the shards a process owns
   * ({@code market_clear}), one day of diplomacy ({@code diplomacy_evaluate}) or of the crowd ({@code crowd_step}).
   */
  public java.util.function.LongConsumer simulationTimer(String step) {
    Timer timer = Timer.builder("event_bus_simulation_step_duration_seconds").tag("step", step)
        .description("One step of the world simulation on this process").publishPercentiles(0.5, 0.99)
        .register(registry);
    return nanos -> timer.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  /**
   * {@code event_bus_consumer_lag{group,topic}}: records not yet committed by each of the mesh's consumer groups, as
   * last measured (the same on every process: take the max across processes, not the sum).
   */
  public void consumerLag(Map<String, Map<String, Long>> byGroupAndTopic) {
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    byGroupAndTopic.forEach((group, topics) -> topics.forEach((topic, lag) ->
        rows.add(MultiGauge.Row.of(Tags.of("group", group, "topic", topic), lag))));
    lag.register(rows, true);
  }

  public void kafkaBrokers(int brokers) {
    kafkaBrokers.set(brokers);
  }

  public void storeWrite(Duration took) {
    storeWrites.record(took);
  }

  /** From now on {@code /ready} answers 503; everything must be closed within {@code graceMillis}. */
  public void startDraining(long graceMillis) {
    drainDeadline = Math.max(1, System.nanoTime() + graceMillis * 1_000_000);
  }

  public boolean draining() {
    return drainDeadline != 0;
  }

  /** Milliseconds left of the shutdown grace period; 0 when not draining or past it. */
  public long drainMillisLeft() {
    long deadline = drainDeadline;
    return deadline == 0 ? 0 : Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
  }

  public void workerStarted() {
    workers.incrementAndGet();
  }

  public void workerStopped() {
    workers.decrementAndGet();
  }

  /** A Kafka loop failed and is started again after a pause ({@code event_bus_loop_restarts_total{loop}}). */
  public void loopRestarted(String loop) {
    registry.counter("event_bus_loop_restarts_total", "loop", loop).increment();
  }

  /** Counts a WebSocket client in if fewer than {@code max} are connected; false (not counted) otherwise. */
  public boolean webSocketOpened(int max) {
    return webSockets.getAndUpdate(n -> n < max ? n + 1 : n) < max;
  }

  public void webSocketClosed() {
    webSockets.decrementAndGet();
  }

  public int webSockets() {
    return webSockets.get();
  }

  public void streamPaused(boolean paused) {
    pausedStreams.addAndGet(paused ? 1 : -1);
  }

  public int pausedStreams() {
    return pausedStreams.get();
  }

  /** One webhook request for {@code events} events: delivered or not. */
  public void webhookAttempt(boolean delivered, int events) {
    Counter.builder("event_bus_webhook_deliveries_total").tag("status", delivered ? "delivered" : "failed")
        .description("Events in webhook requests, by outcome").register(registry).increment(events);
  }

  /**
   * A kafka subscription's copies that failed for good: {@code events} dead-lettered, and the subscription paused by
   * the router ({@code cause} permanent: the broker refused them; retries_exhausted: still failing after its retries).
   */
  public void subscriptionPaused(String cause, int events) {
    Counter.builder("event_bus_subscriptions_paused_total").tag("method", "kafka").tag("cause", cause)
        .description("Subscriptions the delivery router paused because their target failed for good")
        .register(registry).increment();
    Counter.builder("event_bus_delivery_dead_lettered_total").tag("method", "kafka").tag("cause", cause)
        .description("Events of paused kafka subscriptions sent to the dead-letter topic")
        .register(registry).increment(events);
  }

  /** Records the delivery router did not route because they are a subscription's copies already. */
  public void copiesSkipped(int records) {
    Counter.builder("event_bus_delivery_copies_skipped_total")
        .description("Records carrying a subscription_id header (a kafka subscription's copies), never routed again")
        .register(registry).increment(records);
  }

  /** A record a compacted view's handler could not understand: skipped, the view goes on. */
  public void viewRecordSkipped(String topic) {
    Counter.builder("event_bus_view_records_skipped_total").tag("topic", topic)
        .description("Records of a compacted state topic a view could not understand and skipped")
        .register(registry).increment();
  }

  /**
   * A request or event the gateway's security refused or slowed down: {@code outcome} unauthenticated, forbidden or
   * rate_limited; {@code scope} what was refused (request, publish, subscribe, websocket_pause).
   */
  public void securityRefusal(String outcome, String scope) {
    Counter.builder("event_bus_security_refusals_total").tag("outcome", outcome).tag("scope", scope)
        .description("Requests and events refused or paused by authentication, ACLs and rate limits")
        .register(registry).increment();
  }

  public double securityRefusals(String outcome, String scope) {
    Counter c = registry.find("event_bus_security_refusals_total").tag("outcome", outcome).tag("scope", scope).counter();
    return c == null ? 0 : c.count();
  }

  public void slowClientClosed() {
    slowCloses.increment();
  }

  public double slowCloses() {
    return slowCloses.count();
  }

  public double total(String counter, String status) {
    return registry.find(counter).tag("status", status).counters().stream().mapToDouble(Counter::count).sum();
  }

  /** Mean seconds from send to acknowledgement, 0 before any publish. */
  public double meanPublishSeconds() {
    return publishLatency.count() == 0 ? 0 : publishLatency.mean(java.util.concurrent.TimeUnit.SECONDS);
  }

  public interface PublishOutcome {
    void done(boolean success);
  }
}
