package com.necpgame.mesh.fanout;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The hub's meters: {@code event_bus_websocket_subscriptions}, {@code event_bus_fanout_tails},
 * {@code event_bus_fanout_deliveries_total} and {@code event_bus_fanout_catchups_total{from="history|kafka"}}.
 */
public final class FanoutMeters {

  final AtomicInteger subscriptions = new AtomicInteger();
  final AtomicInteger tails = new AtomicInteger();
  private final Counter deliveries;
  private final Counter fromHistory;
  private final Counter fromKafka;

  public FanoutMeters(MeterRegistry registry) {
    Gauge.builder("event_bus_websocket_subscriptions", subscriptions, AtomicInteger::get)
        .description("Subscriptions of this process's WebSocket clients on the hub").register(registry);
    Gauge.builder("event_bus_fanout_tails", tails, AtomicInteger::get)
        .description("Topics this process tails for its WebSocket clients (one Kafka read each)").register(registry);
    deliveries = Counter.builder("event_bus_fanout_deliveries_total")
        .description("Event frames queued to WebSocket clients by the hub").register(registry);
    fromHistory = Counter.builder("event_bus_fanout_catchups_total").tag("from", "history")
        .description("Sockets that caught up with the live tail, from memory or from Kafka").register(registry);
    fromKafka = Counter.builder("event_bus_fanout_catchups_total").tag("from", "kafka")
        .description("Sockets that caught up with the live tail, from memory or from Kafka").register(registry);
  }

  void delivered(int n) {
    if (n > 0) {
      deliveries.increment(n);
    }
  }

  void caughtUp(String from) {
    ("kafka".equals(from) ? fromKafka : fromHistory).increment();
  }

  public double deliveries() {
    return deliveries.count();
  }

  public double catchUps(String from) {
    return ("kafka".equals(from) ? fromKafka : fromHistory).count();
  }

  public int subscriptions() {
    return subscriptions.get();
  }

  public int tails() {
    return tails.get();
  }
}
