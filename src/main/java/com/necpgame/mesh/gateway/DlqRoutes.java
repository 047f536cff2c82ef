package com.necpgame.mesh.gateway;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.delivery.DeadLetterReader;
import com.necpgame.mesh.delivery.WebhookQueue;
import com.necpgame.mesh.envelope.Violation;
import com.necpgame.mesh.config.TopicSpec;
import com.necpgame.mesh.security.Principal;
import com.necpgame.mesh.security.Security;
import com.necpgame.mesh.store.SubscriptionRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * {@code GET /dlq/{topic}} lists the dead letters of a topic (the records of {@code <topic>.dlq}, or of the topic itself
 * when it is a dead-letter topic, such as {@code delivery.dead_letter_topic} where undeliverable webhook events go) with
 * why and where from; {@code POST /dlq/{topic}/redrive} sends chosen ones back (see {@link DeadLetterReader#redrive}).
 * The dead letters of {@code <topic>} need the right to subscribe to it, and a redrive the right to write the topics
 * they go back to (403 otherwise); a subscription's dead letters (the dead-letter topic's) are its owner's: others
 * but admins do not see them. Redrives are audited.
 */
final class DlqRoutes {

  private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,245}");
  private static final int MAX_PAGE = 1000;

  private final Vertx vertx;
  private final DeadLetterReader reader;
  private final Security security;
  private final SubscriptionRegistry subscriptions;
  private final String deadLetterTopic;

  DlqRoutes(Vertx vertx, MeshContext mesh) {
    this.vertx = vertx;
    this.security = SecurityHandler.shared(vertx, mesh);
    this.subscriptions = new SubscriptionRegistry(mesh.pool(), mesh.secrets());
    this.deadLetterTopic = mesh.config().delivery().deadLetterTopic();
    this.reader = new DeadLetterReader(() -> mesh.kafka().consumer("dlq-reader", null, "earliest"), mesh.producer(),
        new WebhookQueue(mesh.pool()), mesh.config().delivery().deadLetterTopic(),
        Duration.ofMillis(mesh.config().kafka().requestTimeoutMs()));
  }

  void mount(Router router) {
    router.get("/dlq/:topic").handler(this::list);
    EventRoutes.json(router.post("/dlq/:topic/redrive"), this::redrive);
  }

  /** {@code ?limit=100&offset=0}, by partition then offset (oldest first); the total is in {@code X-Total-Count}. */
  private void list(RoutingContext ctx) {
    String topic = ctx.pathParam("topic");
    Long limit = RequestFields.queryNumber(ctx, "limit", 100, 1, MAX_PAGE);
    Long offset = RequestFields.queryNumber(ctx, "offset", 0, 0, Long.MAX_VALUE);
    if (limit == null || offset == null) {
      ApiErrors.send(ctx, 400, "invalid_query", "expected integers 1 <= limit <= " + MAX_PAGE + " and offset >= 0");
      return;
    }
    if (!readable(ctx, topic)) {
      return;
    }
    visible(ctx, topic).compose(visible -> vertx.executeBlocking(() -> reader.list(topic, offset, limit.intValue(), visible),
        false)).onComplete(ar -> {
      if (ar.failed()) {
        fail(ctx, topic, ar.cause());
      } else {
        ctx.response().putHeader("X-Total-Count", String.valueOf(ar.result().total()));
        ctx.json(new JsonObject().put("topic", topic).put("dlq_topic", reader.dlqOf(topic))
            .put("total", ar.result().total()).put("offset", offset).put("limit", limit)
            .put("items", ar.result().items()));
      }
    });
  }

  /** {@code {"offsets": {"<partition>": [offset, ...]}}} or {@code {"since": "<RFC 3339>"}}, one of the two. */
  private void redrive(RoutingContext ctx, JsonObject body) {
    String topic = ctx.pathParam("topic");
    JsonArray problems = new JsonArray();
    body.fieldNames().stream().filter(f -> !f.equals("offsets") && !f.equals("since")).sorted()
        .forEach(f -> problems.add(new Violation("/" + f, "unknown field; expected offsets or since").toJson()));
    Map<Integer, List<Long>> offsets = null;
    Instant since = null;
    if (body.containsKey("offsets") == body.containsKey("since")) {
      problems.add(new Violation("", "give exactly one of offsets or since").toJson());
    } else if (body.containsKey("offsets")) {
      offsets = offsets(body.getValue("offsets"), problems);
    } else {
      try {
        since = body.getValue("since") instanceof String s ? OffsetDateTime.parse(s).toInstant() : null;
      } catch (DateTimeParseException e) {
        since = null;
      }
      if (since == null) {
        problems.add(new Violation("/since", "expected an RFC 3339 time such as 2026-11-23T10:00:00Z").toJson());
      }
    }
    if (!problems.isEmpty()) {
      ApiErrors.send(ctx, 400, "invalid_redrive", "the redrive request is not valid", problems);
      return;
    }
    if (!readable(ctx, topic)) {
      return;
    }
    Map<Integer, List<Long>> chosen = offsets;
    Instant from = since;
    Principal principal = SecurityHandler.principal(ctx);
    Predicate<String> mayWrite = t -> !security.reserved().reserved(t) && principal.acl().mayPublish(t);
    visible(ctx, topic).compose(visible -> vertx.executeBlocking(() -> reader.redrive(topic, chosen, from,
        visible == null ? r -> true : visible, mayWrite), false)).onComplete(ar -> {
      if (ar.failed() && ar.cause() instanceof DeadLetterReader.Forbidden f) {
        Access.write(ctx, security, f.topic(), "dlq redrive"); // answers the 403 and audits it
      } else if (ar.failed()) {
        fail(ctx, topic, ar.cause());
      } else {
        Access.performed(ctx, security, "dlq.redrive", topic, new JsonObject()
            .put("redriven", ar.result().getInteger("redriven")));
        ctx.json(ar.result());
      }
    });
  }

  /**
   * Whether the caller may read the dead letters of {@code topic}: of {@code <topic>} (or {@code <topic>.dlq}) with the
   * right to subscribe to {@code <topic>}; of the dead-letter topic anyone may ask, and sees only its own (see
   * {@link #visible}). Otherwise false, answered 403, or 404 for a name no topic can have.
   */
  private boolean readable(RoutingContext ctx, String topic) {
    if (!TOPIC.matcher(topic).matches()) {
      notFound(ctx, topic);
      return false;
    }
    if (topic.equals(deadLetterTopic)) {
      return true;
    }
    String source = topic.endsWith(TopicSpec.DLQ_SUFFIX)
        ? topic.substring(0, topic.length() - TopicSpec.DLQ_SUFFIX.length()) : topic;
    return Access.read(ctx, security, source, "dlq read") == null;
  }

  /**
   * Which dead letters the caller sees: all (null) for an admin; else those of subscriptions it owns, and, outside the
   * dead-letter topic (where every subscription's failures are), those of no subscription.
   */
  private Future<Predicate<ConsumerRecord<String, byte[]>>> visible(RoutingContext ctx, String topic) {
    Principal principal = SecurityHandler.principal(ctx);
    if (principal.acl().admin()) {
      return Future.succeededFuture(null);
    }
    boolean shared = topic.equals(deadLetterTopic);
    return subscriptions.idsOwnedBy(principal.name()).map(owned -> r -> {
      String subscription = DeadLetterReader.subscriptionOf(r);
      return subscription == null ? !shared : owned.contains(subscription);
    });
  }

  private static Map<Integer, List<Long>> offsets(Object value, JsonArray problems) {
    if (!(value instanceof JsonObject object) || object.isEmpty()) {
      problems.add(new Violation("/offsets", "expected {\"<partition>\": [offset, ...]}").toJson());
      return null;
    }
    Map<Integer, List<Long>> out = new TreeMap<>();
    int count = 0;
    for (String key : object.fieldNames()) {
      String at = "/offsets/" + key.replace("~", "~0").replace("/", "~1");
      int partition;
      try {
        partition = Integer.parseInt(key);
      } catch (NumberFormatException e) {
        partition = -1;
      }
      if (partition < 0 || !(object.getValue(key) instanceof JsonArray list)) {
        problems.add(new Violation(at, "expected a partition number mapped to an array of offsets").toJson());
        continue;
      }
      List<Long> offsets = new ArrayList<>();
      for (int i = 0; i < list.size(); i++) {
        if (list.getValue(i) instanceof Number n && n.longValue() >= 0 && n.doubleValue() == n.longValue()) {
          offsets.add(n.longValue());
        } else {
          problems.add(new Violation(at + "/" + i, "expected an offset (an integer >= 0)").toJson());
        }
      }
      count += offsets.size();
      out.put(partition, offsets);
    }
    if (count > DeadLetterReader.MAX_REDRIVE) {
      problems.add(new Violation("/offsets", "at most " + DeadLetterReader.MAX_REDRIVE + " offsets").toJson());
    }
    return out;
  }

  private void fail(RoutingContext ctx, String topic, Throwable e) {
    if (e instanceof DeadLetterReader.NoSuchTopic) {
      notFound(ctx, topic);
    } else {
      ApiErrors.unavailable(ctx, "kafka_unavailable", "the dead letters could not be read", e);
    }
  }

  private void notFound(RoutingContext ctx, String topic) {
    ApiErrors.send(ctx, 404, "topic_not_found", "topic " + topic + " has no dead-letter topic " + reader.dlqOf(topic));
  }
}
