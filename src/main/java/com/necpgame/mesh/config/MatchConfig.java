package com.necpgame.mesh.config;

import java.net.URI;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Matches among robots ({@code match.*}), the robot pool ({@code robots.*}) and the text providers of robot workers
 * ({@code llm.*}); topics are named here, the code says which channel it means.
 */
public record MatchConfig(Match match, Robots robots, Llm llm) {

  private static final Pattern PROMPT = Pattern.compile(".{1,500}");
  private static final Pattern TYPE = Pattern.compile("[a-z][a-z0-9-]{0,63}");

  /** The {@code match.*} keys. */
  public record Match(int rounds, int robotsPerRound, long roundMs, long votingMs, long assignTimeoutMs,
      boolean excludePreviousRobots, List<String> prompts, long checkMs, String eventsTopic, String responsesTopic,
      String orchestrationTopic, String stateTopic, String group) {}

  /** The {@code robots.*} keys: the rules of {@link com.necpgame.mesh.robot.RobotPool}, its topics and groups. */
  public record Robots(List<String> types, int minIdlePerType, int maxTotal, double scaleUpBusyRatio,
      long scaleDownAfterMs, long healthTimeoutMs, long checkMs, long failoverMs, String commandsTopic,
      String poolStateTopic, String group, String workerGroup) {}

  /** The remote text providers, in the order a fallback chain may name them. */
  public static final List<String> REMOTE_PROVIDERS = List.of("openai", "anthropic");

  /**
   * The text providers of robot workers: the fallback chain ({@code providers}, tried in order, always ending in
   * {@code local}), each remote one's endpoint, the calls' timeout, retries and circuit breaker, how often every
   * provider is probed, and the local one's seed.
   */
  public record Llm(List<String> providers, Remote openai, Remote anthropic, long timeoutMs, int maxRetries,
      int breakerMaxFailures, long breakerResetMs, long healthCheckMs, long seed) {

    /** The remote provider of that name ({@code openai} or {@code anthropic}). */
    public Remote remote(String name) {
      return "anthropic".equals(name) ? anthropic : openai;
    }
  }

  /**
   * A remote provider: its endpoint, model, key (masked when printed), API version header (Anthropic's), and its price
   * in USD per 1,000 input and output tokens, for the cost estimate.
   */
  public record Remote(String name, URI baseUrl, String model, String apiKey, String version, double priceInPer1k,
      double priceOutPer1k) {
    @Override
    public String toString() {
      return "Remote[name=" + name + ", baseUrl=" + baseUrl + ", model=" + model + ", apiKey="
          + (apiKey.isEmpty() ? "" : "****") + ", version=" + version + ", priceInPer1k=" + priceInPer1k
          + ", priceOutPer1k=" + priceOutPer1k + "]";
    }
  }

  static MatchConfig from(ConfigReader r, String groupPrefix) {
    List<String> prompts = r.distinct("match.prompts", PROMPT, "prompt of 1-500 characters");
    if (prompts.isEmpty()) {
      r.problem("match.prompts", "at least one prompt");
    }
    Match match = new Match(r.intIn("match.rounds", 1, 100), r.intIn("match.robots_per_round", 1, 25),
        r.longIn("match.round_ms", 100, 3_600_000), r.longIn("match.voting_ms", 100, 3_600_000),
        r.longIn("match.assign_timeout_ms", 100, 600_000), r.bool("match.exclude_previous_robots"), prompts,
        r.longIn("match.check_ms", 10, 60_000), r.topicName("match.topics.events"),
        r.topicName("match.topics.responses"), r.topicName("match.topics.orchestration"),
        r.topicName("match.topics.state"), groupPrefix + ".match");
    List<String> types = r.distinct("robots.types", TYPE, "personality type of a-z 0-9 -");
    if (types.isEmpty()) {
      r.problem("robots.types", "at least one personality type");
    }
    double ratio = r.longIn("robots.scale_up_busy_percent", 1, 100) / 100.0;
    Robots robots = new Robots(types, r.intIn("robots.min_idle_per_type", 0, 1000), r.intIn("robots.max_total", 1,
        100_000), ratio, r.longIn("robots.scale_down_after_ms", 10, 86_400_000),
        r.longIn("robots.health_timeout_ms", 10, 3_600_000), r.longIn("robots.check_ms", 10, 60_000),
        r.longIn("robots.failover_ms", 6_000, 300_000), r.topicName("robots.topics.commands"),
        r.topicName("robots.topics.pool_state"), groupPrefix + ".robots", groupPrefix + ".robot-workers");
    if (robots.minIdlePerType() * types.size() > robots.maxTotal()) {
      r.problem("robots.max_total", "must hold robots.min_idle_per_type robots of every type");
    }
    Remote openai = remote(r, "openai", "llm.base_url", "llm.model", "llm.api_key", null);
    Remote anthropic = remote(r, "anthropic", "llm.anthropic.base_url", "llm.anthropic.model", "llm.anthropic.api_key",
        r.nonBlank("llm.anthropic.version"));
    Llm llm = new Llm(providers(r), openai, anthropic, r.longIn("llm.timeout_ms", 10, 600_000),
        r.intIn("llm.max_retries", 0, 10), r.intIn("llm.breaker_max_failures", 1, 1000),
        r.longIn("llm.breaker_reset_ms", 10, 3_600_000), r.longIn("llm.health_check_ms", 100, 3_600_000),
        r.longIn("llm.seed", Long.MIN_VALUE, Long.MAX_VALUE));
    return new MatchConfig(match, robots, llm);
  }

  /**
   * The fallback chain: {@code llm.providers} (a list, or from the environment a comma-separated text), or when it
   * is empty the chain {@code llm.provider} names (a remote one, then {@code local}).
   */
  private static List<String> providers(ConfigReader r) {
    String single = r.oneOf("llm.provider", List.of("local", "openai", "anthropic"));
    Object raw = r.raw("llm.providers");
    List<String> chain;
    if (raw instanceof String text) {
      chain = java.util.Arrays.stream(text.split(",")).map(String::trim).filter(t -> !t.isEmpty()).toList();
    } else {
      chain = r.distinct("llm.providers", Pattern.compile("local|openai|anthropic"), "provider: local, openai or "
          + "anthropic");
    }
    if (chain.isEmpty()) {
      return single.equals("local") ? List.of("local") : List.of(single, "local");
    }
    if (chain.stream().distinct().count() != chain.size()
        || !chain.stream().allMatch(p -> p.equals("local") || REMOTE_PROVIDERS.contains(p))
        || !chain.get(chain.size() - 1).equals("local")) {
      r.problem("llm.providers", "distinct providers among local, openai, anthropic, the last one local (it always "
          + "answers), e.g. [\"anthropic\", \"openai\", \"local\"]; got " + chain);
      return List.of("local");
    }
    return List.copyOf(chain);
  }

  private static Remote remote(ConfigReader r, String name, String urlKey, String modelKey, String keyKey,
      String version) {
    URI base;
    try {
      base = URI.create(r.nonBlank(urlKey));
      if (!"http".equals(base.getScheme()) && !"https".equals(base.getScheme()) || base.getHost() == null) {
        r.problem(urlKey, "an http(s) URL such as https://api.openai.com/v1");
      }
    } catch (IllegalArgumentException e) {
      base = URI.create("http://invalid");
      r.problem(urlKey, "an http(s) URL such as https://api.openai.com/v1");
    }
    String prices = "llm.prices_per_1k_tokens." + name;
    return new Remote(name, base, r.nonBlank(modelKey), r.string(keyKey).trim(), version,
        r.doubleIn(prices + ".input", 0, 1000), r.doubleIn(prices + ".output", 0, 1000));
  }
}
