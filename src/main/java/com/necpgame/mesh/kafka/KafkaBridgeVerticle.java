package com.necpgame.mesh.kafka;

import com.necpgame.mesh.ContextBatcher;
import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.config.MeshConfig.Bridge;
import com.necpgame.mesh.config.MeshConfig.Inbound;
import com.necpgame.mesh.config.MeshConfig.Mode;
import com.necpgame.mesh.config.MeshConfig.Outbound;
import com.necpgame.mesh.config.MeshConfig.Retry;
import com.necpgame.mesh.config.TopicSpec;
import com.necpgame.mesh.kafka.EnvelopePublisher.PublishException;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires event bus addresses to Kafka topics, both ways, as the {@code bridge} config says. Outbound: an envelope sent
 * to a mapped address is produced with the process's shared producer and the reply carries topic, partition and offset
 * once Kafka acknowledged it, or the failure {@link EnvelopePublisher} says; a JSON array of envelopes is a batch,
 * answered once with a result per envelope (the high-throughput path). Inbound: records are delivered to the mapped
 * address as request-reply; the handler replying is what commits the offset.
 */
public final class KafkaBridgeVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaBridgeVerticle.class);

  /** Delivery headers of an inbound record. */
  public static final String TOPIC = "kafka.topic";
  public static final String PARTITION = "kafka.partition";
  public static final String OFFSET = "kafka.offset";
  public static final String KEY = "kafka.key";
  public static final String TIMESTAMP = "kafka.timestamp";

  private final MeshContext mesh;
  private final List<GroupConsumer> inbound = new ArrayList<>();
  private ContextBatcher onContext;
  private EnvelopePublisher publisher;

  public KafkaBridgeVerticle(MeshContext mesh) {
    this.mesh = mesh;
  }

  @Override
  public Future<?> start() {
    Bridge bridge = mesh.config().bridge();
    onContext = new ContextBatcher(context);
    publisher = new EnvelopePublisher(mesh.producer(), mesh.metrics(), context);
    List<Future<?>> ready = new ArrayList<>();
    ready.add(vertx.executeBlocking(this::loadOutboundMetadata).compose(v -> Future.all(bridge.outbound().stream()
        .map(out -> vertx.eventBus().<Object>consumer(out.address(), msg -> publish(out, msg)).completion())
        .toList())));
    if (!bridge.inbound().isEmpty()) {
      ready.add(vertx.executeBlocking(this::ensureDeadLetterTopics).compose(v -> startInbound(bridge)));
    }
    return Future.all(ready).onSuccess(v -> LOG.info("kafka bridge up: {} outbound, {} inbound mapping(s)",
        bridge.outbound().size(), bridge.inbound().size()));
  }

  @Override
  public Future<?> stop() {
    return Future.all(inbound.stream().map(c -> Future.fromCompletionStage(c.stop(), context)).toList());
  }

  private void publish(Outbound out, Message<Object> msg) {
    if (msg.body() instanceof JsonArray batch) {
      publishBatch(out, msg, batch);
      return;
    }
    publisher.publish(out.topic(), out.keyField(), asJson(msg.body()), null).onSuccess(msg::reply)
        .onFailure(e -> msg.fail(((PublishException) e).code(), e.getMessage()));
  }

  /** A batch replies once, with one result per envelope in order: an acknowledgement or an error of its own. */
  private void publishBatch(Outbound out, Message<Object> msg, JsonArray batch) {
    List<Future<JsonObject>> results = batch.stream().map(e -> publisher.publish(out.topic(), out.keyField(),
        asJson(e), null).recover(f -> Future.succeededFuture(
            EnvelopePublisher.failure(((PublishException) f).code(), f.getMessage())))).toList();
    Future.join(results).onComplete(v -> msg.reply(new JsonArray(results.stream().map(Future::result).toList())));
  }

  private static JsonObject asJson(Object body) {
    try {
      return body instanceof JsonObject o ? o
          : body instanceof Buffer b ? new JsonObject(b)
          : body instanceof String s ? new JsonObject(s)
          : null;
    } catch (DecodeException | ClassCastException e) {
      return null;
    }
  }

  /**
   * A send to a topic the producer has no metadata for blocks the calling thread (an event loop here) until the
   * metadata arrives or {@code max_block_ms} passes. So every outbound topic must exist, and its metadata is fetched
   * now, on a worker: a mapping to a missing topic fails start-up, naming it, instead of stalling an event loop later.
   */
  private Void loadOutboundMetadata() throws Exception {
    List<String> topics = mesh.config().bridge().outbound().stream().map(Outbound::topic).distinct().toList();
    if (topics.isEmpty()) {
      return null;
    }
    describe(provisioner(), topics, "bridge.outbound: topics " + topics + " must exist: ");
    topics.forEach(mesh.producer()::partitionsFor);
    return null;
  }

  private TopicProvisioner provisioner() {
    return new TopicProvisioner(mesh.admin(), mesh.config().topics().defaultReplicationFactor(),
        Duration.ofMillis(mesh.config().kafka().requestTimeoutMs()));
  }

  /** The topics' descriptions; start-up stops with {@code failure} and Kafka's reason when one cannot be described. */
  private static Map<String, TopicDescription> describe(TopicProvisioner provisioner, List<String> topics,
      String failure) throws Exception {
    try {
      return provisioner.describe(topics);
    } catch (ExecutionException e) {
      throw new IllegalStateException(failure + e.getCause().getMessage(), e.getCause());
    }
  }

  private Void ensureDeadLetterTopics() throws Exception {
    List<String> topics = mesh.config().bridge().inbound().stream().map(Inbound::topic).distinct().toList();
    TopicProvisioner provisioner = provisioner();
    Map<String, TopicDescription> described = describe(provisioner, topics,
        "bridge.inbound: cannot describe topics " + topics + " (do they exist?): ");
    provisioner.ensure(described.values().stream()
        .map(d -> new TopicSpec(d.name(), d.partitions().size(), Optional.empty(), Map.of(), true).deadLetter())
        .toList());
    return null;
  }

  private Future<?> startInbound(Bridge bridge) {
    List<Future<?>> ready = new ArrayList<>();
    for (Inbound in : bridge.inbound()) {
      String group = in.mode() == Mode.SHARED ? in.group() : null;
      Retry retry = bridge.retry();
      GroupConsumer consumer = new GroupConsumer("inbound-" + in.topic() + "-" + in.address(),
          () -> mesh.kafka().consumer("inbound-" + in.address(), group, in.start().name().toLowerCase()),
          in.mode() == Mode.SHARED ? GroupConsumer.Source.topics(List.of(in.topic()))
              : GroupConsumer.Source.broadcast(in.topic()),
          new GroupConsumer.Policy(false, in.maxAttempts(), new Backoff(Duration.ofMillis(retry.backoffMs()),
              Duration.ofMillis(Math.max(retry.backoffMs(), retry.maxBackoffMs())), 0.2), GroupConsumer.Probe.NONE,
              in.address()),
          mesh.producer(), mesh.metrics(), records -> deliver(in, bridge.requestTimeoutMs(), records.get(0))).start();
      inbound.add(consumer);
      ready.add(Future.fromCompletionStage(consumer.ready(), context));
    }
    return Future.all(ready);
  }

  /** Runs on the consumer's thread: hands the record to the bus on this verticle's context. */
  private CompletionStage<Void> deliver(Inbound in, long timeoutMs, ConsumerRecord<String, byte[]> record) {
    JsonObject body = null;
    if (record.value() != null) {
      try {
        body = new JsonObject(Buffer.buffer(record.value()));
      } catch (DecodeException | ClassCastException e) {
        return CompletableFuture.failedFuture(new PoisonRecordException("not a JSON object: " + e.getMessage()));
      }
    }
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(timeoutMs)
        .addHeader(TOPIC, record.topic())
        .addHeader(PARTITION, String.valueOf(record.partition()))
        .addHeader(OFFSET, String.valueOf(record.offset()))
        .addHeader(TIMESTAMP, String.valueOf(record.timestamp()));
    if (record.key() != null) {
      options.addHeader(KEY, record.key());
    }
    CompletableFuture<Void> handled = new CompletableFuture<>();
    JsonObject message = body;
    onContext.execute(() -> vertx.eventBus().request(in.address(), message, options).onComplete(ar -> {
      if (ar.succeeded()) {
        mesh.metrics().consumed(record.topic(), EnvelopeRecords.header(record.headers(),
            EnvelopeRecords.HEADER_EVENT_TYPE), true);
        handled.complete(null);
      } else {
        handled.completeExceptionally(new IllegalStateException(describe(in.address(), ar.cause())));
      }
    }));
    return handled;
  }

  private static String describe(String address, Throwable cause) {
    if (cause instanceof ReplyException r) {
      return switch (r.failureType()) {
        case NO_HANDLERS -> "no handler at address " + address;
        case TIMEOUT -> "handler at " + address + " did not answer in time";
        default -> "handler at " + address + " failed (" + r.failureCode() + "): " + r.getMessage();
      };
    }
    return String.valueOf(cause.getMessage());
  }
}
