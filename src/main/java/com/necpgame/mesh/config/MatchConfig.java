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

  /** The text provider ({@code local} or {@code openai}), the remote one's endpoint, and the local one's seed. */
  public record Llm(String provider, URI baseUrl, String model, String apiKey, long timeoutMs, int maxRetries,
      int breakerMaxFailures, long breakerResetMs, long seed) {
    @Override
    public String toString() {
      return "Llm[provider=" + provider + ", baseUrl=" + baseUrl + ", model=" + model + ", apiKey="
          + (apiKey.isEmpty() ? "" : "****") + ", timeoutMs=" + timeoutMs + ", maxRetries=" + maxRetries + "]";
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
    String key = r.string("llm.api_key").trim();
    URI base;
    try {
      base = URI.create(r.nonBlank("llm.base_url"));
      if (!"http".equals(base.getScheme()) && !"https".equals(base.getScheme()) || base.getHost() == null) {
        r.problem("llm.base_url", "an http(s) URL such as https://api.openai.com/v1");
      }
    } catch (IllegalArgumentException e) {
      base = URI.create("http://invalid");
      r.problem("llm.base_url", "an http(s) URL such as https://api.openai.com/v1");
    }
    Llm llm = new Llm(r.oneOf("llm.provider", List.of("local", "openai")), base, r.nonBlank("llm.model"), key,
        r.longIn("llm.timeout_ms", 10, 600_000), r.intIn("llm.max_retries", 0, 10),
        r.intIn("llm.breaker_max_failures", 1, 1000), r.longIn("llm.breaker_reset_ms", 10, 3_600_000),
        r.longIn("llm.seed", Long.MIN_VALUE, Long.MAX_VALUE));
    return new MatchConfig(match, robots, llm);
  }
}
