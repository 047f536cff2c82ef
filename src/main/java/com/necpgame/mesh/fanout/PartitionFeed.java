package com.necpgame.mesh.fanout;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;

/**
 * One partition of a tailed topic in this process: its {@link History}, the tail's next offset, and the hand-off
 * between the live tail and sockets catching up. Everything here runs under this object's lock, so a frame is
 * either dispatched live to a socket or found by its catch-up, never both and never neither: a socket is made live
 * again only when its next offset is the tail's next, in the same critical section that would dispatch that offset.
 */
final class PartitionFeed {

  /** What {@link #advance} did. */
  enum Step { LIVE, FULL, KAFKA, READING }

  final TopicPartition partition;
  private final TopicIndex index;
  private final History history;
  private final FanoutMeters meters;
  /** The tail's next offset; -1 until the tail is positioned. */
  private long next = -1;

  PartitionFeed(TopicPartition partition, TopicIndex index, History history, FanoutMeters meters) {
    this.partition = partition;
    this.index = index;
    this.history = history;
    this.meters = meters;
  }

  /** The tail starts reading at {@code at}; a tail started again after a failure goes on from {@link #next()}. */
  synchronized void position(long at) {
    if (next < 0) {
      next = at;
      history.reset(at);
    }
  }

  synchronized long next() {
    return next;
  }

  /** Where the history is complete from. */
  synchronized long floor() {
    return history.floor();
  }

  synchronized void trim(long now) {
    history.trim(now);
  }

  /** A frame the tail read: kept in the history, and queued for every live socket with a subscription it matches. */
  synchronized void append(Frame frame, long now) {
    history.append(frame, now);
    next = frame.offset + 1;
    Dispatch dispatch = new Dispatch(frame);
    index.forEachCandidate(frame, dispatch::offer);
    frame.forget();
    meters.delivered(dispatch.delivered);
  }

  /** The socket-level step of one frame's dispatch: once per socket, however many of its subscriptions match. */
  private final class Dispatch {
    private final Frame frame;
    private Set<Outbox> seen;
    private int delivered;

    Dispatch(Frame frame) {
      this.frame = frame;
    }

    void offer(Subscription s) {
      Outbox outbox = s.outbox;
      Cursor cursor = outbox.cursors.get(PartitionFeed.this);
      if (cursor == null || !cursor.live || !s.accepts(frame)) {
        return;
      }
      if (outbox.subscriptions.size() > 1) {
        if (seen == null) {
          seen = new HashSet<>();
        }
        if (!seen.add(outbox)) {
          return;
        }
      }
      if (outbox.offer(frame)) {
        delivered++;
      } else {
        cursor.live = false; // left behind here: it catches up from this offset once it has room
        cursor.next = frame.offset;
        outbox.lagging = true;
      }
    }
  }

  /**
   * A subscription of {@code outbox} starts at {@code start} on this partition: the socket's cursor is created there
   * (live when that is the tail's next offset), or moved back to it when it was further on. A start past the tail
   * is taken as the tail's position (the client skips offsets before the positions it was told).
   */
  synchronized void install(Outbox outbox, long start) {
    long at = Math.min(start, next);
    Cursor cursor = outbox.cursors.get(this);
    outbox.lagging |= at < next;
    if (cursor == null) {
      outbox.cursors.put(this, new Cursor(at, at == next));
    } else if (cursor.live && at < next) {
      cursor.live = false;
      cursor.next = at;
    } else if (!cursor.live) {
      cursor.next = Math.min(cursor.next, at);
    }
  }

  /**
   * Moves the socket forward from the history while it has room: live again once it reaches the tail; {@code KAFKA}
   * when its next offset is older than the history holds (the caller starts a read from Kafka).
   */
  synchronized Step advance(Outbox outbox) {
    Cursor cursor = outbox.cursors.get(this);
    if (cursor == null || cursor.live) {
      return Step.LIVE;
    }
    if (cursor.reading) {
      return Step.READING;
    }
    if (!history.covers(cursor.next)) {
      cursor.reading = true;
      return Step.KAFKA;
    }
    for (int i = history.indexOf(cursor.next); i < history.size(); i++) {
      Frame frame = history.get(i);
      boolean wanted = outbox.wants(frame);
      frame.forget();
      if (wanted && !outbox.offer(frame)) {
        cursor.next = frame.offset;
        return Step.FULL;
      }
      cursor.next = frame.offset + 1;
    }
    cursor.next = next;
    cursor.live = true;
    meters.caughtUp("history");
    return Step.LIVE;
  }

  /**
   * Frames read from Kafka (in offset order, up to {@code position}) for the sockets of {@code group} catching up
   * here: each socket takes those from its next offset while it has room. Sockets that ran out of room are removed
   * from the group (they stay behind where they are and go on when they drained).
   */
  synchronized void readFromKafka(List<Frame> frames, Collection<Outbox> group, long position) {
    int delivered = 0;
    Set<Outbox> full = new HashSet<>();
    for (Frame frame : frames) {
      for (Outbox outbox : group) {
        Cursor cursor = outbox.cursors.get(this);
        if (cursor == null || cursor.live || cursor.next > frame.offset || full.contains(outbox)) {
          continue;
        }
        if (outbox.wants(frame)) {
          if (!outbox.offer(frame)) {
            cursor.next = frame.offset;
            cursor.reading = false;
            full.add(outbox);
            continue;
          }
          delivered++;
        }
        cursor.next = frame.offset + 1;
      }
      frame.forget();
    }
    group.removeAll(full);
    for (Outbox outbox : group) {
      Cursor cursor = outbox.cursors.get(this);
      if (cursor != null && !cursor.live && cursor.next < position) {
        cursor.next = position; // offsets without a record (transaction markers, compacted away)
      }
    }
    meters.delivered(delivered);
  }

  /** The smallest next offset of the group's sockets still behind here; -1 when none is. */
  synchronized long lowest(Collection<Outbox> group) {
    long low = -1;
    for (Outbox outbox : group) {
      Cursor cursor = outbox.cursors.get(this);
      if (cursor != null && !cursor.live && (low < 0 || cursor.next < low)) {
        low = cursor.next;
      }
    }
    return low;
  }

  /** The read for these sockets ended: they go on from the history (or ask for Kafka again). */
  synchronized void readEnded(Collection<Outbox> group) {
    for (Outbox outbox : group) {
      Cursor cursor = outbox.cursors.get(this);
      if (cursor != null) {
        cursor.reading = false;
      }
    }
  }

  @Override
  public String toString() {
    return partition.toString();
  }
}
