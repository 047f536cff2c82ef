package com.necpgame.mesh.gateway;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.fanout.Hub;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;
import java.util.Set;

/** The one {@link Hub} of a process, shared by its gateway verticles (one tail per topic per process). */
final class SharedHub {

  private record Holder(Hub hub) implements Shareable {}

  private SharedHub() {}

  static Hub of(Vertx vertx, MeshContext mesh) {
    var map = vertx.sharedData().<String, Holder>getLocalMap("necp.mesh.hub");
    String key = mesh.config().nodeId();
    synchronized (SharedHub.class) {
      Holder holder = map.get(key);
      if (holder == null) {
        holder = new Holder(new Hub(mesh.kafka(), mesh.metrics(), mesh.config().webSocket(),
            () -> mesh.admin().listTopics().names().toCompletionStage().toCompletableFuture()
                .thenApply(names -> (Set<String>) names)));
        map.put(key, holder);
      }
      return holder.hub();
    }
  }

  /** Stops the hub's tails and readers (the first gateway verticle stopped does it; the others find none). */
  static void close(Vertx vertx, MeshContext mesh) {
    Holder holder = vertx.sharedData().<String, Holder>getLocalMap("necp.mesh.hub").remove(mesh.config().nodeId());
    if (holder != null) {
      holder.hub().close();
    }
  }

}
