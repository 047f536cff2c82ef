package com.necpgame.mesh.security;

import com.necpgame.mesh.MeshMetrics;
import com.necpgame.mesh.config.SecurityConfig;
import io.micrometer.core.instrument.FunctionCounter;
import com.necpgame.mesh.config.SecurityConfig.PrincipalSpec;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's security for one process: who a request is (an API key, a JWT, or anonymous where that is accepted),
 * what its principal may do, the token buckets of principals and topics, and the audit log. One instance is shared by
 * every gateway verticle of a process, so limits hold per process, not per event loop.
 */
public final class Security {

  private static final Logger LOG = LoggerFactory.getLogger(Security.class);
  public static final String API_KEY = "api_key";
  public static final String JWT = "jwt";

  private final SecurityConfig config;
  private final Map<String, Principal> principals = new HashMap<>();
  private final Map<String, Principal> byKeyHash = new HashMap<>();
  private final Principal anonymous;
  private final JwtVerifier jwt;
  private final Map<String, TokenBucket> topicBuckets = new ConcurrentHashMap<>();
  private final AuditLog audit;
  private final MeshMetrics metrics;
  private final ReservedTopics reserved;

  /** {@code reserved}: the topics no client may write ({@link ReservedTopics#of}). */
  public Security(SecurityConfig config, ReservedTopics reserved, String source,
      Supplier<Producer<String, byte[]>> producer, MeshMetrics metrics) {
    this.config = config;
    this.reserved = reserved;
    this.metrics = metrics;
    long now = System.nanoTime();
    for (PrincipalSpec spec : config.principals().values()) {
      Principal p = Principal.of(spec.name(), API_KEY, acl(spec), spec.limits(), now);
      principals.put(spec.name(), p);
      for (String key : spec.apiKeys()) {
        byKeyHash.put(key.startsWith("sha256:") ? key.substring("sha256:".length()) : sha256(key), p);
      }
    }
    Principal configured = principals.get(SecurityConfig.ANONYMOUS);
    anonymous = configured != null ? configured.via(SecurityConfig.ANONYMOUS)
        : Principal.of(SecurityConfig.ANONYMOUS, SecurityConfig.ANONYMOUS, Acl.ALL, config.limits(), now);
    config.topicLimits().forEach((topic, limit) -> {
      TokenBucket bucket = Principal.bucket(limit.eventsPerSecond(), limit.burst(), now);
      if (bucket != null) {
        topicBuckets.put(topic, bucket);
      }
    });
    jwt = config.jwt().enabled() ? jwtVerifier(config.jwt()) : null;
    audit = new AuditLog(producer, config.audit().topic(), source,
        new TokenBucket(config.audit().maxPerSecond(), config.audit().maxPerSecond(), now),
        new TokenBucket(config.audit().maxPerSecond(), config.audit().maxPerSecond(), now));
    FunctionCounter.builder("event_bus_audit_dropped_total", audit, AuditLog::dropped)
        .description("Audit events not written because security.audit.max_per_second was reached")
        .register(metrics.registry());
  }

  public static Acl acl(PrincipalSpec spec) {
    return new Acl(spec.publish(), spec.subscribe(), spec.endpoints(), spec.admin(), spec.sharedSubscribe());
  }

  /** The ACL of anonymous requests: {@code principals.anonymous}'s if configured, else {@link Acl#ALL}. */
  public static Acl anonymousAcl(SecurityConfig config) {
    PrincipalSpec configured = config.principals().get(SecurityConfig.ANONYMOUS);
    return configured != null ? acl(configured) : Acl.ALL;
  }

  /** Counts a refusal ({@link MeshMetrics#securityRefusal}). */
  public void refused(String outcome, String scope) {
    metrics.securityRefusal(outcome, scope);
  }

  public SecurityConfig config() {
    return config;
  }

  public AuditLog audit() {
    return audit;
  }

  /** The topics no client may write ({@link ReservedTopics}). */
  public ReservedTopics reserved() {
    return reserved;
  }

  /** Who requests without credentials act as: {@code principals.anonymous} if configured, else allowed everything. */
  public Principal anonymous() {
    return anonymous;
  }

  public boolean isPublic(String path) {
    return config.publicPaths().contains(path);
  }

  /**
   * The principal of a request: from its API key, else from its bearer token (a JWT where JWTs are configured, else
   * taken as an API key), else anonymous where that is accepted. Fails with {@link AuthenticationException}.
   */
  public Future<Principal> authenticate(String apiKey, String bearer) {
    if (apiKey != null) {
      return byApiKey(apiKey);
    }
    if (bearer != null) {
      return jwt != null && bearer.chars().filter(c -> c == '.').count() == 2 ? byJwt(bearer) : byApiKey(bearer);
    }
    return config.anonymousAccepted() ? Future.succeededFuture(anonymous)
        : Future.failedFuture(new AuthenticationException("credentials required: send X-API-Key or "
            + "Authorization: Bearer", null));
  }

  private Future<Principal> byApiKey(String key) {
    Principal p = byKeyHash.get(sha256(key));
    return p != null ? Future.succeededFuture(p)
        : Future.failedFuture(new AuthenticationException("the API key is not valid", null));
  }

  private Future<Principal> byJwt(String token) {
    JsonObject claims;
    try {
      claims = jwt.verify(token, System.currentTimeMillis() / 1000);
    } catch (AuthenticationException e) {
      return Future.failedFuture(e);
    }
    Object name = claims.getValue(config.jwt().principalClaim());
    Principal p = name instanceof String s ? principals.get(s) : null;
    Object player = claims.getValue(config.jwt().playerClaim());
    if (p != null && player != null && !(player instanceof String s && !s.isBlank())) {
      return Future.failedFuture(new AuthenticationException("the token's " + config.jwt().playerClaim()
          + " must be a non-empty string", (String) name));
    }
    return p != null ? Future.succeededFuture(player == null ? p.via(JWT).until(claims.getLong("exp"))
        : p.via(JWT).until(claims.getLong("exp")).forPlayer((String) player))
        : Future.failedFuture(new AuthenticationException("the token's " + config.jwt().principalClaim()
            + " names no configured principal", name instanceof String s ? s : null));
  }

  /** The producer limit of a topic in this process, or null when it has none. */
  public TokenBucket topicBucket(String topic) {
    return topicBuckets.get(topic);
  }

  /** The endpoint group of a request path, which ACLs name: {@code /events/publish} is {@code events}. */
  public static String endpointOf(String path) {
    String first = path.length() <= 1 ? "" : path.substring(1).split("/", 2)[0];
    return switch (first) {
      case "deliveries" -> "subscriptions";
      case "metrics" -> "stats";
      case "openapi.json" -> "docs";
      default -> first;
    };
  }

  public static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The verifier of the keys that loaded (the config refused a source none loaded from); skipped JWKs logged. */
  private static JwtVerifier jwtVerifier(SecurityConfig.Jwt cfg) {
    JwtKeys keys = JwtKeys.load(cfg.hmacSecret(), cfg.publicKeyFile(), cfg.algorithm(), cfg.jwksFile());
    keys.skipped().forEach(why -> LOG.warn("security.jwt.jwks_file: JWK skipped, {}", why));
    LOG.info("JWTs verified with {} key(s): {}", keys.keys().size(), keys.keys().stream()
        .map(k -> (k.kid() == null ? k.source() : "kid " + k.kid()) + " " + k.alg()).toList());
    return new JwtVerifier(keys.keys(), cfg.issuer(), cfg.audience(), cfg.maxLifetimeS());
  }
}
