package com.necpgame.mesh.delivery;

import com.necpgame.mesh.config.TopicSpec;
import com.necpgame.mesh.kafka.ConsumerLoop;
import com.necpgame.mesh.kafka.EnvelopeRecords;
import com.necpgame.mesh.kafka.TopicProvisioner;
import com.necpgame.mesh.store.SubscriptionRegistry;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;

/**
 * Routes events to subscriptions, as the handler of a {@link ConsumerLoop} reading the delivered topics in one
 * consumer group shared by every process (so each event is handled by one process). Each event a {@code kafka}
 * subscription matches is copied to the subscription's topic (its {@code endpoint}, {@code sub.<service_name>} by
 * default, created when first needed), key, value and headers unchanged plus a {@code subscription_id} header; the
 * events a {@code webhook} subscription matches are queued in {@link WebhookQueue} for the {@link WebhookDispatcher},
 * one message per event, or, with {@code enable_batching}, per {@code batch} events of a topic partition.
 * The batch is done (and committed) only when Kafka acknowledged every copy and PostgreSQL took every queued delivery.
 * Subscriptions are re-read every {@code refresh}.
 */
public final class DeliveryRouter implements ConsumerLoop.Handler {

  public static final String HEADER_SUBSCRIPTION = "subscription_id";

  private final Producer<String, byte[]> producer;
  private final TopicProvisioner provisioner;
  private final SubscriptionRegistry registry;
  private final WebhookQueue webhooks;
  private final Duration refresh;
  private final int batch;
  private final Set<String> ensured = new HashSet<>();
  private List<Subscription> subscriptions = List.of();
  private long refreshedAt;

  public DeliveryRouter(Producer<String, byte[]> producer, TopicProvisioner provisioner, SubscriptionRegistry registry,
      WebhookQueue webhooks, Duration refresh, int batch) {
    this.producer = producer;
    this.provisioner = provisioner;
    this.registry = registry;
    this.webhooks = webhooks;
    this.refresh = refresh;
    this.batch = batch;
  }

  @Override
  public void handle(ConsumerRecords<String, byte[]> records) throws Exception {
    List<Subscription> active = current();
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    Map<String, WebhookQueue.Routed> routed = new LinkedHashMap<>();
    for (ConsumerRecord<String, byte[]> r : records) {
      String type = EnvelopeRecords.header(r.headers(), EnvelopeRecords.HEADER_EVENT_TYPE);
      JsonObject[] envelope = new JsonObject[1];
      for (Subscription s : active) {
        if (!s.matches(r.topic(), type, () -> envelope[0] != null ? envelope[0] : (envelope[0] = decode(r)))) {
          continue;
        }
        if ("kafka".equals(s.method())) {
          sent.add(producer.send(copy(r, s)));
          continue;
        }
        String id = eventId(r, envelope);
        if (id != null) { // else not an envelope: nothing to post
          WebhookQueue.Routed to = routed.computeIfAbsent(s.id() + "\n" + r.topic() + "\n" + r.partition(),
              k -> new WebhookQueue.Routed(s.id(), r.topic(), r.partition(), s.batching() ? batch : 1,
                  new ArrayList<>(), new ArrayList<>(), new ArrayList<>()));
          to.offsets().add(r.offset());
          to.eventIds().add(id);
          to.payloads().add(new String(r.value(), StandardCharsets.UTF_8));
        }
      }
    }
    webhooks.route(new ArrayList<>(routed.values())).toCompletionStage().toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
    for (Future<RecordMetadata> f : sent) {
      f.get(60, TimeUnit.SECONDS);
    }
  }

  /** The active kafka and webhook subscriptions, re-read when {@code refresh} passed; the kafka ones' topics exist. */
  private List<Subscription> current() throws Exception {
    if (System.currentTimeMillis() - refreshedAt >= refresh.toMillis()) {
      List<Subscription> active = registry.all().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS)
          .stream().map(Subscription::of)
          .filter(s -> s.active() && ("kafka".equals(s.method()) || "webhook".equals(s.method()))).toList();
      List<TopicSpec> missing = active.stream().filter(s -> "kafka".equals(s.method())).map(Subscription::endpoint)
          .filter(t -> !ensured.contains(t))
          .distinct().map(DeliveryRouter::subscriberTopic).toList();
      if (!missing.isEmpty()) {
        provisioner.ensure(missing);
        for (TopicSpec t : missing) {
          // Known to the producer before the first copy: an idempotent send racing a new topic's metadata can be
          // retried out of sequence until it times out.
          producer.partitionsFor(t.name());
          ensured.add(t.name());
        }
      }
      subscriptions = active;
      refreshedAt = System.currentTimeMillis();
    }
    return subscriptions;
  }

  /** A kafka subscription's own topic, as it is created (when the subscription is, and again if it went missing). */
  public static TopicSpec subscriberTopic(String name) {
    return new TopicSpec(name, 3, Optional.empty(), Map.of(), false);
  }

  private static ProducerRecord<String, byte[]> copy(ConsumerRecord<String, byte[]> r, Subscription s) {
    ProducerRecord<String, byte[]> copy = new ProducerRecord<>(s.endpoint(), null, r.key(), r.value());
    for (Header h : r.headers()) {
      if (!h.key().equals(HEADER_SUBSCRIPTION)) {
        copy.headers().add(h);
      }
    }
    copy.headers().add(HEADER_SUBSCRIPTION, s.id().getBytes(StandardCharsets.UTF_8));
    return copy;
  }

  /**
   * The id of the event a record holds (its {@code event_id} header, or its envelope's, or where it is), or null when
   * its value is not a JSON object. A record with the header is only checked to be one, not decoded.
   */
  private static String eventId(ConsumerRecord<String, byte[]> r, JsonObject[] envelope) {
    String id = EnvelopeRecords.header(r.headers(), EnvelopeRecords.HEADER_EVENT_ID);
    if (id != null && envelope[0] == null) {
      return EnvelopeRecords.isJsonObject(r.value()) ? id : null;
    }
    if (envelope[0] == null && (envelope[0] = decode(r)) == null) {
      return null;
    }
    return id != null ? id : envelope[0].getValue("event_id") instanceof String e ? e
        : r.topic() + "-" + r.partition() + "-" + r.offset();
  }

  private static JsonObject decode(ConsumerRecord<String, byte[]> r) {
    try {
      return new JsonObject(new String(r.value(), StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      return null;
    }
  }
}
