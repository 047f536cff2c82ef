package com.necpgame.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.testsupport.MeshProcess;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.WsClient;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jar gets SIGTERM while clients publish: {@code /ready} answers 503 DRAINING while the process still serves
 * (shutdown.ready_delay_ms), then it stops accepting, and exits 0 within shutdown.grace_ms; every event it
 * acknowledged, before or after the signal, is in Kafka.
 */
class GracefulShutdownProcessIT {

  @Test
  void sigtermTurnsReadinessOffThenDrainsEveryAcknowledgedPublishAndExitsCleanly(@TempDir Path dir) throws Exception {
    String topic = TestKafka.createTopic("game.drain", 6);
    JsonObject config = MeshProcess.sharedConfig(TestKafka.unique("drain"))
        .put("shutdown", new JsonObject().put("grace_ms", 30_000).put("ready_delay_ms", 2000));
    MeshProcess mesh = MeshProcess.start("drain", dir.resolve("mesh"), config);
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    AtomicInteger afterSignal = new AtomicInteger();
    AtomicBoolean signalled = new AtomicBoolean();
    AtomicBoolean drainingSeen = new AtomicBoolean();
    List<Thread> clients = new ArrayList<>();
    WsClient socket = WsClient.connect(mesh.port());
    try {
      for (int c = 0; c < 3; c++) {
        clients.add(publisher(mesh, topic, c, acknowledged, signalled, drainingSeen, afterSignal));
      }
      clients.add(readinessWatcher(mesh, drainingSeen));
      clients.forEach(Thread::start);
      while (acknowledged.size() < 100) {
        Thread.sleep(50);
      }
      signalled.set(true);
      mesh.signal("TERM");
      assertEquals(0, mesh.awaitExit(Duration.ofSeconds(90)), "a clean stop within the grace period:\n" + mesh.log());
      for (Thread t : clients) {
        t.join(30_000);
      }
      assertTrue(socket.closedWith(30).length() > 0, "the WebSocket was closed by the server");
    } finally {
      clients.forEach(Thread::interrupt);
      socket.close();
      mesh.close();
    }
    String log = mesh.log();
    assertTrue(drainingSeen.get(), "/ready answered 503 DRAINING before the process went away");
    assertTrue(afterSignal.get() > 0, "publishes sent after /ready said DRAINING were still acknowledged");
    assertTrue(log.contains("draining:") && log.contains("stopped in"), log);
    Set<String> inKafka = TestKafka.envelopes(topic).stream().map(e -> e.getString("event_id"))
        .collect(Collectors.toSet());
    Set<String> lost = acknowledged.stream().filter(id -> !inKafka.contains(id)).collect(Collectors.toSet());
    System.out.printf("graceful stop: %d acknowledged (%d sent while draining), %d in Kafka%n", acknowledged.size(),
        afterSignal.get(), inKafka.size());
    assertEquals(Set.of(), lost, "every acknowledged event is in Kafka");
  }

  /** Publishes one event at a time until the process stops answering. */
  private static Thread publisher(MeshProcess mesh, String topic, int client, Set<String> acknowledged,
      AtomicBoolean signalled, AtomicBoolean draining, AtomicInteger afterSignal) {
    return new Thread(() -> {
      for (int i = 0; !Thread.currentThread().isInterrupted(); i++) {
        boolean late = draining.get(); // sent after /ready was seen answering DRAINING
        try {
          HttpResponse<String> r = mesh.post("/events/publish", new JsonObject().put("event_type", "game.drain.step")
              .put("topic", topic).put("source", "drain-it").put("session_id", "client-" + client)
              .put("payload", new JsonObject().put("n", i)));
          if (r.statusCode() == 200) {
            acknowledged.add(new JsonObject(r.body()).getString("event_id"));
            if (late) {
              afterSignal.incrementAndGet();
            }
          }
        } catch (IOException e) {
          if (!mesh.alive() || signalled.get()) {
            return; // stopped accepting
          }
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "publisher-" + client);
  }

  private static Thread readinessWatcher(MeshProcess mesh, AtomicBoolean drainingSeen) {
    return new Thread(() -> {
      while (mesh.alive() && !Thread.currentThread().isInterrupted()) {
        try {
          HttpResponse<String> r = mesh.get("/ready");
          if (r.statusCode() == 503 && r.body().contains("DRAINING")) {
            drainingSeen.set(true);
            return;
          }
          Thread.sleep(50);
        } catch (IOException e) {
          // not answering any more
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "readiness");
  }
}
