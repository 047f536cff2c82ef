package com.necpgame.mesh.gateway;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.config.InternalTopics;
import com.necpgame.mesh.delivery.Deliverable;
import com.necpgame.mesh.delivery.DeliveryRouter;
import com.necpgame.mesh.delivery.WebhookQueue;
import com.necpgame.mesh.delivery.WebhookSignature;
import com.necpgame.mesh.envelope.EnvelopeFilter;
import com.necpgame.mesh.envelope.EventIds;
import com.necpgame.mesh.envelope.Violation;
import com.necpgame.mesh.kafka.TopicPatterns;
import com.necpgame.mesh.kafka.TopicProvisioner;
import com.necpgame.mesh.security.AddressPolicy;
import com.necpgame.mesh.security.Security;
import com.necpgame.mesh.store.SubscriptionRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * {@code /subscriptions}: create (201, with the webhook signing secret shown this once), list (paginated, by service
 * and status), read, change ({@code PATCH}: pause or resume, filter, pattern, delivery settings, {@code
 * rotate_secret}) and delete the subscriptions in {@code event_subscriptions}; redrive a webhook's failed deliveries;
 * {@code GET /deliveries} lists delivery attempts. A subscription belongs to the principal that created it: others
 * (but admins) get 404 for it and do not see it or its deliveries in lists ({@link Access}); its pattern must be one
 * the owner may subscribe to, a kafka endpoint a topic it may write; a principal owns at most {@code
 * security.quotas.subscriptions_per_principal}. Changes that succeed are audited.
 */
final class SubscriptionRoutes {

  static final List<String> METHODS = List.of("kafka", "webhook", "websocket");
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,100}");
  private static final Pattern SERVICE = Pattern.compile("[a-z0-9][a-z0-9._-]{0,99}");
  private static final Pattern ENDPOINT = Pattern.compile("[^\\s\\p{Cntrl}]{1,500}");
  private static final Pattern STATUS = Pattern.compile("active|paused");
  /** Any string: a topic pattern is checked by {@link TopicPatterns#problem}, which says what is wrong with it. */
  private static final Pattern ANY_TEXT = Pattern.compile("(?s).+");
  private static final Set<String> CHANGEABLE = Set.of("topic_pattern", "event_types", "filter", "endpoint", "status",
      "max_retries", "retry_delay", "rate_limit_per_min", "enable_batching", "requires_ack", "rotate_secret");
  private static final Set<String> FIELDS = Set.of("subscription_id", "service_name", "topic_pattern", "event_types",
      "filter", "method", "endpoint", "status", "max_retries", "retry_delay", "rate_limit_per_min", "enable_batching",
      "requires_ack");
  private static final String LOOKUPS = "mesh-endpoint-lookups";

  private final Vertx vertx;
  private final MeshContext mesh;
  private final SubscriptionRegistry registry;
  private final WebhookQueue deliveries;
  private final AddressPolicy addresses;
  /** Resolves webhook endpoint hosts (closed with the verticle that made it). */
  private final WorkerExecutor lookups;
  private final Security security;

  SubscriptionRoutes(Vertx vertx, MeshContext mesh) {
    this.vertx = vertx;
    this.mesh = mesh;
    this.security = SecurityHandler.shared(vertx, mesh);
    this.registry = new SubscriptionRegistry(mesh.pool(), mesh.secrets());
    this.deliveries = new WebhookQueue(mesh.pool());
    this.addresses = mesh.config().delivery().webhookAddresses();
    this.lookups = vertx.createSharedWorkerExecutor(LOOKUPS, 4);
  }

  void mount(Router router) {
    EventRoutes.json(router.post("/subscriptions"), this::create);
    router.get("/subscriptions").handler(this::list);
    router.get("/subscriptions/:subscriptionId").handler(this::read);
    EventRoutes.json(router.patch("/subscriptions/:subscriptionId"), this::change);
    router.delete("/subscriptions/:subscriptionId").handler(this::delete);
    EventRoutes.json(router.post("/subscriptions/:subscriptionId/redrive"), this::redrive);
    router.get("/deliveries").handler(this::deliveries);
  }

  /** {@code {"since": "<RFC 3339>"}}: the events whose webhook delivery failed for good since then are queued again. */
  private void redrive(RoutingContext ctx, JsonObject request) {
    String id = ctx.pathParam("subscriptionId");
    Instant since;
    try {
      since = Instant.parse(String.valueOf(request.getValue("since")));
    } catch (java.time.format.DateTimeParseException e) {
      ApiErrors.send(ctx, 400, "invalid_redrive", "expected {\"since\": \"<RFC 3339 time>\"}",
          new JsonArray().add(new Violation("/since", "expected an RFC 3339 time").toJson()));
      return;
    }
    found(ctx, id, owned(ctx, id).compose(s -> s == null ? Future.<Integer>succeededFuture()
        : deliveries.redrive(id, since)), count -> {
          Access.performed(ctx, security, "subscription.redrive", id, new JsonObject().put("since", since.toString())
              .put("requeued", count));
          ctx.json(new JsonObject().put("subscription_id", id).put("since", since.toString()).put("requeued", count));
        });
  }

  /** {@code GET /deliveries?subscription=&status=delivered|failed&limit=&offset=}: attempts, newest first. */
  private void deliveries(RoutingContext ctx) {
    listed(ctx, "delivered|failed", "status must be delivered or failed", (page, status) -> deliveries.attempts(
        Access.scope(SecurityHandler.principal(ctx)), ctx.queryParams().get("subscription"), status, page.limit(),
        page.offset()));
  }

  /** {@code GET /subscriptions?service_name=&status=active|paused&limit=&offset=}. */
  private void list(RoutingContext ctx) {
    listed(ctx, STATUS.pattern(), "status must be active or paused", (page, status) -> registry.list(
        Access.scope(SecurityHandler.principal(ctx)), ctx.queryParams().get("service_name"), status, page.limit(),
        page.offset()));
  }

  /**
   * A page of a list with an optional {@code ?status=} (matching {@code statuses}): {@code query}'s items, their
   * total in {@code X-Total-Count}.
   */
  private void listed(RoutingContext ctx, String statuses, String wrongStatus,
      BiFunction<RequestFields.Page, String, Future<JsonObject>> query) {
    RequestFields.Page page = RequestFields.page(ctx, 100, 1000);
    if (page == null) {
      return;
    }
    String status = ctx.queryParams().get("status");
    if (status != null && !status.matches(statuses)) {
      ApiErrors.send(ctx, 400, "invalid_query", wrongStatus);
      return;
    }
    query.apply(page, status).onSuccess(result -> {
      ctx.response().putHeader("X-Total-Count", String.valueOf(result.getLong("total")));
      ctx.json(result.getJsonArray("items"));
    }).onFailure(e -> failed(ctx, e));
  }

  private void create(RoutingContext ctx, JsonObject request) {
    JsonArray problems = new JsonArray();
    RequestFields fields = RequestFields.of(request, FIELDS, problems)
        .text("subscription_id", "sub_" + EventIds.newId(), false, ID, "expected 1-100 of A-Z a-z 0-9 . _ -")
        .text("service_name", null, false, SERVICE, "expected a lower-case service name: 1-100 of a-z 0-9 . _ -")
        .text("method", "kafka", false, Pattern.compile(String.join("|", METHODS)), "expected one of " + METHODS)
        .text("status", "active", false, STATUS, "expected active or paused");
    JsonObject s = settings(fields).result();
    if (problems.isEmpty()) {
      endpoint(s, problems);
      loop(s, mesh.config().delivery().topics(), problems);
    }
    if (!problems.isEmpty()) {
      ApiErrors.send(ctx, 400, "invalid_subscription", "the subscription is not valid", problems);
      return;
    }
    Publications.Refusal refused = rights(ctx, s, true, true);
    if (refused != null) {
      ApiErrors.send(ctx, refused);
      return;
    }
    s.put("owner", SecurityHandler.principal(ctx).name());
    String secret = s.getString("method").equals("webhook") ? WebhookSignature.newSecret() : null;
    Future<Void> topic = deliverable(ctx, s).compose(ok -> !"kafka".equals(s.getString("method"))
        ? Future.succeededFuture() : vertx.<Void>executeBlocking(() -> {
          new TopicProvisioner(mesh.admin(), mesh.config().topics().defaultReplicationFactor(),
              Duration.ofMillis(mesh.config().kafka().requestTimeoutMs()))
              .ensure(List.of(DeliveryRouter.subscriberTopic(s.getString("endpoint"))));
          return null;
        }, false).recover(e -> Future.failedFuture(Publications.Refusal.unavailable(
            "the subscription's topic " + s.getString("endpoint") + " could not be created", e,
            RequestIds.of(ctx).requestId()))));
    int quota = security.config().quotas().subscriptionsPerPrincipal();
    topic.compose(v -> reachable(s)).compose(v -> registry.create(s, secret, quota)).onSuccess(row -> {
      Access.performed(ctx, security, "subscription.create", row.getString("subscription_id"), new JsonObject()
          .put("method", row.getString("method")).put("topic_pattern", row.getString("topic_pattern")));
      ctx.response().setStatusCode(201).putHeader("Location", "/subscriptions/" + row.getString("subscription_id"));
      ctx.json(secret == null ? row : row.put("secret", secret));
    }).onFailure(e -> failed(ctx, e));
  }

  /**
   * Whether the caller may have a subscription like {@code s}: every topic its pattern matches readable ({@code
   * pattern}), and for kafka its endpoint writable ({@code endpoint}); null, or the 403 (audited).
   */
  private Publications.Refusal rights(RoutingContext ctx, JsonObject s, boolean pattern, boolean endpoint) {
    var principal = SecurityHandler.principal(ctx);
    String remote = SecurityHandler.remote(ctx);
    Publications.Refusal refused = pattern ? Access.read(security, principal, s.getString("topic_pattern"),
        "subscription topic_pattern", remote) : null;
    if (refused == null && endpoint && "kafka".equals(s.getString("method"))) {
      refused = Access.write(security, principal, s.getString("endpoint"), "subscription endpoint", remote);
    }
    return refused;
  }

  /** Subscription {@code id} if the caller sees it (its owner and admins do), else null. */
  private Future<JsonObject> owned(RoutingContext ctx, String id) {
    return registry.get(id)
        .map(row -> row != null && Access.sees(SecurityHandler.principal(ctx), row.getString("owner")) ? row : null);
  }

  /** Answers {@code outcome} with {@code answer}; null is a 404 for subscription {@code id}. */
  private static <T> void found(RoutingContext ctx, String id, Future<T> outcome, Consumer<T> answer) {
    outcome.onSuccess(result -> {
      if (result == null) {
        notFound(ctx, id);
      } else {
        answer.accept(result);
      }
    }).onFailure(e -> failed(ctx, e));
  }

  /** The fields a create and a change share. */
  private static RequestFields settings(RequestFields fields) {
    fields.text("topic_pattern", "*", false, ANY_TEXT, "expected a topic name or glob such as game.*")
        .text("endpoint", null, true, ENDPOINT, "expected at most 500 characters without spaces")
        .integer("max_retries", 3, 0, 100)
        .integer("retry_delay", 60, 1, 86_400)
        .integer("rate_limit_per_min", 1000, 1, 6_000_000)
        .flag("enable_batching", false)
        .flag("requires_ack", false);
    JsonObject out = fields.result();
    String pattern = out.getString("topic_pattern");
    String patternProblem = pattern == null ? null : TopicPatterns.problem(pattern);
    if (patternProblem != null) {
      fields.problem("topic_pattern", patternProblem);
      out.remove("topic_pattern");
    }
    if (fields.wanted("event_types")) {
      Object types = fields.value("event_types");
      if (types == null) {
        out.put("event_types", new JsonArray());
      } else if (types instanceof JsonArray array && array.size() <= 100
          && array.stream().allMatch(t -> t instanceof String s && !s.isBlank() && s.length() <= 100)) {
        out.put("event_types", array.copy());
      } else {
        fields.problem("event_types", "expected an array of at most 100 event types");
      }
    }
    if (fields.wanted("filter")) {
      JsonArray problems = new JsonArray();
      EnvelopeFilter filter = EnvelopeFilter.parse(fields.value("filter"), "/filter", problems);
      problems.forEach(p -> fields.problem(((JsonObject) p).getString("pointer").substring(1),
          ((JsonObject) p).getString("message")));
      if (filter != null) {
        out.put("filter", filter.toJson());
      }
    }
    return fields;
  }

  /**
   * The endpoint fits the method: a webhook needs an http(s) URL; {@code kafka} may name the topic to copy to
   * (default {@code sub.<service_name>}); a WebSocket subscription has none.
   */
  private static void endpoint(JsonObject s, JsonArray problems) {
    String endpoint = s.getString("endpoint");
    if ("kafka".equals(s.getString("method")) && endpoint == null) {
      s.put("endpoint", "sub." + s.getString("service_name"));
      return;
    }
    String problem = switch (s.getString("method")) {
      case "webhook" -> endpoint != null && isHttpUrl(endpoint) ? null : "a webhook needs an http:// or https:// URL";
      case "kafka" -> Publications.TOPIC.matcher(endpoint).matches() ? null
          : "for kafka, the topic to copy events to (default sub.<service_name>)";
      default -> endpoint == null ? null : "a websocket subscription has no endpoint: clients connect to /ws";
    };
    if (problem != null) {
      problems.add(new Violation("/endpoint", problem).toJson());
    }
  }

  /**
   * A webhook's endpoint host resolves to addresses {@code delivery.webhook}'s policy lets webhooks reach (a name
   * that does not resolve yet is accepted: every delivery resolves and judges it again); else a 400 naming the
   * address class. The host is resolved on a small worker pool, never on the event loop.
   */
  private Future<Void> reachable(JsonObject s) {
    if (!"webhook".equals(s.getString("method"))) {
      return Future.succeededFuture();
    }
    String host = URI.create(s.getString("endpoint")).getHost();
    return lookups.executeBlocking(() -> addresses.target(host, AddressPolicy.Resolver.SYSTEM), false)
        .compose(target -> target.status() != AddressPolicy.Target.Status.REFUSED ? Future.succeededFuture()
            : Future.failedFuture(new Publications.Refusal(400, "invalid_subscription",
                "the webhook endpoint is not an address webhooks may reach",
                new JsonArray().add(new Violation("/endpoint", target.reason()).toJson()))));
  }

  /**
   * A kafka subscription may not copy into a topic the delivery router reads ({@code delivery.topics}) and its own
   * pattern matches ({@code {"endpoint": "game.loop", "topic_pattern": "game.*"}} copied its own copies forever
   * before copies carried a {@code subscription_id} header). Copies into another delivered topic are allowed: the
   * router never routes a record carrying that header again, so they cannot ring (with {@code delivery.topics}
   * covering every topic by default, refusing them would refuse every kafka subscription).
   */
  static void loop(JsonObject s, Pattern delivered, JsonArray problems) {
    String endpoint = s.getString("endpoint");
    if (!"kafka".equals(s.getString("method")) || endpoint == null || !delivered.matcher(endpoint).matches()) {
      return;
    }
    String pattern = s.getString("topic_pattern", "*");
    if (TopicPatterns.matches(TopicPatterns.compile(List.of(pattern)), endpoint)) {
      problems.add(new Violation("/endpoint", "topic " + endpoint + " is one the delivery router reads "
          + "(delivery.topics) and matches this subscription's topic_pattern " + pattern
          + ": it would copy its own copies; copy to a topic of its own, such as sub.<service_name>").toJson());
    }
  }

  /**
   * A kafka or webhook subscription whose {@code topic_pattern} can never be delivered ({@link Deliverable}) is 400
   * on {@code /topic_pattern}, naming the setting that excludes it, rather than 201 and then nothing. WebSocket
   * subscriptions are streamed from Kafka directly and need no check. When Kafka cannot list its topics, the sample
   * names alone decide only an acceptance: the check is skipped rather than refuse on a guess.
   */
  private Future<Void> deliverable(RoutingContext ctx, JsonObject s) {
    String pattern = s.getString("topic_pattern", "*");
    if ("websocket".equals(s.getString("method"))) {
      return Future.succeededFuture();
    }
    Pattern delivered = mesh.config().delivery().topics();
    var internal = InternalTopics.named(mesh.config());
    if (Deliverable.problem(pattern, delivered, internal, List.of()) == null) {
      return Future.succeededFuture();
    }
    return vertx.<java.util.Set<String>>executeBlocking(() -> mesh.admin().listTopics().names()
        .get(mesh.config().kafka().requestTimeoutMs(), java.util.concurrent.TimeUnit.MILLISECONDS), false)
        .transform(ar -> {
          String problem = ar.failed() ? null : Deliverable.problem(pattern, delivered, internal, ar.result());
          return problem == null ? Future.<Void>succeededFuture() : Future.<Void>failedFuture(new Publications.Refusal(
              400, "invalid_subscription", "the subscription would never receive an event", new JsonArray()
                  .add(new Violation("/topic_pattern", problem).toJson())));
        });
  }

  private static boolean isHttpUrl(String text) {
    try {
      URI uri = new URI(text);
      return ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null;
    } catch (URISyntaxException e) {
      return false;
    }
  }

  private void read(RoutingContext ctx) {
    String id = ctx.pathParam("subscriptionId");
    found(ctx, id, owned(ctx, id), row -> ctx.json(withoutSecrets(row)));
  }

  private void change(RoutingContext ctx, JsonObject request) {
    String id = ctx.pathParam("subscriptionId");
    JsonArray problems = new JsonArray();
    RequestFields fields = settings(RequestFields.patch(request, CHANGEABLE, problems)
        .text("status", null, false, STATUS, "expected active or paused"));
    Object rotate = request.getValue("rotate_secret", false);
    if (!(rotate instanceof Boolean)) {
      fields.problem("rotate_secret", "expected true or false");
    }
    if (!problems.isEmpty()) {
      ApiErrors.send(ctx, 400, "invalid_subscription", "the change is not valid", problems);
      return;
    }
    JsonObject changes = fields.result();
    found(ctx, id, owned(ctx, id).compose(current -> {
      if (current == null) {
        return Future.succeededFuture(null);
      }
      JsonObject merged = current.copy().mergeIn(changes);
      endpoint(merged, problems);
      if (problems.isEmpty()) {
        loop(merged, mesh.config().delivery().topics(), problems);
      }
      changes.put("endpoint", merged.getString("endpoint"));
      if (Boolean.TRUE.equals(rotate) && !"webhook".equals(current.getString("method"))) {
        problems.add(new Violation("/rotate_secret", "only webhooks have a secret").toJson());
      }
      if (!problems.isEmpty()) {
        return Future.failedFuture(new Publications.Refusal(400, "invalid_subscription",
            "the change is not valid", problems));
      }
      // setting it active again re-checks it whole: delivery pauses one whose owner's rights no longer cover it
      boolean reactivated = "active".equals(changes.getString("status"));
      Publications.Refusal refused = rights(ctx, merged, reactivated || request.containsKey("topic_pattern"),
          reactivated || request.containsKey("endpoint"));
      if (refused != null) {
        return Future.failedFuture(refused);
      }
      String secret = Boolean.TRUE.equals(rotate) ? WebhookSignature.newSecret() : null;
      OffsetDateTime overlap = OffsetDateTime.now(ZoneOffset.UTC)
          .plusHours(mesh.config().delivery().secretOverlapHours());
      // a new pattern is checked as one on POST is: one that can never be delivered is 400 naming the setting
      return (request.containsKey("topic_pattern") ? deliverable(ctx, merged) : Future.<Void>succeededFuture())
          .compose(v -> request.containsKey("endpoint") ? reachable(merged) : Future.<Void>succeededFuture())
          .compose(v -> registry.update(id, changes, secret, overlap)).map(row -> row == null || secret == null ? row
              : row.put("secret", secret).put("previous_secret_expires_at", overlap.toInstant().toString()));
    }), row -> {
      Access.performed(ctx, security, Boolean.TRUE.equals(rotate) ? "subscription.rotate_secret"
          : "subscription.update", id, new JsonObject().put("fields", new JsonArray(request.fieldNames().stream()
              .sorted().toList())));
      ctx.json(row);
    });
  }

  private void delete(RoutingContext ctx) {
    String id = ctx.pathParam("subscriptionId");
    found(ctx, id, owned(ctx, id).compose(row -> row == null ? Future.succeededFuture(false) : registry.delete(id))
        .map(deleted -> deleted ? id : null), deleted -> {
          Access.performed(ctx, security, "subscription.delete", id, new JsonObject());
          ctx.response().setStatusCode(204).end();
        });
  }

  private static JsonObject withoutSecrets(JsonObject row) {
    JsonObject out = row.copy();
    List.of("signing_secret", "previous_signing_secret", "previous_secret_expires_at").forEach(out::remove);
    return out;
  }

  private static void notFound(RoutingContext ctx, String id) {
    ApiErrors.send(ctx, 404, "subscription_not_found", "no subscription " + id);
  }

  private static void failed(RoutingContext ctx, Throwable e) {
    if (e instanceof SubscriptionRegistry.Exists) {
      ApiErrors.send(ctx, 409, "subscription_exists", e.getMessage());
    } else if (e instanceof SubscriptionRegistry.OverQuota) {
      ApiErrors.send(ctx, 403, "quota_exceeded", e.getMessage());
    } else if (e instanceof Publications.Refusal r) {
      ApiErrors.send(ctx, r);
    } else {
      ApiErrors.unavailable(ctx, "database_unavailable", "the subscription store did not answer", e);
    }
  }
}
