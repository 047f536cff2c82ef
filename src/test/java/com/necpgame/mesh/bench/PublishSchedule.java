package com.necpgame.mesh.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * What a load generator's publisher sends, and when: channels published at fixed rates (event k of a channel is due at
 * its start + k / rate, whenever it is sent, so a late send is charged to latency: no coordinated omission), over at
 * most {@code connections} requests of at most {@code maxBatch} events.
 * <ul>
 *   <li><b>coalesced</b>: at most {@code connections} requests in flight; the events that came due while every
 *   connection was busy go together in the next request once one is answered (the oldest channel first), as a
 *   producer's batching does;</li>
 *   <li><b>per-tick</b>: every tick sends what came due since the last one in requests of its own, whatever is in
 *   flight; they wait for a connection in the HTTP client's queue. With 4 connections and 5 ms ticks this caps the
 *   publisher at 4 x (rate x 5 ms) events per request time (2,000/s needs requests answered within 20 ms), and a
 *   pause of the mesh leaves 200 small requests a second queued, which drain at the margin left above the rate.</li>
 * </ul>
 * Plain logic without Vert.x, called from one thread (the publisher's context).
 */
final class PublishSchedule {

  /** One request to send: {@code count} events of {@code channel} from the one due at {@code firstDue} on. */
  record Send(Channel channel, long firstDue, int count) {}

  /** One published channel. */
  static final class Channel {
    final long rate;
    final boolean toPlayers;
    private long start;
    private long sent;
    private long due;

    private Channel(long rate, boolean toPlayers) {
      this.rate = rate;
      this.toPlayers = toPlayers;
    }

    /** Events due and not sent. */
    long pending() {
      return due - sent;
    }

    /** When the next event to send is (was) due, in the clock of {@link #tick}. */
    long nextDue() {
      return start + sent * 1_000_000_000L / rate;
    }

    long sent() {
      return sent;
    }
  }

  private final int connections;
  private final boolean coalesce;
  private final int maxBatch;
  private final List<Channel> channels = new ArrayList<>();

  PublishSchedule(int connections, boolean coalesce, int maxBatch) {
    this.connections = Math.max(1, connections);
    this.coalesce = coalesce;
    this.maxBatch = maxBatch;
  }

  Channel add(long rate, boolean toPlayers) {
    Channel c = new Channel(rate, toPlayers);
    channels.add(c);
    return c;
  }

  /**
   * The clock moved to {@code nanos}: the events due by then (the first due at the first tick) become pending; once
   * {@code publishing} is false nothing more comes due, and what was due is still sent.
   */
  void tick(long nanos, boolean publishing) {
    for (Channel c : channels) {
      if (c.start == 0) {
        c.start = nanos;
      }
      if (publishing) {
        c.due = Math.max(c.due, (nanos - c.start) * c.rate / 1_000_000_000L + 1);
      }
    }
  }

  /** The requests to send now, given {@code inFlight} requests not answered yet; marks their events sent. */
  List<Send> sends(int inFlight) {
    List<Send> out = new ArrayList<>();
    if (!coalesce) {
      for (Channel c : channels) {
        while (c.pending() > 0) {
          out.add(take(c));
        }
      }
      return out;
    }
    for (int busy = inFlight; busy < connections; busy++) {
      Channel oldest = null;
      for (Channel c : channels) {
        if (c.pending() > 0 && (oldest == null || c.nextDue() < oldest.nextDue())) {
          oldest = c;
        }
      }
      if (oldest == null) {
        break;
      }
      out.add(take(oldest));
    }
    return out;
  }

  private Send take(Channel c) {
    int n = (int) Math.min(maxBatch, c.pending());
    Send send = new Send(c, c.nextDue(), n);
    c.sent += n;
    return send;
  }

  /** Events due and not sent, over every channel. */
  long pending() {
    return channels.stream().mapToLong(Channel::pending).sum();
  }
}
