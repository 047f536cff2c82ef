package com.necpgame.mesh.robot;

import com.necpgame.mesh.config.MatchConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The robot workers' meters, per provider and persona (the robot's personality type): {@code
 * event_bus_robot_response_duration_seconds{provider,persona,status}} (a histogram), {@code
 * event_bus_robot_errors_total{provider,persona,reason}}, {@code event_bus_robot_tokens_total{provider,persona,
 * direction}} ({@code input}, {@code output}), {@code event_bus_robot_cost_usd_total{provider,persona}} (tokens times
 * {@code llm.prices_per_1k_tokens}), and per provider {@code event_bus_robot_provider_healthy{provider}} (the last
 * probe: 1, 0, or -1 before the first).
 */
public final class RobotMetrics {

  private static final Duration[] BUCKETS = {Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
      Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5),
      Duration.ofSeconds(10), Duration.ofSeconds(30)};

  private final MeterRegistry registry;
  private final MatchConfig.Llm llm;
  private final Map<String, AtomicInteger> healthy = new ConcurrentHashMap<>();

  public RobotMetrics(MeterRegistry registry, MatchConfig.Llm llm) {
    this.registry = registry;
    this.llm = llm;
  }

  /** An answer: its time, tokens and estimated cost (returned, in USD). */
  public double answered(String provider, String persona, long nanos, TextProvider.Reply reply) {
    timer(provider, persona, "success").record(nanos, TimeUnit.NANOSECONDS);
    Counter.builder("event_bus_robot_tokens_total").description("Tokens robot workers sent to (input) and got from "
        + "(output) a provider").tags("provider", provider, "persona", persona, "direction", "input")
        .register(registry).increment(reply.tokensIn());
    Counter.builder("event_bus_robot_tokens_total").description("Tokens robot workers sent to (input) and got from "
        + "(output) a provider").tags("provider", provider, "persona", persona, "direction", "output")
        .register(registry).increment(reply.tokensOut());
    double cost = cost(provider, reply);
    Counter.builder("event_bus_robot_cost_usd_total").description("Estimated cost of robot answers in USD, from "
        + "llm.prices_per_1k_tokens").tags("provider", provider, "persona", persona).register(registry)
        .increment(cost);
    return cost;
  }

  /** A failed call: its time and its reason ({@link ProviderException#reasonOf}). */
  public void failed(String provider, String persona, long nanos, String reason) {
    timer(provider, persona, "failure").record(nanos, TimeUnit.NANOSECONDS);
    Counter.builder("event_bus_robot_errors_total").description("Provider calls of robot workers that failed, by "
        + "reason").tags("provider", provider, "persona", persona, "reason", reason).register(registry).increment();
  }

  /** The last probe of a provider. */
  public void probed(String provider, boolean ok) {
    healthy.computeIfAbsent(provider, p -> {
      AtomicInteger state = new AtomicInteger(-1);
      Gauge.builder("event_bus_robot_provider_healthy", state, AtomicInteger::get).tag("provider", p)
          .description("The last robot.health_check probe of the provider: 1 healthy, 0 not").register(registry);
      return state;
    }).set(ok ? 1 : 0);
  }

  /** USD for a reply's tokens at the provider's configured price (the local provider costs nothing). */
  public double cost(String provider, TextProvider.Reply reply) {
    if (!MatchConfig.REMOTE_PROVIDERS.contains(provider)) {
      return 0;
    }
    MatchConfig.Remote r = llm.remote(provider);
    return reply.tokensIn() / 1000.0 * r.priceInPer1k() + reply.tokensOut() / 1000.0 * r.priceOutPer1k();
  }

  private Timer timer(String provider, String persona, String status) {
    return Timer.builder("event_bus_robot_response_duration_seconds")
        .description("One provider call of a robot worker, answered or failed").serviceLevelObjectives(BUCKETS)
        .tags("provider", provider, "persona", persona, "status", status).register(registry);
  }
}
