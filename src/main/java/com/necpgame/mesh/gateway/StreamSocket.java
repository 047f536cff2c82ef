package com.necpgame.mesh.gateway;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.delivery.SocketSubscriptions;
import com.necpgame.mesh.gateway.Publications.Refusal;
import com.necpgame.mesh.security.AuditLog;
import com.necpgame.mesh.security.Principal;
import com.necpgame.mesh.security.Security;
import com.necpgame.mesh.store.EventStatus;
import com.necpgame.mesh.store.EventStore;
import com.necpgame.mesh.store.SubscriptionRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import com.necpgame.mesh.fanout.Hub;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client on {@code /ws}: JSON text frames in both directions, all handled on the socket's event loop.
 * <ul>
 *   <li>{@code {"op":"subscribe","id":..,"topics":[..],"event_types":[..],"start":..}} (see {@link StreamRequest})
 *   answers {@code {"type":"subscribed","id":..,"positions":{topic:{partition:next offset}},"gaps":[..]}}, then
 *   {@code {"type":"event","topic","partition","offset","timestamp","event"}} frames in order per partition;</li>
 *   <li>with {@code "end"} the stream is bounded (a replay to the socket): after the last event {@code {"type":"end",
 *   "id":..,"positions":{topic:{partition:end offset}}}} and the socket may subscribe again;</li>
 *   <li>{@code {"op":"subscribe","subscription":"<id>"}} joins a {@code websocket} subscription its principal owns
 *   (or any, for an admin) instead: the events it matches are shared among its sockets on every process, each sent
 *   to one, resumed where they left off;</li>
 *   <li>{@code {"op":"unsubscribe"}} stops it ({@code {"type":"unsubscribed"}});</li>
 *   <li>{@code {"op":"publish","ref":..,"event":{..}}} or {@code "events":[..]} (the publish request of {@code POST
 *   /events/publish}) answers one {@code {"type":"ack","ref","index","event_id","topic","partition","offset"}} or
 *   {@code {"type":"error","ref","index","status","error"}} per event once Kafka answered, or with {@code
 *   "ack":"batch"} one {@code {"type":"acks","ref","published","failed","results"}} once all were;</li>
 *   <li>{@code {"op":"ack","event_id":..}} on a socket that joined a subscription with {@code requires_ack}: the
 *   subscription processed the event ({@code {"type":"acked",..}}, see {@link #ack});</li>
 *   <li>{@code {"op":"ping"}} answers {@code {"type":"pong"}}.</li>
 * </ul>
 * A frame the socket cannot take gets {@code {"type":"error","ref":..,"error":{code,message,details}}} and the socket
 * stays open. Events wait in a queue of at most {@code websocket.buffer_events} while the client reads slowly; past
 * that the stream pauses, and a client paused for {@code websocket.slow_client_close_ms} is closed with 1008. A client
 * with {@code websocket.max_in_flight_publishes} unacknowledged publishes is not read until half of them are answered.
 * A socket opened with a JWT is closed with 1008 "token expired" when the token's {@code exp} passes
 * ({@link TokenExpiry}).
 */
final class StreamSocket {

  private static final Logger LOG = LoggerFactory.getLogger(StreamSocket.class);
  static final short POLICY_VIOLATION = 1008;
  static final short INTERNAL_ERROR = 1011;
  static final short MESSAGE_TOO_BIG = 1009;
  static final short GOING_AWAY = 1001;
  static final String DEFAULT_ID = "default";

  private final ServerWebSocket ws;
  private final Context context;
  private final MeshContext mesh;
  private final MeshConfig.WebSocket config;
  private final Publications publications;
  private final SubscriptionRegistry registry;
  private final Security security;
  private final Principal principal;
  private final String remote;
  private final Publications.Admission admission;
  private final ArrayDeque<String> queue = new ArrayDeque<>();
  /** With {@link #joined}: the event of each frame in {@link #queue} (null for a skipped frame), in step with it. */
  private final ArrayDeque<Optional<TopicStream.Sent>> sentQueue = new ArrayDeque<>();
  /** The joined subscription's {@code requires_ack}. */
  private boolean joinedRequiresAck;
  private final SocketSubscriptions socketSubscriptions;
  /** This socket as the joined subscription's sockets know it (redeliveries). */
  private final SocketSubscriptions.Socket redeliveries = this::redeliver;
  private TopicStream stream;
  private Object subscriptionId;
  /** The {@code websocket} subscription this socket joined, while it streams it: what an {@code ack} frame names. */
  private String joined;
  private final Acknowledgements acks;
  private int inFlight;
  private boolean readPaused;
  /** Over its rate limit: not read until this {@link System#nanoTime()} (0: not limited). */
  private long limitedUntil;
  private boolean closed;
  /** The upgrade request's ids: every event this socket publishes carries them. */
  private final RequestIds.Ids ids;
  /** The socket's subscriptions on the process's hub; null with {@code websocket.engine: per_socket}. */
  private final SocketChannels channels;
  private final Hub hub;
  /** When the client last sent anything (a frame or a pong). */
  private long heard = System.currentTimeMillis();

  /** {@code channel} is the socket's connection (the hub writes its frames there). */
  StreamSocket(ServerWebSocket ws, io.netty.channel.Channel channel, Context context, MeshContext mesh,
      Publications publications, Security security, Principal principal, String remote, RequestIds.Ids ids, Hub hub) {
    this.ids = ids;
    this.hub = hub;
    this.channels = hub == null ? null
        : new SocketChannels(ws, channel, context, hub, mesh.config().webSocket(), mesh.metrics());
    this.ws = ws;
    this.context = context;
    this.mesh = mesh;
    this.config = mesh.config().webSocket();
    this.publications = publications;
    this.registry = new SubscriptionRegistry(mesh.pool(), mesh.secrets());
    EventStatus states = new EventStatus(mesh.pool());
    this.acks = new Acknowledgements(registry, states, new EventStore(mesh.pool()));
    this.socketSubscriptions = SocketSubscriptions.of(context.owner(), mesh.config().nodeId(), states);
    this.security = security;
    this.principal = principal;
    this.remote = remote;
    this.admission = PublishAdmission.webSocket(security, principal, remote, this::limited);
  }

  void open() {
    ws.textMessageHandler(this::onText);
    ws.binaryMessageHandler(b -> error(null, 400, "unsupported_frame", "send JSON as text frames", null));
    ws.exceptionHandler(this::onException);
    long expiry = TokenExpiry.closeWhenExpired(context.owner(), ws, principal);
    ws.pongHandler(b -> heard = System.currentTimeMillis());
    long keepAlive = context.owner().setPeriodic(config.pingIntervalMs(), t -> keepAlive());
    ws.closeHandler(v -> {
      context.owner().cancelTimer(expiry);
      context.owner().cancelTimer(keepAlive);
      closed = true;
      stopStream();
      if (channels != null) {
        channels.close();
      }
      mesh.metrics().webSocketClosed();
    });
  }

  /**
   * Every {@code websocket.ping_interval_ms} a PING control frame (the client's pong, or any frame, shows it is
   * there); a client that sent nothing for {@code websocket.idle_timeout_ms} is closed with 1001 "idle".
   */
  private void keepAlive() {
    if (closed || ws.isClosed()) {
      return;
    }
    if (System.currentTimeMillis() - heard >= config.idleTimeoutMs()) {
      ws.close(GOING_AWAY, "idle");
      return;
    }
    ws.writePing(Buffer.buffer());
  }

  /** Vert.x reports a message over {@code http.max_body_bytes} here and keeps the socket open; it is closed. */
  private void onException(Throwable e) {
    if (e instanceof IllegalStateException && String.valueOf(e.getMessage()).contains("max message size")) {
      ws.close(MESSAGE_TOO_BIG, "a message may have at most " + mesh.config().http().maxBodyBytes()
          + " bytes (http.max_body_bytes)");
    } else {
      LOG.debug("WebSocket {}: {}", ws.remoteAddress(), e.toString());
    }
  }

  private void onText(String text) {
    heard = System.currentTimeMillis();
    JsonObject frame;
    try {
      frame = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      error(null, 400, "malformed_json", "a frame must be a JSON object: " + e.getMessage(), null);
      return;
    }
    Object ref = frame.getValue("ref", frame.getValue("id"));
    if (!(ref == null || ref instanceof String || ref instanceof Number)) {
      error(null, 400, "invalid_frame", "ref and id must be a string or a number", null);
      return;
    }
    switch (String.valueOf(frame.getValue("op"))) {
      case "subscribe" -> subscribe(frame, ref);
      case "unsubscribe" -> unsubscribe(ref);
      case "publish" -> publish(frame, ref);
      case "ping" -> send(new JsonObject().put("type", "pong").put("ref", ref));
      case "ack" -> ack(frame, ref);
      default -> error(ref, 400, "unknown_op", "op must be subscribe, unsubscribe, publish, ack or ping", null);
    }
  }

  private void subscribe(JsonObject frame, Object id) {
    if (channels != null && !frame.containsKey("subscription") && frame.getValue("end") == null) {
      subscribeOnHub(frame, id);
      return;
    }
    if (stream != null) {
      error(id, 409, "already_subscribed", "this socket already has a subscription; unsubscribe first", null);
      return;
    }
    if (frame.containsKey("subscription")) {
      joinSubscription(frame, id);
      return;
    }
    JsonArray problems = new JsonArray();
    StreamRequest request = StreamRequest.parse(frame, problems);
    if (request == null) {
      error(id, 400, "invalid_subscription", "the subscription is not valid", problems);
      return;
    }
    open(request, id);
  }

  /**
   * {@code {"op":"subscribe","subscription":"<id>"}}: this socket joins the sockets of a {@code websocket}
   * subscription; its events are shared among them (each to one socket) from where the subscription's group is.
   */
  private void joinSubscription(JsonObject frame, Object id) {
    if (!(frame.getValue("subscription") instanceof String name) || frame.fieldNames().stream()
        .anyMatch(f -> !List.of("op", "id", "ref", "subscription").contains(f))) {
      error(id, 400, "invalid_subscription", "expected {\"op\":\"subscribe\",\"subscription\":\"<id>\"} and "
          + "nothing else: the subscription says what is streamed", null);
      return;
    }
    registry.get(name).onComplete(found -> {
      if (closed || stream != null) {
        return;
      }
      JsonObject s = found.succeeded() ? found.result() : null;
      if (found.failed()) {
        error(id, 503, "database_unavailable", "the subscription could not be read", null);
      } else if (s == null || !Access.sees(principal, s.getString("owner"))) {
        error(id, 404, "subscription_not_found", "no subscription " + name, null); // another's is not there to it
      } else if (!"websocket".equals(s.getString("method"))) {
        error(id, 409, "not_a_websocket_subscription", "subscription " + name + " delivers by "
            + s.getString("method"), null);
      } else if (!"active".equals(s.getString("status"))) {
        error(id, 409, "subscription_paused", "subscription " + name + " is paused", null);
      } else {
        open(StreamRequest.ofSubscription(s, mesh.config().kafka().consumer().groupPrefix() + ".ws." + name), id);
        joined = stream == null ? null : name;
        joinedRequiresAck = Boolean.TRUE.equals(s.getBoolean("requires_ack"));
        if (joined != null) {
          socketSubscriptions.joined(joined, redeliveries);
        }
      }
    });
  }

  private void open(StreamRequest request, Object id) {
    List<String> denied = request.patterns().stream().filter(p -> !principal.acl().maySubscribe(p)).toList();
    if (!denied.isEmpty()) {
      security.audit().record(AuditLog.ACCESS_DENIED, principal.name(), principal.via(), "subscribe",
          String.join(",", denied), "topic patterns not in the principal's subscribe ACL", remote);
      security.refused("forbidden", "subscribe");
      error(id, 403, "forbidden", "principal " + principal.name() + " may not subscribe to " + denied, null);
      return;
    }
    subscriptionId = id;
    Output output = new Output(id);
    stream = new TopicStream(mesh.kafka(), mesh.metrics(), request, output, config.bufferEvents(), config.slowClientCloseMs(),
        config.topicRefreshMs());
    output.from = stream;
    stream.start();
  }

  /**
   * Where one subscription's stream writes. Its calls come on the stream's thread and are carried over to the
   * socket's context, where they are dropped if the subscription ended or the socket closed meanwhile.
   */
  private final class Output implements TopicStream.Listener {
    private final Object id;
    private TopicStream from;

    Output(Object id) {
      this.id = id;
    }

    private void onContext(Runnable action) {
      context.runOnContext(v -> {
        if (from == stream && !closed && !ws.isClosed()) { // the socket may be closed before its close handler ran
          action.run();
        }
      });
    }

    @Override
    public void started(JsonObject positions, JsonArray gaps) {
      onContext(() -> send(new JsonObject().put("type", "subscribed").put("id", id).put("positions", positions)
          .put("gaps", gaps)));
    }

    @Override
    public void frames(List<String> frames, List<TopicStream.Sent> sent) {
      onContext(() -> {
        queue.addAll(frames);
        if (joined != null) {
          for (int i = 0; i < frames.size(); i++) {
            sentQueue.add(Optional.ofNullable(sent == null ? null : sent.get(i)));
          }
        }
        drain();
      });
    }

    @Override
    public void ended(JsonObject positions) {
      onContext(() -> {
        stopStream();
        send(new JsonObject().put("type", "end").put("id", id).put("positions", positions));
      });
    }

    @Override
    public void tooSlow(int waiting, long waitedMs) {
      mesh.metrics().slowClientClosed();
      onContext(() -> {
        queue.clear();
        ws.close(POLICY_VIOLATION, "slow consumer: " + waiting + " events unread for " + waitedMs
            + " ms; resume from your last offsets");
      });
    }

    @Override
    public void failed(Throwable error) {
      LOG.warn("WebSocket stream for {} failed: {}", ws.remoteAddress(), error.toString());
      onContext(() -> ws.close(INTERNAL_ERROR, "stream failed; resume from your last offsets"));
    }

    @Override
    public void paused(boolean paused) {
      mesh.metrics().streamPaused(paused);
    }
  }

  private void drain() {
    if (ws.isClosed()) {
      return;
    }
    int written = 0;
    while (!queue.isEmpty() && !ws.writeQueueFull()) {
      ws.writeTextMessage(queue.poll());
      written++;
      Optional<TopicStream.Sent> sent = sentQueue.poll();
      if (sent != null && sent.isPresent()) {
        TopicStream.Sent e = sent.get();
        socketSubscriptions.delivered(new EventStatus.Change(e.eventId(), joined, "websocket", "delivered", 1, null,
            joinedRequiresAck, e.topic(), e.partition(), e.offset()));
      }
    }
    if (written > 0) {
      stream.written(written);
    }
    if (!queue.isEmpty()) {
      ws.drainHandler(v -> {
        if (stream != null) {
          drain();
        }
      });
    }
  }

  private void unsubscribe(Object id) {
    if (channels != null) {
      unsubscribeOnHub(id);
      return;
    }
    if (stream == null) {
      error(id, 409, "not_subscribed", "this socket has no subscription", null);
      return;
    }
    stopStream();
    send(new JsonObject().put("type", "unsubscribed").put("id", subscriptionId));
  }

  private void stopStream() {
    if (stream != null) {
      stream.stop();
      stream = null;
      queue.clear();
      sentQueue.clear();
    }
    if (joined != null) {
      socketSubscriptions.left(joined, redeliveries);
    }
    joined = null;
  }

  /**
   * An event of the joined subscription redelivered (delivery/AckRedelivery: not acknowledged within {@code
   * retry_delay}): its frame with {@code "redelivery": n}, written ahead of any frames queued. Any thread; false when
   * this socket no longer streams a subscription.
   */
  private boolean redeliver(org.apache.kafka.clients.consumer.ConsumerRecord<String, byte[]> record, int redelivery) {
    if (closed || ws.isClosed()) {
      return false;
    }
    String frame = TopicStream.frame(record, com.necpgame.mesh.kafka.EnvelopeRecords.isJsonObject(record.value()),
        redelivery);
    context.runOnContext(v -> {
      if (joined != null && !closed && !ws.isClosed()) {
        ws.writeTextMessage(frame);
      }
    });
    return true;
  }

  /**
   * {@code {"op":"ack","ref":..,"event_id":"<id>"}} on a socket that joined a {@code websocket} subscription with
   * {@code requires_ack}: the subscription processed the event, as {@code POST /events/{id}/ack} says it
   * ({@link Acknowledgements}); answers {@code {"type":"acked","ref","event_id","subscription_id","processed_at"}}.
   */
  private void ack(JsonObject frame, Object ref) {
    if (!(frame.getValue("event_id") instanceof String event) || event.isBlank() || frame.fieldNames().stream()
        .anyMatch(f -> !List.of("op", "id", "ref", "event_id").contains(f))) {
      error(ref, 400, "invalid_ack", "expected {\"op\":\"ack\",\"event_id\":\"<id>\"} and nothing else", null);
      return;
    }
    if (joined == null) {
      error(ref, 409, "not_subscribed", "acknowledge on a socket that joined a subscription "
          + "({\"op\":\"subscribe\",\"subscription\":\"<id>\"}), or with POST /events/{id}/ack", null);
      return;
    }
    acks.ack(principal, event, joined).onComplete(ar -> {
      if (ar.succeeded()) {
        send(ar.result().copy().put("type", "acked").put("ref", ref));
      } else if (ar.cause() instanceof Refusal r) {
        send(new JsonObject().put("type", "error").put("ref", ref).put("status", r.status).put("error", r.toJson()));
      } else {
        LOG.warn("WebSocket ack of {} for {} failed: {}", event, joined, ar.cause().toString());
        error(ref, 503, "database_unavailable", "the acknowledgement was not recorded", null);
      }
    });
  }

  private void publish(JsonObject frame, Object ref) {
    JsonArray events;
    if (frame.getValue("events") instanceof JsonArray many && !frame.containsKey("event")) {
      events = many;
    } else if (frame.getValue("event") instanceof JsonObject one && !frame.containsKey("events")) {
      events = new JsonArray().add(one);
    } else {
      error(ref, 400, "invalid_publish", "expected \"event\": {..} or \"events\": [..]", null);
      return;
    }
    int max = mesh.config().http().maxBatchEvents();
    if (events.size() > max) {
      error(ref, 413, "too_many_events", "a publish frame holds at most " + max + " events (http.max_batch_events); "
          + "this one has " + events.size(), null);
      return;
    }
    boolean each = !"batch".equals(frame.getValue("ack"));
    List<Future<JsonObject>> results = publications.publishAll(events.stream().toList(), admission, ids,
        principal.name());
    for (int i = 0; i < results.size(); i++) {
      int index = i;
      inFlight++;
      Future<JsonObject> result = results.get(i);
      result.onComplete(done -> {
        inFlight--;
        if (each) {
          send(Publications.result(result, index).put("type", done.succeeded() ? "ack" : "error").put("ref", ref));
        }
        if (readPaused && inFlight <= config.maxInFlightPublishes() / 2) {
          readPaused = false;
          resumeReading();
        }
      });
    }
    if (!each) {
      Publications.summary(results).onSuccess(summary -> send(summary.put("type", "acks").put("ref", ref)));
    }
    if (!readPaused && inFlight >= config.maxInFlightPublishes()) {
      readPaused = true;
      ws.pause();
    }
  }

  /**
   * An event left this socket's principal or its topic in debt: the socket is not read until the debt is paid (the
   * client's TCP window fills and it slows down); it is not disconnected.
   */
  private void limited(long waitNanos) {
    long until = System.nanoTime() + waitNanos;
    if (until <= limitedUntil) {
      return;
    }
    boolean wasLimited = limitedUntil != 0;
    limitedUntil = until;
    ws.pause();
    if (!wasLimited) {
      context.owner().setTimer(Math.max(1, waitNanos / 1_000_000), t -> endLimit());
    }
  }

  private void endLimit() {
    long left = limitedUntil - System.nanoTime();
    if (left > 0) {
      context.owner().setTimer(Math.max(1, left / 1_000_000), t -> endLimit());
      return;
    }
    limitedUntil = 0;
    resumeReading();
  }

  private void resumeReading() {
    if (!readPaused && limitedUntil == 0 && !closed) {
      ws.resume();
    }
  }

  /**
   * A subscription on the hub: several per socket, each named by its {@code id} ({@code "default"} when it has none),
   * optionally keyed on one channel ({@code "key": {"player_id": "p-1"}}). A player may only key on its own id.
   */
  private void subscribeOnHub(JsonObject frame, Object ref) {
    Object id = ref == null ? DEFAULT_ID : ref;
    if (channels.has(id) || (stream != null && id.equals(subscriptionId == null ? DEFAULT_ID : subscriptionId))) {
      error(ref, 409, "already_subscribed", "this socket already has a subscription " + id + "; unsubscribe first",
          null);
      return;
    }
    if (channels.size() + (stream == null ? 0 : 1) >= config.maxSubscriptionsPerSocket()) {
      error(ref, 409, "too_many_subscriptions", "a socket holds at most " + config.maxSubscriptionsPerSocket()
          + " subscriptions (websocket.max_subscriptions_per_socket)", null);
      return;
    }
    JsonArray problems = new JsonArray();
    StreamRequest request = StreamRequest.parse(frame, problems);
    ChannelKey key = ChannelKey.parse(frame.getValue("key"), hub.fields(), problems);
    if (request == null || key == null) {
      error(ref, 400, "invalid_subscription", "the subscription is not valid", problems);
      return;
    }
    List<String> denied = request.patterns().stream().filter(p -> !principal.acl().maySubscribe(p)).toList();
    String refusal = !denied.isEmpty() ? "topic patterns not in the principal's subscribe ACL"
        : principal.player() != null && !key.isPlayer(principal.player(), hub.fields())
            && !request.patterns().stream().allMatch(principal.acl()::maySubscribeWhole)
            ? "a player may only subscribe to its own player_id channel (or to shared_subscribe topics)" : null;
    if (refusal != null) {
      String what = !denied.isEmpty() ? String.join(",", denied) : String.join(",", request.patterns()) + " key "
          + (key.value() == null ? "none" : key.name() + "=" + key.value());
      security.audit().record(AuditLog.ACCESS_DENIED, principal.name(), principal.via(), "subscribe", what, refusal,
          remote);
      security.refused("forbidden", "subscribe");
      error(ref, 403, "forbidden", "principal " + principal.name() + " may not subscribe to " + what + ": " + refusal,
          null);
      return;
    }
    channels.subscribe(id, ref == null ? DEFAULT_ID : ref, request, key.field(), key.value()).whenComplete((v, e) -> {
      if (e != null) {
        LOG.warn("WebSocket subscription of {} failed: {}", ws.remoteAddress(), e.toString());
        context.runOnContext(x -> error(ref, 503, "kafka_unavailable", "the topics could not be read; try again",
            null));
      }
    });
  }

  private void unsubscribeOnHub(Object id) {
    if (id != null && channels.has(id)) {
      channels.unsubscribe(id, id);
    } else if (id != null && stream != null && id.equals(subscriptionId)) {
      stopStream();
      send(new JsonObject().put("type", "unsubscribed").put("id", id));
    } else if (id == null && (channels.size() > 0 || stream != null)) {
      stopStream();
      channels.unsubscribeAll();
      channels.unsubscribe(DEFAULT_ID, null);
    } else if (id == null || !channels.has(id)) {
      error(id, 409, "not_subscribed", id == null ? "this socket has no subscription"
          : "this socket has no subscription " + id, null);
    }
  }

  private void error(Object ref, int status, String code, String message, JsonArray details) {
    send(new JsonObject().put("type", "error").put("ref", ref).put("status", status)
        .put("error", new Refusal(status, code, message, details).toJson()));
  }

  private void send(JsonObject frame) {
    if (!closed && !ws.isClosed()) {
      ws.writeTextMessage(frame.encode());
    }
  }
}
