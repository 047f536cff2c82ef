package com.necpgame.mesh.kafka;

import com.necpgame.mesh.MeshMetrics;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Produces envelopes with the process's shared producer and hands each outcome back on one Vert.x context: the
 * acknowledgement {@code {topic, partition, offset, timestamp}} or {@code {error: {code, message}}} — 400 for
 * something that is not an envelope, 413 for one larger than Kafka takes, 503 when Kafka did not take it.
 */
public final class EnvelopePublisher {

  private static final Logger LOG = LoggerFactory.getLogger(EnvelopePublisher.class);

  private final Producer<String, byte[]> producer;
  private final MeshMetrics metrics;
  private final ContextBatcher onContext;

  public EnvelopePublisher(Producer<String, byte[]> producer, MeshMetrics metrics, Context context) {
    this.producer = producer;
    this.metrics = metrics;
    this.onContext = new ContextBatcher(context);
  }

  /** The topic's metadata must already be loaded (see {@link TopicProvisioner#describe}), or this blocks to load it. */
  public void publish(String topic, String keyField, JsonObject envelope, Consumer<JsonObject> done) {
    publish(topic, keyField, envelope, null, done);
  }

  /** The same, with the id of the request that published it as the record's {@code request_id} header. */
  public void publish(String topic, String keyField, JsonObject envelope, String requestId,
      Consumer<JsonObject> done) {
    if (envelope == null) {
      done.accept(failure(400, "the body must be an envelope: a JSON object"));
      return;
    }
    ProducerRecord<String, byte[]> record;
    try {
      record = EnvelopeRecords.record(topic, keyField, envelope);
    } catch (IllegalArgumentException e) {
      done.accept(failure(400, e.getMessage()));
      return;
    }
    if (requestId != null) {
      record.headers().add(EnvelopeRecords.HEADER_REQUEST_ID, requestId.getBytes(StandardCharsets.UTF_8));
    }
    MeshMetrics.PublishOutcome outcome = metrics.publishing(topic, EnvelopeRecords.header(record.headers(),
        EnvelopeRecords.HEADER_EVENT_TYPE));
    try {
      producer.send(record, (metadata, error) -> onContext.execute(() -> {
        outcome.done(error == null);
        if (error instanceof RecordTooLargeException) {
          done.accept(failure(413, "the event is larger than Kafka accepts: " + error.getMessage()));
        } else if (error != null) {
          LOG.warn("publish to {} failed for event {} (request {}, correlation {}): {}", topic,
              envelope.getValue("event_id"), requestId, envelope.getValue("correlation_id"), error.toString());
          done.accept(failure(503, "Kafka did not acknowledge the event: " + error.getMessage()));
        } else {
          done.accept(new JsonObject().put("topic", metadata.topic()).put("partition", metadata.partition())
              .put("offset", metadata.offset()).put("timestamp", metadata.timestamp()));
        }
      }));
    } catch (RuntimeException e) { // buffer full past max.block.ms, producer closed
      outcome.done(false);
      done.accept(failure(503, "Kafka producer unavailable: " + e.getMessage()));
    }
  }

  /**
   * The same as a Future, failed with a {@link PublishException} carrying the code, with the publishing request's id
   * as the {@code request_id} header (null: none).
   */
  public Future<JsonObject> publish(String topic, String keyField, JsonObject envelope, String requestId) {
    Promise<JsonObject> promise = Promise.promise();
    publish(topic, keyField, envelope, requestId, result -> {
      JsonObject error = result.getJsonObject("error");
      if (error == null) {
        promise.complete(result);
      } else {
        promise.fail(new PublishException(error.getInteger("code"), error.getString("message")));
      }
    });
    return promise.future();
  }

  public static JsonObject failure(int code, String message) {
    return new JsonObject().put("error", new JsonObject().put("code", code).put("message", message));
  }

  /** A publish Kafka did not acknowledge, with the HTTP-style status that says whose fault it was. */
  public static final class PublishException extends RuntimeException {
    private final int code;

    public PublishException(int code, String message) {
      super(message, null, false, false);
      this.code = code;
    }

    public int code() {
      return code;
    }
  }
}
