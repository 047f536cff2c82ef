package com.necpgame.mesh.gateway;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.envelope.Violation;
import com.necpgame.mesh.kafka.TopicInspector;
import com.necpgame.mesh.security.Security;
import com.necpgame.mesh.store.TopicRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

/**
 * {@code POST /topics} creates a Kafka topic (and its {@code .dlq}) and records it; {@code GET /topics} lists topics
 * with pagination; {@code GET /topics/{name}} describes one: partitions, offsets and consumer-group lag. Creating a
 * topic needs the right to write it (not reserved to the mesh) and is audited; describing one the right to subscribe
 * to it.
 */
final class TopicRoutes {

  private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_-][a-zA-Z0-9._-]{0,248}");
  private static final Pattern CATEGORY = Pattern.compile("[a-z][a-z0-9_]{0,19}");
  private static final Set<String> FIELDS = Set.of("name", "description", "partitions", "replication_factor",
      "retention_hours", "category", "owner_service", "is_system_topic", "requires_auth", "enable_dlq");
  private static final int MAX_PAGE = 1000;

  private final Vertx vertx;
  private final MeshContext mesh;
  private final TopicRegistry registry;
  private final TopicInspector kafka;
  private final Duration timeout;
  private final Security security;
  private final TopicCreation creation;

  TopicRoutes(Vertx vertx, MeshContext mesh) {
    this.vertx = vertx;
    this.security = SecurityHandler.shared(vertx, mesh);
    this.mesh = mesh;
    this.registry = new TopicRegistry(mesh.pool());
    this.timeout = Duration.ofMillis(mesh.config().kafka().requestTimeoutMs());
    this.kafka = new TopicInspector(mesh.admin(), timeout);
    this.creation = new TopicCreation(vertx, mesh, registry);
  }

  void mount(Router router) {
    EventRoutes.json(router.post("/topics"), this::create);
    router.get("/topics").handler(this::list);
    router.get("/topics/:topicName").handler(this::describe);
  }

  private void create(RoutingContext ctx, JsonObject request) {
    JsonArray problems = new JsonArray();
    JsonObject topic = topicOf(request, problems, mesh.config().topics());
    int maxPartitions = mesh.config().topics().maxPartitionsPerTopic();
    if (topic.getInteger("partitions") != null && topic.getInteger("partitions") > maxPartitions) {
      problems.add(new Violation("/partitions", "at most " + maxPartitions + " partitions per topic "
          + "(topics.max_partitions_per_topic)").toJson());
    }
    if (!problems.isEmpty()) {
      ApiErrors.send(ctx, 400, "invalid_topic", "the topic request is not valid", problems);
      return;
    }
    String name = topic.getString("name");
    if (Access.write(ctx, security, name, "topic create") != null) {
      return; // creating a topic is a way to write it: the publish ACL and the reserved topics apply
    }
    creation.create(topic, SecurityHandler.principal(ctx).name()).onSuccess(row -> {
      Access.performed(ctx, security, "topic.create", name, new JsonObject()
          .put("partitions", topic.getInteger("partitions")).put("enable_dlq", topic.getBoolean("enable_dlq")));
      ctx.response().setStatusCode(201).putHeader("Location", "/topics/" + name);
      ctx.json(row);
    }).onFailure(e -> TopicCreation.fail(ctx, e));
  }

  private static JsonObject topicOf(JsonObject request, JsonArray problems, MeshConfig.Topics defaults) {
    return RequestFields.of(request, FIELDS, problems)
        .text("name", null, false, NAME, "expected a topic name: 1-249 of a-z A-Z 0-9 . _ -, not starting with a dot")
        .text("category", "game", false, CATEGORY, "expected a lower-case word of at most 20 characters")
        .text("description", null, true, Pattern.compile("(?s).{0,2000}"), "expected at most 2000 characters")
        .text("owner_service", null, true, Pattern.compile("[^\\p{Cntrl}]{1,100}"), "expected 1 to 100 characters")
        .integer("partitions", defaults.defaultPartitions(), 1, 10_000)
        .integer("replication_factor", defaults.defaultReplicationFactor(), 1, 32)
        .integer("retention_hours", 168, 1, 1_000_000)
        .flag("is_system_topic", false)
        .flag("requires_auth", false)
        .flag("enable_dlq", true)
        .result();
  }

  /** {@code ?limit=100&offset=0}: a page of topics by name; the total is in {@code X-Total-Count}. */
  private void list(RoutingContext ctx) {
    RequestFields.Page page = RequestFields.page(ctx, 100, MAX_PAGE);
    if (page == null) {
      return;
    }
    inspect(ctx, kafka::all, "topics could not be listed", (topics, recorded) -> {
      List<JsonObject> all = topics.values().stream().filter(d -> !d.isInternal())
          .sorted(Comparator.comparing(d -> d.name()))
          .map(d -> {
            JsonObject row = recorded.getOrDefault(d.name(), new JsonObject().put("name", d.name())
                .put("status", "active")); // declared in config or made by another tool: nothing recorded
            return row.copy().put("partitions", d.partitions().size())
                .put("replication_factor", d.partitions().get(0).replicas().size());
          }).toList();
      ctx.response().putHeader("X-Total-Count", String.valueOf(all.size()));
      ctx.json(new JsonArray(all.subList(Math.min(page.offset(), all.size()),
          Math.min(page.offset() + page.limit(), all.size()))));
    });
  }

  private void describe(RoutingContext ctx) {
    String name = ctx.pathParam("topicName");
    if (!NAME.matcher(name).matches()) {
      ApiErrors.send(ctx, 404, "topic_not_found", "no topic can be named like that");
      return;
    }
    if (Access.read(ctx, security, name, "topic describe") != null) {
      return; // its offsets and consumer lag are what it carries, in numbers: asked before whether it exists
    }
    inspect(ctx, () -> kafka.describe(name), "the topic could not be described", (topic, recorded) -> {
      if (topic.isEmpty()) {
        ApiErrors.send(ctx, 404, "topic_not_found", "topic " + name + " does not exist");
      } else {
        ctx.json(recorded.getOrDefault(name, new JsonObject()).copy().mergeIn(topic.get()));
      }
    });
  }

  /**
   * Asks Kafka (on a worker) and the registry together, and answers with both; Kafka's view is still answered when
   * the database is down (nothing recorded), and a 503 saying {@code what} failed when Kafka is.
   */
  private <T> void inspect(RoutingContext ctx, Callable<T> ask, String what,
      BiConsumer<T, Map<String, JsonObject>> answer) {
    var asked = vertx.executeBlocking(ask, false);
    var records = registry.all();
    Future.join(asked, records).onComplete(done -> {
      if (asked.failed()) {
        ApiErrors.unavailable(ctx, "kafka_unavailable", what, asked.cause());
      } else {
        answer.accept(asked.result(), records.succeeded() ? records.result() : Map.of());
      }
    });
  }
}
