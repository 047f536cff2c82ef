package com.necpgame.mesh.gateway;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.delivery.ReplayJobs;
import com.necpgame.mesh.delivery.ReplayRequest;
import com.necpgame.mesh.delivery.ReplayVerticle;
import com.necpgame.mesh.envelope.EventIds;
import com.necpgame.mesh.security.Security;
import com.necpgame.mesh.store.SubscriptionRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@code POST /replay} records a replay job (a process's replay runner picks it up within moments); {@code GET
 * /replay/{replayId}/status} tells how far it got; {@code DELETE /replay/{replayId}} cancels it. The caller must be
 * allowed to read the topic replayed and to write the target topic (or own the target subscription); a job belongs to
 * the principal that created it, and is 404 to others but admins. Jobs started and cancelled are audited. Without a
 * target (the seed's body) the replay goes to a topic created for it, {@code replay.<replay_id>}, named in the answer's
 * {@code target}; the caller must be allowed to write it, and it counts in the caller's topic quota.
 */
final class ReplayRoutes {

  private final Vertx vertx;
  private final MeshContext mesh;
  private final ReplayJobs jobs;
  private final SubscriptionRegistry subscriptions;
  private final Security security;
  private final TopicCreation creation;

  ReplayRoutes(Vertx vertx, MeshContext mesh) {
    this.vertx = vertx;
    this.mesh = mesh;
    this.security = SecurityHandler.shared(vertx, mesh);
    this.jobs = new ReplayJobs(mesh.pool());
    this.subscriptions = new SubscriptionRegistry(mesh.pool(), mesh.secrets());
    this.creation = new TopicCreation(vertx, mesh, new com.necpgame.mesh.store.TopicRegistry(mesh.pool()));
  }

  void mount(Router router) {
    EventRoutes.json(router.post("/replay"), this::create);
    router.get("/replay/:replayId/status").handler(this::status);
    router.delete("/replay/:replayId").handler(this::cancel);
  }

  private void create(RoutingContext ctx, JsonObject body) {
    JsonArray problems = new JsonArray();
    ReplayRequest request = ReplayRequest.parse(body, Instant.now(), problems);
    if (request == null) {
      ApiErrors.send(ctx, 400, "invalid_replay", "the replay request is not valid", problems);
      return;
    }
    String id = EventIds.newId().toString();
    String targetTopic = request.needsOwnTopic() ? ReplayRequest.ownTopic(id) : request.targetTopic();
    if (Access.read(ctx, security, request.topic(), "replay source") != null
        || (targetTopic != null && Access.write(ctx, security, targetTopic, "replay target") != null)) {
      return;
    }
    subscriptionTarget(ctx, request).onSuccess(problem -> {
      if (problem != null) {
        ApiErrors.send(ctx, problem);
      } else {
        start(ctx, id, request);
      }
    }).onFailure(e -> ApiErrors.unavailable(ctx, "database_unavailable", "the subscription could not be read", e));
  }

  /** For a subscription target: null when it exists and can take a replay, else why not. */
  private Future<Publications.Refusal> subscriptionTarget(RoutingContext ctx, ReplayRequest request) {
    String id = request.targetSubscription();
    if (id == null) {
      return Future.succeededFuture();
    }
    JsonArray at = new JsonArray().add(new JsonObject().put("pointer", "/target/subscription"));
    return subscriptions.get(id).map(s -> s == null || !Access.sees(SecurityHandler.principal(ctx), s.getString("owner"))
        ? new Publications.Refusal(404, "subscription_not_found", "no subscription " + id, at)
        : "websocket".equals(s.getString("method"))
            ? new Publications.Refusal(400, "invalid_replay", "a websocket subscription cannot take a replay; use a "
                + "kafka or webhook subscription, or a topic", at)
            : null);
  }

  private void start(RoutingContext ctx, String id, ReplayRequest request) {
    vertx.<Set<String>>executeBlocking(() -> mesh.admin().listTopics().names()
        .get(mesh.config().kafka().requestTimeoutMs(), TimeUnit.MILLISECONDS), false).onComplete(ar -> {
          if (ar.failed()) {
            ApiErrors.unavailable(ctx, "kafka_unavailable", "topics could not be checked", ar.cause());
            return;
          }
          for (String[] t : new String[][] {{request.topic(), "/topic"}, {request.targetTopic(), "/target/topic"}}) {
            if (t[0] != null && !ar.result().contains(t[0])) {
              ApiErrors.send(ctx, 404, "topic_not_found", "topic " + t[0] + " does not exist", new JsonArray()
                  .add(new JsonObject().put("pointer", t[1]).put("message", "no such topic")));
              return;
            }
          }
          Future<ReplayRequest> targeted = request.needsOwnTopic() ? ownTopic(ctx, id, request)
              : Future.succeededFuture(request);
          targeted.onFailure(e -> TopicCreation.fail(ctx, e)).onSuccess(r -> record(ctx, id, r));
        });
  }

  /**
   * Creates {@code replay.<id>} for a replay without a target, owned by the caller (counted in its topic quota), with
   * the source topic's partitions (so keys keep their partition) and the replication factor and retention of a topic
   * created through {@code POST /topics} with the defaults; no {@code .dlq}: nothing is delivered from it by the mesh.
   */
  private Future<ReplayRequest> ownTopic(RoutingContext ctx, String id, ReplayRequest request) {
    String name = ReplayRequest.ownTopic(id);
    var topics = mesh.config().topics();
    return vertx.<Integer>executeBlocking(() -> mesh.admin().describeTopics(java.util.List.of(request.topic()))
            .allTopicNames().get(mesh.config().kafka().requestTimeoutMs(), TimeUnit.MILLISECONDS)
            .get(request.topic()).partitions().size(), false)
        .recover(e -> Future.failedFuture(new TopicCreation.Unavailable("kafka_unavailable",
            "the replayed topic could not be described", e)))
        .compose(partitions -> creation.create(new JsonObject().put("name", name)
            .put("description", "replay " + id + " of " + request.topic())
            .put("partitions", Math.min(partitions, topics.maxPartitionsPerTopic()))
            .put("replication_factor", topics.defaultReplicationFactor()).put("retention_hours", 168)
            .put("category", "replay").put("is_system_topic", false).put("requires_auth", false)
            .put("enable_dlq", false), SecurityHandler.principal(ctx).name()))
        .map(row -> {
          Access.performed(ctx, security, "topic.create", name, new JsonObject()
              .put("partitions", row.getInteger("partitions")).put("enable_dlq", false).put("replay", id));
          return request.withTarget(name);
        });
  }

  private void record(RoutingContext ctx, String id, ReplayRequest request) {
    jobs.create(id, request, SecurityHandler.principal(ctx).name()).onSuccess(job -> {
      vertx.eventBus().publish(ReplayVerticle.WAKE, job.id());
      Access.performed(ctx, security, "replay.create", job.id(), new JsonObject().put("topic", job.topic())
          .put("target", job.target().copy()));
      ctx.response().setStatusCode(202).putHeader("Location", "/replay/" + job.id() + "/status");
      ctx.json(job.toJson());
    }).onFailure(e -> ApiErrors.unavailable(ctx, "database_unavailable", "the replay was not recorded", e));
  }

  private void status(RoutingContext ctx) {
    String id = ctx.pathParam("replayId");
    jobs.get(id, Access.scope(SecurityHandler.principal(ctx))).onSuccess(job -> {
      if (job == null) {
        notFound(ctx, id);
      } else {
        ctx.json(job.toJson());
      }
    }).onFailure(e -> ApiErrors.unavailable(ctx, "database_unavailable", "replay jobs could not be read", e));
  }

  /** 200 with the cancelled job; 404 for an unknown id; 409 when it had already finished. */
  private void cancel(RoutingContext ctx) {
    String id = ctx.pathParam("replayId");
    String owner = Access.scope(SecurityHandler.principal(ctx));
    jobs.cancel(id, owner).compose(cancelled -> cancelled != null ? io.vertx.core.Future.succeededFuture(cancelled)
        : jobs.get(id, owner).onSuccess(job -> {
          if (job == null) {
            notFound(ctx, id);
          } else {
            ApiErrors.send(ctx, 409, "replay_finished", "replay " + id + " is already " + job.state());
          }
        }).map(job -> null)).onSuccess(job -> {
          if (job != null) {
            Access.performed(ctx, security, "replay.cancel", id, new JsonObject().put("topic", job.topic()));
            ctx.json(job.toJson());
          }
        }).onFailure(e -> ApiErrors.unavailable(ctx, "database_unavailable", "replay jobs could not be updated", e));
  }

  private static void notFound(RoutingContext ctx, String id) {
    ApiErrors.send(ctx, 404, "replay_not_found", "no replay " + id);
  }
}
