package com.necpgame.mesh.delivery;

import com.necpgame.mesh.store.EventStatus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code websocket} subscriptions (those with an id, joined with {@code {"op":"subscribe","subscription":..}})
 * this process serves, one object per process shared by its gateway and delivery verticles:
 * <ul>
 *   <li>which of them have a socket here, and a way to hand one of those sockets a redelivered event ({@link
 *   AckRedelivery} redelivers only events of subscriptions with a socket on its own process);</li>
 *   <li>the {@code delivered} state rows of the frames their sockets wrote, batched: kept in memory and written in one
 *   statement ({@link EventStatus#record}) every {@link #FLUSH_MS} ms or once {@link #FLUSH_ROWS} wait, whichever comes
 *   first. Sockets of the hub (topic streams without a subscription id) write no rows.</li>
 * </ul>
 * A flush that fails is logged and its rows are lost: the events' status stays {@code published} for those
 * subscriptions, and a {@code requires_ack} one is not redelivered (nor can it be acknowledged over REST unless its
 * pattern matches, which it does). Rows still waiting when the process stops are written by {@link #close()}.
 */
public final class SocketSubscriptions implements Shareable {

  /** A socket of a subscription: takes a redelivered event (on its own context) and says whether it could. */
  public interface Socket {
    boolean redeliver(ConsumerRecord<String, byte[]> record, int redelivery);
  }

  /** Rows waiting that make a flush at once, before the timer. */
  public static final int FLUSH_ROWS = 1000;
  /** How often the rows waiting are written. */
  public static final long FLUSH_MS = 250;
  private static final Logger LOG = LoggerFactory.getLogger(SocketSubscriptions.class);
  private static final String MAP = "necp.mesh.socket-subscriptions";

  private final Map<String, List<Socket>> sockets = new ConcurrentHashMap<>();
  private final AtomicInteger turn = new AtomicInteger();
  private final EventStatus states;
  private final Vertx vertx;
  private final long timer;
  private List<EventStatus.Change> waiting = new ArrayList<>();
  private Future<Void> flushing = Future.succeededFuture();

  SocketSubscriptions(Vertx vertx, EventStatus states, long flushMs) {
    this.vertx = vertx;
    this.states = states;
    this.timer = vertx.setPeriodic(flushMs, t -> flush());
  }

  /** The process's one instance (made by the first verticle that asks, under {@code nodeId}). */
  public static SocketSubscriptions of(Vertx vertx, String nodeId, EventStatus states) {
    var map = vertx.sharedData().<String, SocketSubscriptions>getLocalMap(MAP);
    synchronized (SocketSubscriptions.class) {
      SocketSubscriptions found = map.get(nodeId);
      if (found == null) {
        found = new SocketSubscriptions(vertx, states, FLUSH_MS);
        map.put(nodeId, found);
      }
      return found;
    }
  }

  /** Stops the process's instance and writes its waiting rows (the first verticle stopped does it). */
  public static Future<Void> close(Vertx vertx, String nodeId) {
    SocketSubscriptions found = vertx.sharedData().<String, SocketSubscriptions>getLocalMap(MAP).remove(nodeId);
    return found == null ? Future.succeededFuture() : found.close();
  }

  public void joined(String subscriptionId, Socket socket) {
    sockets.computeIfAbsent(subscriptionId, k -> new CopyOnWriteArrayList<>()).add(socket);
  }

  public void left(String subscriptionId, Socket socket) {
    sockets.computeIfPresent(subscriptionId, (k, list) -> {
      list.remove(socket);
      return list.isEmpty() ? null : list;
    });
  }

  /** The subscriptions with at least one socket on this process. */
  public Set<String> live() {
    return Set.copyOf(sockets.keySet());
  }

  /** Hands the event to one socket of the subscription here (in turn); false when none took it. */
  boolean redeliver(String subscriptionId, ConsumerRecord<String, byte[]> record, int redelivery) {
    List<Socket> here = sockets.getOrDefault(subscriptionId, List.of());
    int n = here.size();
    int first = Math.floorMod(turn.getAndIncrement(), Math.max(1, n));
    for (int i = 0; i < n; i++) {
      try {
        if (here.get((first + i) % n).redeliver(record, redelivery)) {
          return true;
        }
      } catch (IndexOutOfBoundsException e) {
        return false; // the last sockets left meanwhile
      }
    }
    return false;
  }

  /** A socket wrote the frame of an event of its subscription: its delivered row, written with the next flush. */
  public void delivered(EventStatus.Change change) {
    boolean full;
    synchronized (this) {
      waiting.add(change);
      full = waiting.size() >= FLUSH_ROWS;
    }
    if (full) {
      vertx.runOnContext(v -> flush());
    }
  }

  /** Writes the rows waiting, after the previous write ended (one write at a time). */
  synchronized Future<Void> flush() {
    if (waiting.isEmpty()) {
      return flushing;
    }
    List<EventStatus.Change> rows = waiting;
    waiting = new ArrayList<>();
    flushing = flushing.transform(v -> states.record(rows)).onFailure(e ->
        LOG.warn("{} WebSocket delivered state row(s) not written: {}", rows.size(), e.toString()));
    return flushing;
  }

  private Future<Void> close() {
    vertx.cancelTimer(timer);
    sockets.clear();
    return flush().otherwise(e -> null);
  }
}
