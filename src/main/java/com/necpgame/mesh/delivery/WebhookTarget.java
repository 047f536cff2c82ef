package com.necpgame.mesh.delivery;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Replays to a webhook subscription: each record is queued in {@link WebhookQueue} for the subscription, as the router
 * queues live events, and is then delivered, signed and retried like them. An event the subscription already has
 * waiting is not queued twice.
 */
public final class WebhookTarget implements ReplayTarget {

  private final WebhookQueue queue;
  private final String subscription;

  public WebhookTarget(WebhookQueue queue, String subscription) {
    this.queue = queue;
    this.subscription = subscription;
  }

  @Override
  public void deliver(String replayId, List<ConsumerRecord<String, byte[]>> batch) throws Exception {
    List<String> subscriptions = new ArrayList<>();
    List<String> events = new ArrayList<>();
    List<String> topics = new ArrayList<>();
    List<String> payloads = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> r : batch) {
      String payload = new String(r.value(), StandardCharsets.UTF_8);
      subscriptions.add(subscription);
      events.add(new JsonObject(payload).getValue("event_id") instanceof String id ? id
          : r.topic() + "-" + r.partition() + "-" + r.offset());
      topics.add(r.topic());
      payloads.add(payload);
    }
    queue.enqueue(subscriptions, events, topics, payloads).toCompletionStage().toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
  }
}
