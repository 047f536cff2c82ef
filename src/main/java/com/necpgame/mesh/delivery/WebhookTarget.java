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
    List<WebhookQueue.Message> messages = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> r : batch) {
      String payload = new String(r.value(), StandardCharsets.UTF_8);
      String id = new JsonObject(payload).getValue("event_id") instanceof String e ? e
          : r.topic() + "-" + r.partition() + "-" + r.offset();
      messages.add(new WebhookQueue.Message(subscription, id, null, r.topic(), payload));
    }
    queue.enqueue(messages).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
