package com.necpgame.mesh.gateway;

import com.necpgame.mesh.MeshContext;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Lets a publish through to a topic only once the topic is known to exist and the producer has its metadata, both
 * checked on a worker: a send to an unknown topic would otherwise block the event loop for {@code max_block_ms}.
 */
final class TopicGate {

  /** The topic does not exist (404). */
  static final class NoSuchTopic extends RuntimeException {
    NoSuchTopic(String topic) {
      super("topic " + topic + " does not exist", null, false, false);
    }
  }

  private final Vertx vertx;
  private final MeshContext mesh;
  private final Set<String> ready = ConcurrentHashMap.newKeySet();

  TopicGate(Vertx vertx, MeshContext mesh) {
    this.vertx = vertx;
    this.mesh = mesh;
  }

  Future<Void> open(String topic) {
    if (ready.contains(topic)) {
      return Future.succeededFuture();
    }
    return vertx.executeBlocking(() -> {
      try {
        mesh.admin().describeTopics(List.of(topic)).allTopicNames()
            .get(mesh.config().kafka().requestTimeoutMs(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof UnknownTopicOrPartitionException) {
          throw new NoSuchTopic(topic);
        }
        throw e;
      }
      mesh.producer().partitionsFor(topic);
      ready.add(topic);
      return null;
    }, false);
  }
}
