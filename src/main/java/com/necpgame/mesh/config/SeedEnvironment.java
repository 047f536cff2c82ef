package com.necpgame.mesh.config;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The environment variables of the seed's Event Bus Service ({@code event-bus-service.md}, "Environment Variables")
 * and of the Kafka core's configuration reference ({@code kafka-release-notes.md}), honoured as aliases of the mesh's
 * keys so that a team moving from the seed's service is not silently ignored.
 *
 * <p>Precedence, lowest first: {@code conf/default.json}, the user's file, these aliases, the {@code MESH_*}
 * variables. So an explicitly set {@code MESH_*} variable wins over its seed alias; where two aliases set one key
 * (like {@code KAFKA_BROKERS} and {@code KAFKA_BOOTSTRAP_SERVERS}), the one listed first in {@link #ALIASES} wins.
 * The seed's variables the mesh has no equivalent of are listed in {@link #NOT_APPLICABLE}; when set, start-up logs
 * each with the reason it does not apply ({@link #notices}).
 */
public final class SeedEnvironment {

  /** How a seed value becomes the mesh's: Go durations ({@code 30s}, {@code 168h}) become the key's unit. */
  public enum Kind { TEXT, INTEGER, BOOLEAN, MILLISECONDS, HOURS }

  /** One alias: the seed's variable, the key it sets ({@code path} split where a Kafka property holds dots). */
  public record Alias(String variable, List<String> path, Kind kind) {
    public String key() {
      return String.join(".", path);
    }
  }

  private static Alias alias(String variable, String key, Kind kind) {
    return new Alias(variable, List.of(key.split("\\.")), kind);
  }

  private static Alias property(String variable, String block, String property) {
    List<String> path = new ArrayList<>(List.of(block.split("\\.")));
    path.add(property);
    return new Alias(variable, List.copyOf(path), Kind.TEXT);
  }

  /** Every alias; for one key, the first listed that is set wins. */
  public static final List<Alias> ALIASES = List.of(
      alias("EVENT_BUS_PORT", "http.port", Kind.INTEGER),
      alias("HTTP_PORT", "http.port", Kind.INTEGER),
      alias("EVENT_BUS_ENCRYPTION_ENABLED", "http.tls.enabled", Kind.BOOLEAN),
      alias("GRACEFUL_SHUTDOWN_TIMEOUT", "shutdown.grace_ms", Kind.MILLISECONDS),
      alias("KAFKA_BROKERS", "kafka.bootstrap_servers", Kind.TEXT),
      alias("KAFKA_BOOTSTRAP_SERVERS", "kafka.bootstrap_servers", Kind.TEXT),
      alias("KAFKA_CLIENT_ID", "kafka.client_id", Kind.TEXT),
      alias("KAFKA_GROUP_ID", "kafka.consumer.group_prefix", Kind.TEXT),
      alias("KAFKA_SESSION_TIMEOUT", "kafka.consumer.session_timeout_ms", Kind.MILLISECONDS),
      alias("KAFKA_HEARTBEAT_INTERVAL", "kafka.consumer.heartbeat_interval_ms", Kind.MILLISECONDS),
      property("KAFKA_SECURITY_PROTOCOL", "kafka.properties", "security.protocol"),
      property("KAFKA_SASL_MECHANISM", "kafka.properties", "sasl.mechanism"),
      property("KAFKA_SSL_TRUSTSTORE_LOCATION", "kafka.properties", "ssl.truststore.location"),
      alias("EVENT_BUS_BATCH_SIZE", "delivery.webhook.batch_size", Kind.INTEGER),
      alias("EVENT_BUS_MAX_RETRY_ATTEMPTS", "bridge.retry.max_attempts", Kind.INTEGER),
      alias("EVENT_BUS_RETRY_BACKOFF", "bridge.retry.backoff_ms", Kind.MILLISECONDS),
      alias("EVENT_BUS_DEFAULT_PARTITIONS", "topics.default_partitions", Kind.INTEGER),
      alias("EVENT_BUS_DEFAULT_REPLICAS", "topics.default_replication_factor", Kind.INTEGER),
      alias("EVENT_BUS_EVENT_RETENTION_PERIOD", "kafka.embedded.retention_hours", Kind.HOURS),
      alias("EVENT_BUS_EVENT_RETENTION_PERIOD", "store.retention_hours", Kind.HOURS),
      alias("EVENT_BUS_DEAD_LETTER_TOPIC", "delivery.dead_letter_topic", Kind.TEXT));

  /** {@code EVENT_BUS_RATE_LIMIT_EVENTS} per {@code EVENT_BUS_RATE_LIMIT_WINDOW} (1m when unset), rounded up per second. */
  public static final String RATE_EVENTS = "EVENT_BUS_RATE_LIMIT_EVENTS";
  public static final String RATE_WINDOW = "EVENT_BUS_RATE_LIMIT_WINDOW";
  /** Requests per minute, rounded up per second: {@code security.rate_limits.requests_per_second}. */
  public static final String RATE_REQUESTS = "RATE_LIMIT_REQUESTS_PER_MINUTE";

  /** The seed's variables the mesh has no setting for, with why; when set they are logged, not applied. */
  public static final Map<String, String> NOT_APPLICABLE = notApplicable();

  private static Map<String, String> notApplicable() {
    Map<String, String> m = new LinkedHashMap<>();
    String timeouts = "the mesh bounds each request by bridge.request_timeout_ms and closes idle sockets by "
        + "websocket.idle_timeout_ms; it has no HTTP read, write or idle timeout of its own";
    m.put("EVENT_BUS_READ_TIMEOUT", timeouts);
    m.put("EVENT_BUS_WRITE_TIMEOUT", timeouts);
    m.put("EVENT_BUS_IDLE_TIMEOUT", timeouts);
    m.put("KAFKA_AUTO_OFFSET_RESET", "each consumer of the mesh chooses where it starts (the store and the delivery "
        + "from the earliest offset, so nothing published before their first start is missed)");
    m.put("KAFKA_ENABLE_AUTO_COMMIT", "the mesh commits offsets itself, after the events were stored or delivered");
    m.put("EVENT_BUS_WORKER_POOL_SIZE", "the mesh sizes its event loops by the cores and its database work by "
        + "database.pool_size");
    m.put("EVENT_BUS_EVENT_BUFFER_SIZE", "the mesh keeps no in-memory event buffer between the API and Kafka; the "
        + "producer's is kafka.producer.buffer_memory");
    m.put("METRICS_PORT", "metrics are served on the HTTP port, at /metrics");
    for (String v : List.of("COMBAT_CONSUMER_WORKERS", "ECONOMY_CONSUMER_WORKERS", "SOCIAL_CONSUMER_WORKERS",
        "SYSTEM_CONSUMER_WORKERS")) {
      m.put(v, "a setting of the game services consuming the topics, not of the mesh");
    }
    for (String v : List.of("UDP_LISTEN_ADDR", "WEBSOCKET_ADDR", "SPATIAL_GRID_SIZE", "ADAPTIVE_TICK_RATE_ENABLED",
        "DELTA_COMPRESSION_ENABLED", "BATCH_UPDATE_SIZE", "CLIENT_CERT_REQUIRED")) {
      m.put(v, "a setting of the seed's real-time gateway, a separate service; the mesh's WebSocket is served on "
          + "http.port");
    }
    return java.util.Collections.unmodifiableMap(m);
  }

  /** A Kubernetes service link ({@code EVENT_BUS_PORT=tcp://10.0.0.5:8083}), which is not a setting. */
  private static final Pattern SERVICE_LINK = Pattern.compile("(tcp|udp|sctp)://.*");
  private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

  private SeedEnvironment() {}

  /** Applies the aliases set in {@code env} to {@code tree}; a value that cannot be read is a problem naming it. */
  static void overlay(JsonObject tree, Map<String, String> env, List<String> problems) {
    Set<String> set = new HashSet<>();
    for (Alias a : ALIASES) {
      String value = env.get(a.variable());
      if (value == null || set.contains(a.key()) || serviceLink(a, value)) {
        continue;
      }
      Object typed = typed(a, value, problems);
      if (typed != null) {
        put(tree, a.path(), typed);
        set.add(a.key());
      }
    }
    String events = env.get(RATE_EVENTS);
    if (events != null) {
      Long perWindow = integer(RATE_EVENTS, "security.rate_limits.events_per_second", events, problems);
      String window = env.getOrDefault(RATE_WINDOW, "1m");
      Long windowMs = durationMs(window);
      if (windowMs == null || windowMs <= 0) {
        problems.add(RATE_WINDOW + ": expected a duration such as 1m or 10s, got \"" + window + "\"");
      } else if (perWindow != null) {
        put(tree, List.of("security", "rate_limits", "events_per_second"), perSecond(perWindow, windowMs));
      }
    }
    String requests = env.get(RATE_REQUESTS);
    if (requests != null) {
      Long perMinute = integer(RATE_REQUESTS, "security.rate_limits.requests_per_second", requests, problems);
      if (perMinute != null) {
        put(tree, List.of("security", "rate_limits", "requests_per_second"), perSecond(perMinute, 60_000));
      }
    }
  }

  /** What start-up logs about the seed's variables set in {@code env}: each alias applied, overridden or ignored. */
  public static List<String> notices(Map<String, String> env) {
    List<String> notices = new ArrayList<>();
    Map<String, String> mesh = new LinkedHashMap<>();
    ConfigLoader.ENVIRONMENT.forEach((name, key) -> {
      if (env.containsKey(name)) {
        mesh.put(key, name);
      }
    });
    Set<String> set = new HashSet<>();
    for (Alias a : ALIASES) {
      String value = env.get(a.variable());
      if (value == null) {
        continue;
      }
      if (serviceLink(a, value)) {
        notices.add(a.variable() + " looks like a Kubernetes service link (" + value + "), not a setting: ignored "
            + "(enableServiceLinks: false in the pod spec avoids it)");
      } else if (mesh.containsKey(a.key())) {
        notices.add(a.variable() + " is ignored: " + mesh.get(a.key()) + " sets " + a.key());
      } else if (!set.add(a.key())) {
        notices.add(a.variable() + " is ignored: an alias listed before it already sets " + a.key());
      } else {
        notices.add(a.variable() + " sets " + a.key() + " (seed alias)");
      }
    }
    NOT_APPLICABLE.forEach((name, why) -> {
      if (env.containsKey(name)) {
        notices.add(name + " is ignored: " + why);
      }
    });
    return notices;
  }

  /** Milliseconds of a Go duration ({@code 1h30m}, {@code 500ms}, {@code 10s}), or null when it is not one. */
  static Long durationMs(String text) {
    String s = text.trim();
    if (s.isEmpty()) {
      return null;
    }
    if (s.chars().allMatch(Character::isDigit)) {
      return null; // Go requires a unit; a bare number is ambiguous
    }
    Matcher m = DURATION.matcher(s);
    double ms = 0;
    int at = 0;
    while (m.find() && m.start() == at) {
      double n = Double.parseDouble(m.group(1));
      ms += n * switch (m.group(2)) {
        case "ns" -> 1e-6;
        case "us", "µs" -> 1e-3;
        case "ms" -> 1;
        case "s" -> 1_000;
        case "m" -> 60_000;
        default -> 3_600_000;
      };
      at = m.end();
    }
    return at == s.length() ? Math.round(ms) : null;
  }

  private static boolean serviceLink(Alias a, String value) {
    return a.kind() == Kind.INTEGER && SERVICE_LINK.matcher(value.trim()).matches();
  }

  private static long perSecond(long count, long windowMs) {
    return (count * 1000 + windowMs - 1) / windowMs;
  }

  private static Object typed(Alias a, String value, List<String> problems) {
    return switch (a.kind()) {
      case TEXT -> value;
      case INTEGER -> integer(a.variable(), a.key(), value, problems);
      case BOOLEAN -> {
        if (value.trim().equalsIgnoreCase("true") || value.trim().equalsIgnoreCase("false")) {
          yield Boolean.parseBoolean(value.trim());
        }
        problems.add(a.variable() + " (alias of " + a.key() + "): expected true or false, got \"" + value + "\"");
        yield null;
      }
      case MILLISECONDS, HOURS -> {
        Long ms = durationMs(value);
        if (ms == null) {
          problems.add(a.variable() + " (alias of " + a.key() + "): expected a duration such as 30s, 1m or 168h, "
              + "got \"" + value + "\"");
          yield null;
        }
        yield a.kind() == Kind.MILLISECONDS ? ms : (ms + 3_599_999) / 3_600_000;
      }
    };
  }

  private static Long integer(String variable, String key, String value, List<String> problems) {
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      problems.add(variable + " (alias of " + key + "): expected an integer, got \"" + value + "\"");
      return null;
    }
  }

  private static void put(JsonObject tree, List<String> path, Object value) {
    JsonObject node = tree;
    for (int i = 0; i < path.size() - 1; i++) {
      node = node.getJsonObject(path.get(i));
    }
    node.put(path.get(path.size() - 1), value);
  }
}
