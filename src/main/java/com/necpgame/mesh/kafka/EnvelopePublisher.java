package com.necpgame.mesh.kafka;

import com.necpgame.mesh.MeshMetrics;
import com.necpgame.mesh.ContextBatcher;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Produces envelopes with the process's shared producer and hands each outcome back on one Vert.x context: the
 * acknowledgement {@code {topic, partition, offset, timestamp}} or a {@link PublishException} — 400 for something
 * that is not an envelope, 413 for one larger than Kafka takes, 503 when Kafka did not take it.
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

  /**
   * Produces {@code envelope}, with the id of the request that published it as the record's {@code request_id} header
   * (null: none); the Future completes on the context with the acknowledgement, or fails with a {@link
   * PublishException} carrying the code. The topic's metadata must already be loaded (see {@link
   * TopicProvisioner#describe}), or this blocks to load it.
   */
  public Future<JsonObject> publish(String topic, String keyField, JsonObject envelope, String requestId) {
    if (envelope == null) {
      return Future.failedFuture(new PublishException(400, "the body must be an envelope: a JSON object"));
    }
    ProducerRecord<String, byte[]> record;
    try {
      record = EnvelopeRecords.record(topic, keyField, envelope);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(new PublishException(400, e.getMessage()));
    }
    if (requestId != null) {
      record.headers().add(EnvelopeRecords.HEADER_REQUEST_ID, requestId.getBytes(StandardCharsets.UTF_8));
    }
    MeshMetrics.PublishOutcome outcome = metrics.publishing(topic, EnvelopeRecords.header(record.headers(),
        EnvelopeRecords.HEADER_EVENT_TYPE));
    Promise<JsonObject> promise = Promise.promise();
    try {
      producer.send(record, (metadata, error) -> onContext.execute(() -> {
        outcome.done(error == null);
        if (error instanceof RecordTooLargeException) {
          promise.fail(new PublishException(413, "the event is larger than Kafka accepts: " + error.getMessage()));
        } else if (error != null) {
          LOG.warn("publish to {} failed for event {} (request {}, correlation {}): {}", topic,
              envelope.getValue("event_id"), requestId, envelope.getValue("correlation_id"), error.toString());
          promise.fail(new PublishException(503, "Kafka did not acknowledge the event: " + error.getMessage()));
        } else {
          promise.complete(new JsonObject().put("topic", metadata.topic()).put("partition", metadata.partition())
              .put("offset", metadata.offset()).put("timestamp", metadata.timestamp()));
        }
      }));
    } catch (RuntimeException e) { // buffer full past max.block.ms, producer closed
      outcome.done(false);
      return Future.failedFuture(new PublishException(503, "Kafka producer unavailable: " + e.getMessage()));
    }
    return promise.future();
  }

  /** A failure as a JSON result: {@code {error: {code, message}}}. */
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
