package com.necpgame.mesh.delivery;

import com.necpgame.mesh.MeshMetrics;
import com.necpgame.mesh.config.TopicSpec;
import com.necpgame.mesh.kafka.GroupConsumer;
import com.necpgame.mesh.kafka.EnvelopeRecords;
import com.necpgame.mesh.kafka.TopicProvisioner;
import com.necpgame.mesh.store.EventStatus;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes events to subscriptions, as the handler of a {@link GroupConsumer} reading the delivered topics in one
 * consumer group shared by every process (so each event is handled by one process). Each event a {@code kafka}
 * subscription matches is copied to the subscription's topic (its {@code endpoint}, {@code sub.<service_name>} by
 * default, created when first needed), key, value and headers unchanged plus a {@code subscription_id} header; the
 * events a {@code webhook} subscription matches are queued in {@link WebhookQueue} for the {@link WebhookDispatcher},
 * one message per event, or, with {@code enable_batching}, per {@code batch} events of a topic partition. The batch is
 * done (and committed) once PostgreSQL took every queued delivery and {@link KafkaCopies} is done with each kafka
 * subscription's copies. A record that already carries a {@code subscription_id} header is a copy some subscription
 * made: it is never routed again, so no subscription can copy its own copies (or another's) round and round.
 * Subscriptions are re-read every {@code refresh}, those whose owner no longer has the rights to them paused ({@link
 * OwnerRights}), and sooner when a batch holds a record produced after the last read began and the registry's
 * {@link SubscriptionRegistry#changeMark change mark} moved since: a subscription receives every event published
 * after its creation was answered (up to the clock skew between the publishing and the routing hosts).
 */
public final class DeliveryRouter implements GroupConsumer.Blocking {

  public static final String HEADER_SUBSCRIPTION = "subscription_id";

  private static final Logger LOG = LoggerFactory.getLogger(DeliveryRouter.class);

  private final Producer<String, byte[]> producer;
  private final KafkaCopies copies;
  private final MeshMetrics metrics;
  private final TopicProvisioner provisioner;
  private final OwnerRights owners;
  private final WebhookQueue webhooks;
  private final Duration refresh;
  private final int batch;
  private final Set<String> ensured = new HashSet<>();
  private List<Subscription> subscriptions = List.of();
  private final EventStatus states;
  /** The state write of the previous poll's copies, still running (null: none). */
  private java.util.concurrent.CompletableFuture<Void> stateWrite;
  private long refreshedAt;
  /** When the last read of the subscriptions (or of their change mark) began, and the mark it saw. */
  private long readAt;
  private String mark;

  DeliveryRouter(Producer<String, byte[]> producer, KafkaCopies copies, MeshMetrics metrics,
      TopicProvisioner provisioner, OwnerRights owners, WebhookQueue webhooks, EventStatus states, Duration refresh,
      int batch) {
    this.states = states;
    this.producer = producer;
    this.copies = copies;
    this.metrics = metrics;
    this.provisioner = provisioner;
    this.owners = owners;
    this.webhooks = webhooks;
    this.refresh = refresh;
    this.batch = batch;
  }

  @Override
  public void handle(List<ConsumerRecord<String, byte[]>> records) throws Exception {
    long newest = Long.MIN_VALUE;
    for (ConsumerRecord<String, byte[]> r : records) {
      newest = Math.max(newest, r.timestamp());
    }
    List<Subscription> active = current(newest);
    Map<Subscription, List<ConsumerRecord<String, byte[]>>> toCopy = new IdentityHashMap<>(); // no record hashing
    Map<ConsumerRecord<String, byte[]>, String> copyIds = new IdentityHashMap<>();
    Map<String, WebhookQueue.Routed> routed = new LinkedHashMap<>();
    int skipped = 0;
    for (ConsumerRecord<String, byte[]> r : records) {
      if (r.headers().lastHeader(HEADER_SUBSCRIPTION) != null) {
        skipped++;
        continue;
      }
      String type = EnvelopeRecords.header(r.headers(), EnvelopeRecords.HEADER_EVENT_TYPE);
      JsonObject[] envelope = new JsonObject[1];
      for (Subscription s : active) {
        if (!s.matches(r.topic(), type, () -> decoded(r, envelope))) {
          continue;
        }
        if ("kafka".equals(s.method())) {
          toCopy.computeIfAbsent(s, k -> new ArrayList<>()).add(r);
          copyIds.computeIfAbsent(r, k -> KafkaCopies.eventId(r, () -> decoded(r, envelope)));
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
    if (skipped > 0) {
      metrics.copiesSkipped(skipped);
    }
    await(webhooks.route(new ArrayList<>(routed.values())));
    Set<String> paused = copies.deliver(toCopy);
    recordCopies(toCopy, copyIds, paused);
    if (!paused.isEmpty()) { // not routed again by this process; the others see the status at their next refresh
      subscriptions = subscriptions.stream().filter(s -> !paused.contains(s.id())).toList();
    }
  }

  /**
   * Records the copies the broker acknowledged as delivered ({@link EventStatus}), in one statement that runs while
   * the next poll is routed: only the previous one is waited for (a batch's failure fails the next batch, which is
   * read again). A subscription given up on has its events in the dead-letter topic instead.
   */
  private void recordCopies(Map<Subscription, List<ConsumerRecord<String, byte[]>>> copied,
      Map<ConsumerRecord<String, byte[]>, String> ids, Set<String> paused) throws Exception {
    List<EventStatus.Change> changes = new ArrayList<>();
    copied.forEach((s, records) -> {
      if (!paused.contains(s.id())) {
        records.forEach(r -> changes.add(new EventStatus.Change(ids.get(r), s.id(), "kafka", "delivered",
            1, null, s.requiresAck(), r.topic(), r.partition(), r.offset())));
      }
    });
    if (stateWrite != null) {
      stateWrite.get(30, TimeUnit.SECONDS);
      stateWrite = null;
    }
    if (!changes.isEmpty()) {
      stateWrite = states.record(changes).toCompletionStage().toCompletableFuture();
    }
  }

  /**
   * The active kafka and webhook subscriptions, re-read when {@code refresh} passed or when a record as new as
   * {@code newest} (its timestamp) may have been published after a subscription the last read did not see; the kafka
   * ones' topics exist.
   */
  private List<Subscription> current(long newest) throws Exception {
    long now = System.currentTimeMillis();
    boolean due = now - refreshedAt >= refresh.toMillis();
    if (!due && newest < readAt) {
      return subscriptions;
    }
    String seen = await(owners.changeMark()); // before the read: a change in between is read again next time
    if (due || !seen.equals(mark)) {
      List<Subscription> active = await(owners.all()).stream().map(Subscription::of)
          .filter(s -> s.active() && ("kafka".equals(s.method()) || "webhook".equals(s.method()))).toList();
      List<TopicSpec> missing = active.stream().filter(s -> "kafka".equals(s.method())).map(Subscription::endpoint)
          .filter(t -> !ensured.contains(t))
          .distinct().map(DeliveryRouter::subscriberTopic).toList();
      for (TopicSpec t : missing) {
        try {
          provisioner.ensure(List.of(t));
          // Known to the producer before the first copy: an idempotent send racing a new topic's metadata can be
          // retried out of sequence until it times out.
          producer.partitionsFor(t.name());
          ensured.add(t.name());
        } catch (KafkaException | ExecutionException | java.util.concurrent.TimeoutException e) {
          // one subscription's target: its copies fail (and it is paused) rather than every subscription's batch
          LOG.warn("kafka subscription topic {} could not be created or found: {}", t.name(), e.toString());
        }
      }
      subscriptions = active;
      refreshedAt = System.currentTimeMillis();
      mark = seen;
    }
    readAt = now;
    return subscriptions;
  }

  private static <T> T await(io.vertx.core.Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** A kafka subscription's own topic, as it is created (when the subscription is, and again if it went missing). */
  public static TopicSpec subscriberTopic(String name) {
    return new TopicSpec(name, 3, Optional.empty(), Map.of(), false);
  }

  /**
   * The id of the event a record holds ({@link KafkaCopies#eventId}: the event's, or where it is when it names none),
   * or null when its value is not a JSON object. A record with the header is only checked to be one, not decoded.
   */
  private static String eventId(ConsumerRecord<String, byte[]> r, JsonObject[] envelope) {
    return envelope[0] == null && !EnvelopeRecords.isJsonObject(r.value()) ? null
        : KafkaCopies.eventId(r, () -> decoded(r, envelope));
  }

  /** The record's envelope, decoded once for all the subscriptions that ask (null when it is not a JSON object). */
  private static JsonObject decoded(ConsumerRecord<String, byte[]> r, JsonObject[] envelope) {
    return envelope[0] != null ? envelope[0] : (envelope[0] = EnvelopeRecords.decode(r.value()));
  }
}
