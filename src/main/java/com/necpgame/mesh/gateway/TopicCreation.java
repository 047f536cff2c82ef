package com.necpgame.mesh.gateway;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.config.TopicSpec;
import com.necpgame.mesh.kafka.TopicProvisioner;
import com.necpgame.mesh.store.TopicRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Creates a topic for a principal, as {@code POST /topics} does and as a replay without a target does for its own
 * topic: the principal's quota is reserved first (topics.max_per_principal, topics.max_partitions_per_principal),
 * then the topic (and its {@code .dlq}) is created in Kafka and recorded with its owner; a reservation that did not
 * become a topic is given back. The caller checks the right to write the topic before.
 */
final class TopicCreation {

  /** Something the mesh depends on failed: {@code code} and {@code what} name it for a 503. */
  static final class Unavailable extends RuntimeException {
    final String code;

    Unavailable(String code, String what, Throwable cause) {
      super(what, cause);
      this.code = code;
    }
  }

  private final Vertx vertx;
  private final MeshContext mesh;
  private final TopicRegistry registry;
  private final Duration timeout;

  TopicCreation(Vertx vertx, MeshContext mesh, TopicRegistry registry) {
    this.vertx = vertx;
    this.mesh = mesh;
    this.registry = registry;
    this.timeout = Duration.ofMillis(mesh.config().kafka().requestTimeoutMs());
  }

  /**
   * Creates {@code topic} (the fields of {@code POST /topics}, validated) owned by {@code owner}: the recorded row;
   * fails with a {@link Publications.Refusal} (403 over quota, 409 exists) or {@link Unavailable}.
   */
  Future<JsonObject> create(JsonObject topic, String owner) {
    String name = topic.getString("name");
    TopicSpec spec = new TopicSpec(name, topic.getInteger("partitions"),
        Optional.of(topic.getInteger("replication_factor")),
        Map.of("retention.ms", String.valueOf(topic.getInteger("retention_hours") * 3_600_000L)),
        topic.getBoolean("enable_dlq"));
    var caps = mesh.config().topics();
    return registry.reserve(topic, owner, new TopicRegistry.Quota(caps.maxPerPrincipal(), caps.maxPartitionsPerPrincipal()))
        .recover(e -> Future.failedFuture(e instanceof TopicRegistry.OverQuota
            ? new Publications.Refusal(403, "quota_exceeded", e.getMessage(), null)
            : new Unavailable("database_unavailable", "the topic registry did not answer: the topic was not created", e)))
        .compose(reserved -> inKafka(topic, spec, reserved))
        .compose(v -> registry.record(topic, owner).recover(e -> Future.failedFuture(new Unavailable(
            "database_unavailable", "topic " + name + " was created in Kafka but not recorded", e))));
  }

  private Future<Void> inKafka(JsonObject topic, TopicSpec spec, boolean reserved) {
    String name = spec.name();
    int requestedRf = topic.getInteger("replication_factor");
    return vertx.<List<String>>executeBlocking(() -> {
      TopicProvisioner provisioner = new TopicProvisioner(mesh.admin(), requestedRf, timeout);
      List<String> created = provisioner.ensure(List.of(spec));
      if (created.contains(name) && spec.dlq()) {
        provisioner.ensure(List.of(spec.deadLetter()));
      }
      if (created.contains(name)) {
        int rf = provisioner.describe(List.of(name)).get(name).partitions().get(0).replicas().size();
        topic.put("replication_factor", rf);
      }
      return created;
    }, false).transform(ar -> {
      if (reserved && (ar.failed() || !ar.result().contains(name))) {
        registry.release(name);
      }
      if (ar.failed()) {
        return Future.failedFuture(new Unavailable("kafka_unavailable", "the topic was not created", ar.cause()));
      }
      return ar.result().contains(name) ? Future.succeededFuture()
          : Future.failedFuture(new Publications.Refusal(409, "topic_exists", "topic " + name + " already exists", null));
    });
  }

  /** Answers a failure of {@link #create}. */
  static void fail(io.vertx.ext.web.RoutingContext ctx, Throwable e) {
    if (e instanceof Publications.Refusal r) {
      ApiErrors.send(ctx, r);
    } else if (e instanceof Unavailable u) {
      ApiErrors.unavailable(ctx, u.code, u.getMessage(), u.getCause());
    } else {
      ApiErrors.unavailable(ctx, "database_unavailable", "the topic was not created", e);
    }
  }
}
