package com.necpgame.mesh.fanout;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One socket as the hub sees it: a bounded queue of frames ({@code websocket.buffer_events}) filled by tails and
 * catch-ups on their threads and drained by the socket on its own context, its subscriptions, and its {@link Cursor}
 * on each partition it streams. A full outbox refuses a frame: the partition's feed then leaves the socket behind
 * (it catches up once it drained) rather than wait for it. Control frames ({@code subscribed}, {@code unsubscribed})
 * go through the same queue so they keep their place among the events, and do not count against the bound.
 */
public final class Outbox {

  /** The socket: asked to drain (on its own context, once per batch, not once per frame). */
  public interface Socket {
    void wake();

    /** A catch-up from Kafka failed: the socket is closed and the client resumes from its offsets. */
    void failed(Throwable error);
  }

  private final int capacity;
  private final Socket socket;
  private final ArrayDeque<Object> queue = new ArrayDeque<>();
  private int events;
  private boolean woken;
  private boolean closed;
  final Map<PartitionFeed, Cursor> cursors = new ConcurrentHashMap<>();
  final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
  /** Set when a cursor falls behind; cleared by a resume that finds every cursor live (no lock to read it). */
  volatile boolean lagging;

  public Outbox(int capacity, Socket socket) {
    this.capacity = capacity;
    this.socket = socket;
  }

  /** Queues an event frame; false when the outbox holds {@code capacity} of them already. Any thread. */
  boolean offer(Frame frame) {
    synchronized (this) {
      if (closed) {
        return true;
      }
      if (events >= capacity) {
        return false;
      }
      queue.add(frame);
      events++;
      if (woken) {
        return true;
      }
      woken = true;
    }
    socket.wake();
    return true;
  }

  /** Queues a control frame (JSON text) in its place among the events. Any thread. */
  public void control(String frame) {
    synchronized (this) {
      if (closed) {
        return;
      }
      queue.add(frame);
      if (woken) {
        return;
      }
      woken = true;
    }
    socket.wake();
  }

  /**
   * The next frame to write: a {@link Frame} or a control frame's text; null when there is none, and then the next
   * frame queued wakes the socket again. On the socket's context.
   */
  public synchronized Object poll() {
    Object next = queue.poll();
    if (next instanceof Frame) {
      events--;
    } else if (next == null) {
      woken = false;
    }
    return next;
  }

  /** Event frames waiting. */
  public synchronized int waiting() {
    return events;
  }

  public int capacity() {
    return capacity;
  }

  /** Whether a cursor fell behind since the last resume that found them all live (a hint: no lock taken). */
  public boolean lagging() {
    return lagging;
  }

  /** Whether the socket is behind on any partition (it catches up as it drains). */
  public boolean behind() {
    for (Map.Entry<PartitionFeed, Cursor> e : cursors.entrySet()) {
      synchronized (e.getKey()) {
        if (!e.getValue().live) {
          return true;
        }
      }
    }
    return false;
  }

  /** Whether any subscription of the socket wants the frame. */
  boolean wants(Frame frame) {
    for (Subscription s : subscriptions) {
      if (s.matchesTopic(frame.topic) && s.accepts(frame)) {
        return true;
      }
    }
    return false;
  }

  /** Drops what waits and refuses (quietly) what comes: the socket is gone. */
  synchronized void close() {
    closed = true;
    queue.clear();
    events = 0;
  }

  void failed(Throwable error) {
    socket.failed(error);
  }
}
