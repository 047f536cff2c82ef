package com.necpgame.mesh.gateway;

import com.necpgame.mesh.ContextBatcher;
import com.necpgame.mesh.MeshMetrics;
import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.fanout.Frame;
import com.necpgame.mesh.fanout.Hub;
import com.necpgame.mesh.fanout.Outbox;
import com.necpgame.mesh.fanout.Subscription;
import com.necpgame.mesh.kafka.PartitionScan;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.vertx.core.Context;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The hub side of one socket ({@code websocket.engine: hub}): its subscriptions by id, and its {@link Outbox}
 * drained on the socket's event loop together with the loop's other sockets ({@link ContextBatcher}). The frames go
 * to the socket's Netty channel as the hub encoded them (the same WebSocket frame bytes for every socket,
 * {@link Frame#buffer()}), as many as the channel takes, then one flush. When the socket cannot be written for
 * {@code websocket.slow_client_close_ms} it is closed with 1008 and a reason; meanwhile the hub leaves it behind, and
 * it catches up as it drains.
 */
final class SocketChannels implements Outbox.Socket {

  private final ServerWebSocket ws;
  /** The socket's connection: frames are written to it directly, so a batch costs one flush (one system call). */
  private final Channel channel;
  private final Context context;
  private final ContextBatcher drainer;
  private final Hub hub;
  private final MeshConfig.WebSocket config;
  private final MeshMetrics metrics;
  private final Outbox outbox;
  private final Map<Object, Subscription> byId = new LinkedHashMap<>();
  /** {@link System#currentTimeMillis()} since the socket could not be written (0: it can). */
  private long blockedSince;
  private long slowTimer = -1;
  private boolean closed;

  /** On {@code context}, the socket's. */
  SocketChannels(ServerWebSocket ws, Channel channel, Context context, Hub hub, MeshConfig.WebSocket config,
      MeshMetrics metrics) {
    this.ws = ws;
    this.channel = channel;
    this.context = context;
    this.drainer = ContextBatcher.of(context);
    this.hub = hub;
    this.config = config;
    this.metrics = metrics;
    this.outbox = new Outbox(config.bufferEvents(), this);
    channel.pipeline().addFirst(new ChannelInboundHandlerAdapter() {
      @Override
      public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
          unblocked(); // what was written went out: progress, even when nothing more waits
          drain();
        }
        ctx.fireChannelWritabilityChanged();
      }
    });
  }

  boolean has(Object id) {
    return byId.containsKey(id);
  }

  int size() {
    return byId.size();
  }

  /**
   * Adds a subscription; its {@code subscribed} frame is queued before its events. Completes once it is installed,
   * or fails (nothing installed) when a topic could not be read.
   */
  CompletableFuture<Void> subscribe(Object id, Object shownId, StreamRequest request, int keyField, String keyValue) {
    Subscription s = new Subscription(id, outbox, request.topics(), request.eventTypes(), request.filter(), keyField,
        keyValue, position(request.start()));
    byId.put(id, s);
    return hub.subscribe(s, (positions, gaps) -> outbox.control(new JsonObject().put("type", "subscribed")
        .put("id", shownId).put("positions", json(positions)).put("gaps", gaps(gaps)).encode()))
        .whenComplete((v, e) -> {
          if (e != null) {
            context.runOnContext(x -> byId.remove(id, s));
          }
        });
  }

  /** Stops one subscription; {@code unsubscribed} follows its last event. */
  void unsubscribe(Object id, Object shownId) {
    Subscription s = byId.remove(id);
    if (s != null) {
      hub.unsubscribe(s);
    }
    outbox.control(new JsonObject().put("type", "unsubscribed").put("id", shownId).encode());
  }

  /** Stops them all (no frame). */
  void unsubscribeAll() {
    byId.values().forEach(hub::unsubscribe);
    byId.clear();
  }

  void close() {
    closed = true;
    byId.clear();
    hub.close(outbox);
    unblocked();
  }

  @Override
  public void wake() {
    drainer.execute(this::drain);
  }

  @Override
  public void failed(Throwable error) {
    context.runOnContext(v -> {
      if (!closed && !ws.isClosed()) {
        ws.close(StreamSocket.INTERNAL_ERROR, "stream failed; resume from your last offsets");
      }
    });
  }

  private void drain() {
    if (closed || ws.isClosed()) {
      return;
    }
    int written = 0;
    while (channel.isWritable()) {
      Object next = outbox.poll();
      if (next == null) {
        break;
      }
      channel.write(next instanceof Frame frame ? frame.buffer()
          : Unpooled.wrappedBuffer(Frame.wire(((String) next).getBytes(StandardCharsets.UTF_8))),
          channel.voidPromise());
      written++;
    }
    if (written > 0) {
      channel.flush();
      unblocked();
    }
    if (!channel.isWritable()) {
      blocked(); // the channel's writability handler drains again once it took what was written
    }
    if (outbox.lagging() && outbox.waiting() <= outbox.capacity() / 2) {
      hub.resume(outbox);
    }
  }

  private void blocked() {
    if (blockedSince != 0) {
      return;
    }
    blockedSince = System.currentTimeMillis();
    metrics.streamPaused(true);
    long since = blockedSince;
    slowTimer = context.owner().setTimer(config.slowClientCloseMs(), t -> {
      slowTimer = -1;
      if (blockedSince == since && !closed && !ws.isClosed()) {
        metrics.slowClientClosed();
        int waiting = outbox.waiting();
        ws.close(StreamSocket.POLICY_VIOLATION, "slow consumer: " + waiting + " events unread for "
            + (System.currentTimeMillis() - since) + " ms; resume from your last offsets");
      }
    });
  }

  private void unblocked() {
    if (blockedSince == 0) {
      return;
    }
    blockedSince = 0;
    metrics.streamPaused(false);
    if (slowTimer >= 0) {
      context.owner().cancelTimer(slowTimer);
      slowTimer = -1;
    }
  }

  /** Where the request starts as a scan's position. */
  private static PartitionScan.Position position(StreamRequest.Start start) {
    if (start instanceof StreamRequest.Latest) {
      return PartitionScan.END;
    } else if (start instanceof StreamRequest.AtTime t) {
      return new PartitionScan.AtTime(t.epochMillis());
    } else if (start instanceof StreamRequest.Offsets o) {
      return new PartitionScan.AtOffsets(o.next(), position(o.otherwise()));
    }
    return PartitionScan.BEGINNING;
  }

  private static JsonObject json(Map<String, Map<Integer, Long>> positions) {
    JsonObject out = new JsonObject();
    positions.forEach((topic, parts) -> {
      JsonObject p = new JsonObject();
      parts.forEach((partition, next) -> p.put(String.valueOf(partition), next));
      out.put(topic, p);
    });
    return out;
  }

  private static JsonArray gaps(List<PartitionScan.Gap> gaps) {
    JsonArray out = new JsonArray();
    gaps.forEach(g -> out.add(new JsonObject().put("topic", g.partition().topic()).put("partition",
        g.partition().partition()).put("requested", g.requested()).put("from", g.from()).put("reason", g.reason())));
    return out;
  }
}
