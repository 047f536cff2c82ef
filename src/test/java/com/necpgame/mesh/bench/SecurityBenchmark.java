package com.necpgame.mesh.bench;

import com.necpgame.mesh.MeshMetrics;
import com.necpgame.mesh.config.ConfigLoader;
import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.security.Principal;
import com.necpgame.mesh.security.ReservedTopics;
import com.necpgame.mesh.security.Security;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the gateway's security costs per request and per event on one thread: authenticating an API key (SHA-256 and a
 * map lookup) or an HS256 JWT (signature and claims), the endpoint ACL and request bucket, and per event the publish
 * ACL and the principal's and topic's buckets (limits high enough never to refuse). See BENCHMARKS.md.
 * <pre>mvn -B -ntp -q test-compile exec:exec \
 *     -Dexec.args="-cp %classpath org.openjdk.jmh.Main SecurityBenchmark -f 1 -wi 3 -i 5 -w 1s -r 2s"</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 5)
@Fork(1)
public class SecurityBenchmark {

  private static final String KEY = "bench-key-0123456789abcdef";
  private static final String SECRET = "bench-hmac-secret-0123456789-0123456789";

  private Vertx vertx;
  private Security security;
  private Principal principal;
  private String token;

  @Setup
  public void setUp() {
    vertx = Vertx.vertx();
    JsonObject unlimited = new JsonObject().put("requests_per_second", 10_000_000).put("request_burst", 10_000_000)
        .put("events_per_second", 100_000_000).put("event_burst", 100_000_000);
    MeshConfig mesh = ConfigLoader.load(new JsonObject().put("security", new JsonObject()
        .put("anonymous", "deny").put("rate_limits", unlimited)
        .put("topic_limits", new JsonObject().put("game.combat.events", new JsonObject()
            .put("events_per_second", 100_000_000).put("burst", 100_000_000)))
        .put("jwt", new JsonObject().put("hmac_secret", SECRET))
        .put("principals", new JsonObject().put("game-server", new JsonObject()
            .put("api_keys", new JsonArray().add(KEY)).put("publish", new JsonArray().add("game.combat.*").add("game.social.*"))
            .put("endpoints", new JsonArray().add("events").add("ws"))))), Map.of());
    security = new Security(mesh.security(), ReservedTopics.of(mesh), "bench", () -> null, new MeshMetrics());
    principal = security.authenticate(KEY, null).result();
    token = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256")
        .setBuffer(SECRET))).generateToken(new JsonObject().put("sub", "game-server")
        .put("exp", System.currentTimeMillis() / 1000 + 86_400), new JWTOptions().setAlgorithm("HS256"));
  }

  @TearDown
  public void tearDown() {
    vertx.close();
  }

  /** One request with an API key: authenticate, endpoint ACL, request bucket. */
  @Benchmark
  public long requestWithApiKey() {
    Principal p = security.authenticate(KEY, null).result();
    return p.acl().mayCall("events") ? p.requests().tryTake(1, System.nanoTime()) : -1;
  }

  /** One request with an HS256 JWT: verify, look up the principal, endpoint ACL, request bucket. */
  @Benchmark
  public long requestWithJwt() {
    Principal p = security.authenticate(null, token).result();
    return p.acl().mayCall("events") ? p.requests().tryTake(1, System.nanoTime()) : -1;
  }

  /** One event: publish ACL, the principal's event bucket, the topic's producer limit. */
  @Benchmark
  public long eventAdmission() {
    long now = System.nanoTime();
    return principal.acl().mayPublish("game.combat.events")
        ? principal.events().tryTake(1, now) + security.topicBucket("game.combat.events").tryTake(1, now) : -1;
  }
}
