package com.necpgame.mesh.security;

import com.necpgame.mesh.envelope.Envelope;
import com.necpgame.mesh.envelope.EventIds;
import com.necpgame.mesh.kafka.EnvelopeRecords;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Security events to the audit topic ({@code security.audit.topic}, {@code game.system.audit}): authentication
 * failures ({@code system.auth.failed}), denials ({@code system.access.denied}) and privileged actions that succeeded
 * ({@code system.action.performed}: a subscription created, changed, deleted, its secret rotated or its deliveries
 * redriven, a replay started or cancelled, dead letters redriven, a topic created), each an envelope saying who, what,
 * when and from where. At most {@code security.audit.max_per_second} refusals and as many actions are written a
 * second by a process (two budgets, so a flood of bad requests cannot hide the actions); the rest are counted
 * ({@link #dropped()}). Never blocks: the send is asynchronous, and a failed send is logged once per failure without
 * the credentials.
 */
public final class AuditLog {

  private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
  public static final String AUTH_FAILED = "system.auth.failed";
  public static final String ACCESS_DENIED = "system.access.denied";
  public static final String ACTION_PERFORMED = "system.action.performed";
  static final String KEY_FIELD = "data.remote_address";

  private final Supplier<Producer<String, byte[]>> producer;
  private final String topic;
  private final String source;
  private final TokenBucket limit;
  private final TokenBucket actionLimit;
  private final AtomicLong dropped = new AtomicLong();

  /** {@code actionLimit} bounds the actions performed, {@code limit} the refusals. */
  public AuditLog(Supplier<Producer<String, byte[]>> producer, String topic, String source, TokenBucket limit,
      TokenBucket actionLimit) {
    this.producer = producer;
    this.topic = topic;
    this.source = source;
    this.limit = limit;
    this.actionLimit = actionLimit;
  }

  /**
   * One audit event. {@code principal} is who the caller is or claimed to be (null when unknown), {@code action} what
   * was attempted ({@code POST /events/publish}, {@code publish}, {@code subscribe}), {@code resource} on what (a
   * topic, an endpoint group), {@code reason} why it was refused, {@code remote} the peer address.
   */
  public void record(String type, String principal, String via, String action, String resource, String reason,
      String remote) {
    send(limit, () -> envelope(type, principal, via, action, resource, reason, remote, Instant.now()));
  }

  /**
   * A privileged action that succeeded: {@code action} what was done ({@code subscription.create}, {@code
   * replay.cancel}, ...), {@code resource} on what (a subscription or replay id, a topic), {@code details} what it
   * came to (field names and counts, never secrets or endpoint URLs), {@code remote} the peer address.
   */
  public void performed(String principal, String via, String action, String resource, JsonObject details,
      String remote) {
    send(actionLimit, () -> actionEnvelope(principal, via, action, resource, details, remote, Instant.now()));
  }

  /** Sends the envelope if {@code budget} has a token left; else counts it as dropped. */
  private void send(TokenBucket budget, Supplier<JsonObject> event) {
    if (budget.tryTake(1, System.nanoTime()) != 0) {
      dropped.incrementAndGet();
      return;
    }
    JsonObject envelope = event.get();
    try {
      producer.get().send(EnvelopeRecords.record(topic, KEY_FIELD, envelope), (meta, error) -> {
        if (error != null) {
          LOG.warn("audit event {} to {} not written: {}", envelope.getString("event_id"), topic, error.toString());
        }
      });
    } catch (RuntimeException e) {
      LOG.warn("audit event {} to {} not written: {}", envelope.getString("event_id"), topic, e.toString());
    }
  }

  /** The envelope of one audit event (its data is described by {@code schemas/system/<type>.json}). */
  JsonObject envelope(String type, String principal, String via, String action, String resource, String reason,
      String remote, Instant at) {
    return wrap(type, data(principal, via, action, resource, remote, at).put("reason", reason), at);
  }

  /** The envelope of a {@link #performed} action (described by {@code schemas/system/system.action.performed.json}). */
  JsonObject actionEnvelope(String principal, String via, String action, String resource, JsonObject details,
      String remote, Instant at) {
    JsonObject data = data(principal, via, action, resource, remote, at);
    return wrap(ACTION_PERFORMED, data.put("details", details == null ? new JsonObject() : details), at);
  }

  /** What every audit event says: who, how authenticated, what on what, from where and when. */
  private static JsonObject data(String principal, String via, String action, String resource, String remote,
      Instant at) {
    return new JsonObject()
        .put("principal", principal)
        .put("authenticated_by", via)
        .put("action", clip(action, 300))
        .put("resource", resource == null ? null : clip(resource, 3000))
        .put("remote_address", remote == null ? "unknown" : remote)
        .put("at", at.toString());
  }

  private JsonObject wrap(String type, JsonObject data, Instant at) {
    return new JsonObject()
        .put("event_id", EventIds.newId().toString())
        .put("event_type", type)
        .put("timestamp", at.toString())
        .put("version", Envelope.CURRENT_VERSION)
        .put("source", source)
        .put("data", data)
        .put("metadata", new JsonObject().put("priority", "high").put("ttl", "90d").put("retry_count", 0));
  }

  private static String clip(String text, int max) {
    return text.length() <= max ? text : text.substring(0, max - 3) + "...";
  }

  public long dropped() {
    return dropped.get();
  }
}
