package com.necpgame.mesh.config;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A topic the mesh declares (from {@code conf/topics.json}, or the file named by {@code topics.file}): partitions,
 * retention or compaction, optional replication factor, any extra topic configs, and whether it has a {@code .dlq}.
 */
public record TopicSpec(String name, int partitions, Optional<Integer> replicationFactor, Map<String, String> configs,
    boolean dlq) {

  public static final String DLQ_SUFFIX = ".dlq";
  private static final Set<String> KEYS =
      Set.of("name", "partitions", "replication_factor", "retention_hours", "cleanup_policy", "dlq", "configs");
  private static final long HOUR_MS = 3_600_000L;

  public static String dlqOf(String topic) {
    return topic + DLQ_SUFFIX;
  }

  /** The dead-letter topic declared for this topic: same partitions, 30 days of retention. */
  public TopicSpec deadLetter() {
    return new TopicSpec(dlqOf(name), partitions, replicationFactor,
        Map.of("cleanup.policy", "delete", "retention.ms", String.valueOf(720 * HOUR_MS)), false);
  }

  public static List<TopicSpec> load(Optional<Path> file) {
    String source = file.map(Path::toString).orElse("classpath:conf/topics.json");
    String text;
    try {
      if (file.isPresent()) {
        text = Files.readString(file.get());
      } else {
        try (InputStream in = TopicSpec.class.getClassLoader().getResourceAsStream("conf/topics.json")) {
          text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
      }
    } catch (IOException | NullPointerException e) {
      throw new ConfigException("topics.file: cannot read " + source + " (" + e.getMessage() + ")");
    }
    JsonObject tree;
    try {
      tree = new JsonObject(text);
    } catch (RuntimeException e) {
      throw new ConfigException("topics.file: " + source + " is not a JSON object (" + e.getMessage() + ")");
    }
    ConfigReader r = new ConfigReader(tree);
    List<TopicSpec> specs = r.items("topics").stream().map(TopicSpec::read).toList();
    specs.stream().map(TopicSpec::name).filter(n -> specs.stream().filter(s -> s.name().equals(n)).count() > 1)
        .distinct().forEach(n -> r.problem("topics", "topic \"" + n + "\" is declared more than once"));
    r.check();
    return specs;
  }

  private static TopicSpec read(ConfigReader r) {
    r.onlyKeys(KEYS);
    Map<String, String> configs = new LinkedHashMap<>();
    String policy = r.raw("cleanup_policy") == null ? "delete" : r.oneOf("cleanup_policy", List.of("delete", "compact"));
    configs.put("cleanup.policy", policy);
    if (r.raw("retention_hours") != null) {
      configs.put("retention.ms", String.valueOf(r.longIn("retention_hours", 1, 1_000_000) * HOUR_MS));
    }
    if (r.raw("configs") != null) {
      configs.putAll(r.properties("configs"));
    }
    Optional<Integer> rf = r.raw("replication_factor") == null ? Optional.empty()
        : Optional.of(r.intIn("replication_factor", 1, 32));
    return new TopicSpec(r.topicName("name"), r.intIn("partitions", 1, 10_000), rf, configs,
        r.raw("dlq") != null && r.bool("dlq"));
  }
}
