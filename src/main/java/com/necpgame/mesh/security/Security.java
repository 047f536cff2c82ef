package com.necpgame.mesh.security;

import com.necpgame.mesh.MeshMetrics;
import com.necpgame.mesh.config.SecurityConfig;
import io.micrometer.core.instrument.FunctionCounter;
import com.necpgame.mesh.config.SecurityConfig.PrincipalSpec;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.Producer;

/**
 * The gateway's security for one process: who a request is (an API key, a JWT, or anonymous where that is accepted),
 * what its principal may do, the token buckets of principals and topics, and the audit log. One instance is shared by
 * every gateway verticle of a process, so limits hold per process, not per event loop.
 */
public final class Security {

  public static final String API_KEY = "api_key";
  public static final String JWT = "jwt";

  private final SecurityConfig config;
  private final Map<String, Principal> principals = new HashMap<>();
  private final Map<String, Principal> byKeyHash = new HashMap<>();
  private final Principal anonymous;
  private final JWTAuth jwt;
  private final Map<String, TokenBucket> topicBuckets = new ConcurrentHashMap<>();
  private final AuditLog audit;
  private final MeshMetrics metrics;
  private final ReservedTopics reserved;

  /** Without the mesh's configuration only the audit topic, dead-letter and Kafka's own topics are reserved. */
  public Security(Vertx vertx, SecurityConfig config, String source, Supplier<Producer<String, byte[]>> producer,
      MeshMetrics metrics) {
    this(vertx, config, new ReservedTopics(java.util.Set.of(config.audit().topic()), config.reservedTopics()), source,
        producer, metrics);
  }

  public Security(Vertx vertx, SecurityConfig config, ReservedTopics reserved, String source,
      Supplier<Producer<String, byte[]>> producer, MeshMetrics metrics) {
    this.config = config;
    this.reserved = reserved;
    this.metrics = metrics;
    long now = System.nanoTime();
    for (PrincipalSpec spec : config.principals().values()) {
      Principal p = Principal.of(spec.name(), API_KEY, new Acl(spec.publish(), spec.subscribe(), spec.endpoints(),
          spec.admin()), spec.limits(), now);
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
    jwt = config.jwt().enabled() ? JWTAuth.create(vertx, jwtOptions(config.jwt())) : null;
    audit = new AuditLog(producer, config.audit().topic(), source,
        new TokenBucket(config.audit().maxPerSecond(), config.audit().maxPerSecond(), now),
        new TokenBucket(config.audit().maxPerSecond(), config.audit().maxPerSecond(), now));
    FunctionCounter.builder("event_bus_audit_dropped_total", audit, AuditLog::dropped)
        .description("Audit events not written because security.audit.max_per_second was reached")
        .register(metrics.registry());
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
    return jwt.authenticate(new TokenCredentials(token))
        .recover(e -> Future.failedFuture(new AuthenticationException("the token is not valid", null)))
        .compose(user -> {
          Object name = claim(user, config.jwt().principalClaim());
          Principal p = name instanceof String s ? principals.get(s) : null;
          return p != null ? Future.succeededFuture(p.via(JWT))
              : Future.failedFuture(new AuthenticationException("the token's " + config.jwt().principalClaim()
                  + " names no configured principal", name instanceof String s ? s : null));
        });
  }

  private static Object claim(User user, String name) {
    JsonObject claims = user.attributes().getJsonObject("accessToken");
    return claims == null ? user.principal().getValue(name) : claims.getValue(name);
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

  private static JWTAuthOptions jwtOptions(SecurityConfig.Jwt cfg) {
    JWTOptions verify = new JWTOptions().setLeeway(5);
    if (!cfg.issuer().isEmpty()) {
      verify.setIssuer(cfg.issuer());
    }
    if (!cfg.audience().isEmpty()) {
      verify.setAudience(List.of(cfg.audience()));
    }
    JWTAuthOptions options = new JWTAuthOptions().setJWTOptions(verify);
    if (!cfg.hmacSecret().isEmpty()) {
      options.addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(cfg.hmacSecret()));
    }
    try {
      if (cfg.publicKeyFile().isPresent()) {
        options.addPubSecKey(new PubSecKeyOptions().setAlgorithm(cfg.algorithm())
            .setBuffer(Files.readString(cfg.publicKeyFile().get())));
      }
      if (cfg.jwksFile().isPresent()) {
        JsonArray keys = new JsonObject(Files.readString(cfg.jwksFile().get())).getJsonArray("keys", new JsonArray());
        for (Object key : keys) {
          options.addJwk((JsonObject) key);
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("security.jwt: cannot read the keys: " + e.getMessage(), e);
    }
    return options;
  }
}
