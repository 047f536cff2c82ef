package com.necpgame.mesh.config;

import com.necpgame.mesh.security.JwtKeys;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Who may use the gateway ({@code security.*}): principals with their API keys, ACLs and rate limits, how JWTs are
 * verified, whether requests without credentials are accepted, the per-topic producer limits and where audit events
 * go. Secrets (API keys, the JWT HMAC secret) never appear in {@link #toString()}.
 */
public record SecurityConfig(
    Anonymous anonymous,
    boolean anonymousAccepted,
    List<String> publicPaths,
    Map<String, PrincipalSpec> principals,
    Jwt jwt,
    Limits limits,
    Map<String, TopicLimit> topicLimits,
    Audit audit,
    Browsers browsers,
    List<String> reservedTopics,
    Quotas quotas) {

  /** Requests without credentials: accepted while HTTP binds loopback only (the default), always, or never. */
  public enum Anonymous { LOOPBACK, ALLOW, DENY }

  /** The principal requests without credentials act as, when accepted; its ACL is {@code principals.anonymous}. */
  public static final String ANONYMOUS = "anonymous";

  /** The endpoint groups an ACL names ({@code endpoints}); {@code *} is all of them. */
  public static final Set<String> ENDPOINTS = Set.of("events", "ws", "topics", "subscriptions", "replay", "dlq",
      "stats", "market", "diplomacy", "crowd", "matches", "robots", "console", "docs");

  private static final Set<String> PRINCIPAL_KEYS = Set.of("api_keys", "publish", "subscribe", "endpoints",
      "requests_per_second", "request_burst", "events_per_second", "event_burst", "admin", "shared_subscribe");

  /**
   * One principal: its API keys (clear text or {@code sha256:<hex>}), the topic globs it may publish to and subscribe
   * to, the endpoint groups it may call, its rate limits, and whether it is an admin (sees and changes every
   * principal's subscriptions, replay jobs and dead letters, not only its own); {@code sharedSubscribe}: the topic
   * globs its players (JWTs with {@code security.jwt.player_claim}) may stream whole, not only their own channel.
   */
  public record PrincipalSpec(String name, List<String> apiKeys, List<String> publish, List<String> subscribe,
      List<String> endpoints, Limits limits, boolean admin, List<String> sharedSubscribe) {
    @Override
    public String toString() {
      return "PrincipalSpec[name=" + name + ", apiKeys=" + apiKeys.size() + " (masked), publish=" + publish
          + ", subscribe=" + subscribe + ", endpoints=" + endpoints + ", limits=" + limits + ", admin=" + admin
          + ", sharedSubscribe=" + sharedSubscribe + "]";
    }
  }

  /** Token buckets of one principal: requests and events per second (0 is unlimited) and how many at once. */
  public record Limits(double requestsPerSecond, double requestBurst, double eventsPerSecond, double eventBurst) {}

  /** A producer limit for one topic in one process: events per second and burst (the seed's producer_limits). */
  public record TopicLimit(double eventsPerSecond, double burst) {}

  /**
   * JWT verification: an HMAC secret (HS256), a PEM public key file with its algorithm, or a JWKS file; the issuer and
   * audience required (empty: not checked), and the claim naming the principal.
   */
  public record Jwt(String hmacSecret, Optional<Path> publicKeyFile, String algorithm, Optional<Path> jwksFile,
      String issuer, String audience, String principalClaim, long maxLifetimeS, String playerClaim) {
    public boolean enabled() {
      return !hmacSecret.isEmpty() || publicKeyFile.isPresent() || jwksFile.isPresent();
    }

    @Override
    public String toString() {
      return "Jwt[hmacSecret=" + (hmacSecret.isEmpty() ? "" : "****") + ", publicKeyFile=" + publicKeyFile
          + ", algorithm=" + algorithm + ", jwksFile=" + jwksFile + ", issuer=" + issuer + ", audience=" + audience
          + ", principalClaim=" + principalClaim + ", maxLifetimeS=" + maxLifetimeS + ", playerClaim=" + playerClaim
          + "]";
    }
  }

  /** Where audit events go and at most how many a second a process writes (the rest are counted, not written). */
  public record Audit(String topic, double maxPerSecond) {}

  /**
   * What browsers may reach: the origins (besides the gateway's own) whose pages may open WebSockets and send requests
   * ({@code security.allowed_origins}), and the {@code Host} names requests must carry while anonymous requests are
   * accepted on loopback ({@code security.allowed_hosts}; {@code checkHost}), against DNS rebinding.
   */
  public record Browsers(List<String> allowedOrigins, List<String> allowedHosts, boolean checkHost) {}

  /** What one principal may own at most: subscriptions ({@code security.quotas.subscriptions_per_principal}). */
  public record Quotas(int subscriptionsPerPrincipal) {}

  static SecurityConfig from(ConfigReader r, String httpHost) {
    Anonymous anonymous = r.enumOf("security.anonymous", Anonymous.class, Anonymous.LOOPBACK);
    List<String> publicPaths = strings(r, "security.public_paths", p -> p.startsWith("/"), "paths starting with /");
    Limits defaults = new Limits(r.longIn("security.rate_limits.requests_per_second", 0, 10_000_000),
        r.longIn("security.rate_limits.request_burst", 1, 10_000_000),
        r.longIn("security.rate_limits.events_per_second", 0, 100_000_000),
        r.longIn("security.rate_limits.event_burst", 1, 100_000_000));
    Map<String, PrincipalSpec> principals = new LinkedHashMap<>();
    for (String name : r.object("security.principals").fieldNames()) {
      ConfigReader entry = r.entry("security.principals", name);
      if (!name.matches("[A-Za-z0-9._@:-]{1,100}")) {
        r.problem("security.principals." + name, "a principal name is 1-100 of A-Z a-z 0-9 . _ @ : -");
      }
      if (entry != null) {
        principals.put(name, principal(entry, name, defaults));
      }
    }
    Map<String, TopicLimit> topicLimits = new LinkedHashMap<>();
    for (String topic : r.object("security.topic_limits").fieldNames()) {
      if (!topic.matches("[a-zA-Z0-9._-]{1,249}")) {
        r.problem("security.topic_limits." + topic, "expected a Kafka topic name");
      }
      ConfigReader entry = r.entry("security.topic_limits", topic);
      if (entry != null) {
        topicLimits.put(topic, new TopicLimit(entry.longIn("events_per_second", 0, 100_000_000),
            entry.longIn("burst", 1, 100_000_000)));
      }
    }
    Jwt jwt = new Jwt(r.string("security.jwt.hmac_secret"), r.optionalPath("security.jwt.public_key_file"),
        r.oneOf("security.jwt.algorithm", List.of("RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256")),
        r.optionalPath("security.jwt.jwks_file"), r.string("security.jwt.issuer"),
        r.string("security.jwt.audience"), r.nonBlank("security.jwt.principal_claim"),
        r.longIn("security.jwt.max_lifetime_s", 1, 31_536_000), r.nonBlank("security.jwt.player_claim"));
    if (!jwt.hmacSecret().isEmpty() && jwt.hmacSecret().length() < 32) {
      r.problem("security.jwt.hmac_secret", "must have at least 32 characters (HS256 needs a 256-bit secret)");
    }
    jwt.publicKeyFile().filter(p -> !Files.isReadable(p)).ifPresent(p ->
        r.problem("security.jwt.public_key_file", "cannot read " + p));
    jwt.jwksFile().filter(p -> !Files.isReadable(p)).ifPresent(p ->
        r.problem("security.jwt.jwks_file", "cannot read " + p));
    if (jwt.enabled() && jwt.publicKeyFile().map(Files::isReadable).orElse(true)
        && jwt.jwksFile().map(Files::isReadable).orElse(true)) {
      jwtKeys(r, jwt);
    }
    Audit audit = new Audit(r.topicName("security.audit.topic"), r.longIn("security.audit.max_per_second", 1, 1_000_000));
    List<String> reserved = globs(r, "security.reserved_topics");
    Quotas quotas = new Quotas(r.intIn("security.quotas.subscriptions_per_principal", 1, 1_000_000));

    boolean accepted = switch (anonymous) {
      case ALLOW -> true;
      case DENY -> false;
      case LOOPBACK -> MeshConfig.isLoopback(httpHost);
    };
    boolean anyCredential = jwt.enabled() || principals.values().stream().anyMatch(p -> !p.apiKeys().isEmpty());
    if (!accepted && !anyCredential) {
      r.problem("security", "clients must authenticate (security.anonymous is " + anonymous.name().toLowerCase()
          + (anonymous == Anonymous.LOOPBACK ? " and http.host " + httpHost + " is not a loopback address" : "")
          + ") but no principal has api_keys and security.jwt has no key: configure one, or bind http.host to "
          + "127.0.0.1");
    }
    List<String> origins = strings(r, "security.allowed_origins",
        o -> o.equals("null") || o.matches("https?://[^/?#@\\s]+"),
        "origins like https://console.example.com:8443 (scheme, host and port, no path)");
    List<String> hosts = strings(r, "security.allowed_hosts",
        h -> h.matches("[A-Za-z0-9.-]{1,253}|\\[[0-9A-Fa-f:.]{2,45}]"),
        "host names or addresses without a port (IPv6 in brackets: [::1])");
    Browsers browsers = new Browsers(origins, hosts, accepted && MeshConfig.isLoopback(httpHost));
    return new SecurityConfig(anonymous, accepted, publicPaths, principals, jwt, defaults, topicLimits, audit,
        browsers, reserved, quotas);
  }

  /**
   * A JWT source is configured: at least one verification key must load from each (vertx-auth-jwt without keys accepts
   * unsigned tokens), else start-up stops naming the setting and every key skipped with why.
   */
  private static void jwtKeys(ConfigReader r, Jwt jwt) {
    try {
      JwtKeys keys = JwtKeys.load(jwt.hmacSecret(), jwt.publicKeyFile(), jwt.algorithm(), jwt.jwksFile());
      if (jwt.jwksFile().isPresent()
          && keys.keys().stream().noneMatch(k -> k.source().equals("security.jwt.jwks_file"))) {
        r.problem("security.jwt.jwks_file", jwt.jwksFile().orElseThrow() + " holds no key that verifies "
            + "signatures" + (keys.skipped().isEmpty() ? " (its \"keys\" array is empty)" : "; skipped: "
            + String.join("; ", keys.skipped())) + ". Put the identity provider's signature keys (use \"sig\", "
            + "kty RSA, EC or oct) there, or remove security.jwt.jwks_file");
      }
    } catch (IllegalArgumentException e) {
      String message = e.getMessage();
      int colon = message.indexOf(": ");
      r.problem(message.substring(0, colon), message.substring(colon + 2));
    }
  }

  private static PrincipalSpec principal(ConfigReader r, String name, Limits defaults) {
    r.onlyKeys(PRINCIPAL_KEYS);
    List<String> keys = optionalStrings(r, "api_keys");
    keys.stream().filter(k -> k.startsWith("sha256:") ? !k.matches("sha256:[0-9a-f]{64}") : k.length() < 16)
        .findFirst().ifPresent(k -> r.problem("api_keys", "an API key has at least 16 characters, or is "
            + "sha256:<64 lower-case hex digits> (the key itself is not shown)"));
    List<String> publish = globs(r, "publish");
    List<String> subscribe = globs(r, "subscribe");
    List<String> endpoints = optionalStrings(r, "endpoints");
    endpoints.stream().filter(e -> !e.equals("*") && !ENDPOINTS.contains(e)).forEach(e ->
        r.problem("endpoints", "unknown endpoint group \"" + e + "\"; expected * or any of "
            + ENDPOINTS.stream().sorted().toList()));
    Limits limits = new Limits(limit(r, "requests_per_second", defaults.requestsPerSecond()),
        Math.max(1, limit(r, "request_burst", defaults.requestBurst())),
        limit(r, "events_per_second", defaults.eventsPerSecond()),
        Math.max(1, limit(r, "event_burst", defaults.eventBurst())));
    boolean admin = r.raw("admin") != null && r.bool("admin");
    return new PrincipalSpec(name, keys, publish, subscribe, endpoints, limits, admin, globs(r, "shared_subscribe"));
  }

  private static double limit(ConfigReader r, String key, double fallback) {
    return r.raw(key) == null ? fallback : r.longIn(key, 0, 100_000_000);
  }

  private static List<String> globs(ConfigReader r, String key) {
    return r.raw(key) == null ? List.of() : strings(r, key, g -> g.matches("[a-zA-Z0-9._*?-]{1,249}"),
        "topic names or globs (a-z A-Z 0-9 . _ - * ?)");
  }

  private static List<String> optionalStrings(ConfigReader r, String key) {
    return r.raw(key) == null ? List.of() : strings(r, key);
  }

  /** The strings of the array at {@code key}; each that is not {@code valid} is a problem. */
  private static List<String> strings(ConfigReader r, String key, Predicate<String> valid, String expected) {
    List<String> out = strings(r, key);
    out.stream().filter(valid.negate()).forEach(s -> r.problem(key, expected, s, null));
    return out;
  }

  private static List<String> strings(ConfigReader r, String key) {
    List<String> out = new java.util.ArrayList<>();
    for (Object item : r.array(key)) {
      if (item instanceof String s) {
        out.add(s);
      } else {
        r.problem(key, "expected an array of strings");
        break;
      }
    }
    return List.copyOf(out);
  }
}
