package com.necpgame.mesh.delivery;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.kafka.KafkaWorker;
import com.necpgame.mesh.store.EventStatus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;
import java.time.Duration;
import java.util.Map;

/**
 * The one {@link AckRedelivery} sweeper of a process, on a {@link KafkaWorker}: started by the first verticle that
 * needs it, delivery (kafka copies) or a gateway instance (its sockets' subscriptions), so that a process running only
 * the gateway ({@code MESH_VERTICLES=gateway}) redelivers to its sockets too; stopped by the first one stopped.
 */
public final class AckSweeper {

  private static final String MAP = "necp.mesh.ack-sweeper";

  private record Holder(KafkaWorker worker) implements Shareable {}

  private AckSweeper() {}

  /** Starts the process's sweeper unless it runs already; completes when it is ready. */
  public static Future<Void> start(Vertx vertx, MeshContext mesh) {
    var map = vertx.sharedData().<String, Holder>getLocalMap(MAP);
    KafkaWorker worker;
    synchronized (AckSweeper.class) {
      Holder holder = map.get(mesh.config().nodeId());
      if (holder == null) {
        holder = new Holder(new KafkaWorker("ack-redelivery", mesh.metrics(), body(vertx, mesh)).start());
        map.put(mesh.config().nodeId(), holder);
      }
      worker = holder.worker();
    }
    return Future.fromCompletionStage(worker.ready());
  }

  /** Stops the process's sweeper (the first verticle stopped does it; the others find none). */
  public static Future<Void> stop(Vertx vertx, MeshContext mesh) {
    Holder holder = vertx.sharedData().<String, Holder>getLocalMap(MAP).remove(mesh.config().nodeId());
    return holder == null ? Future.succeededFuture() : Future.fromCompletionStage(holder.worker().stop());
  }

  private static KafkaWorker.Body body(Vertx vertx, MeshContext mesh) {
    var delivery = mesh.config().delivery();
    Duration timeout = Duration.ofMillis(mesh.config().kafka().requestTimeoutMs());
    SocketSubscriptions sockets = SocketSubscriptions.of(vertx, mesh.config().nodeId(), new EventStatus(mesh.pool()));
    return AckRedelivery.sweeps(
        () -> mesh.kafka().consumer("ack-redelivery", null, "earliest", Map.of("max.poll.records", AckRedelivery.CLAIM)),
        reader -> new AckRedelivery(mesh.pool(), mesh.producer(), reader, sockets, delivery.deadLetterTopic(), timeout),
        Duration.ofMillis(delivery.ackSweepMs()));
  }
}
