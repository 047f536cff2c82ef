package com.necpgame.mesh.gateway;

import com.necpgame.mesh.gateway.StreamRequest.AtTime;
import com.necpgame.mesh.gateway.StreamRequest.Latest;
import com.necpgame.mesh.gateway.StreamRequest.Offsets;
import com.necpgame.mesh.gateway.StreamRequest.Start;
import com.necpgame.mesh.MeshMetrics;
import com.necpgame.mesh.kafka.EnvelopeRecords;
import com.necpgame.mesh.kafka.KafkaClients;
import com.necpgame.mesh.kafka.KafkaWorker;
import com.necpgame.mesh.kafka.PartitionScan;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * One WebSocket client's read of Kafka, on a {@link KafkaWorker} of its own: a consumer without a group (every process
 * reads for its own clients), assigned every partition of the topics the request matches, positioned where it asked,
 * turning records into event frames in order per partition (positioned and, when bounded, read by a {@link
 * PartitionScan}). It hands frames to a {@link Listener} and never has more than {@code buffer} of them unwritten: when
 * the client does not keep up the stream stops polling (Kafka keeps the rest) and, if it stays stopped for {@code
 * slowCloseMs}, gives up with {@link Listener#tooSlow}. New topics that match are picked up every {@code refreshMs},
 * from their beginning (a refresh the broker does not answer keeps the partitions the stream has, so a broker away for
 * a while ends no stream). A subscription's stream ({@link StreamRequest#group}) reads in the subscription's consumer
 * group instead, shared by all its sockets, and commits what was written. A stream with an {@link StreamRequest#end}
 * reads each partition up to that end, waits until all of it was written, reports {@link Listener#ended} and stops.
 */
final class TopicStream {

  /** Where a stream's output goes; called on the stream's thread. */
  interface Listener {
    /** The stream is positioned: {@code {topic: {partition: next offset}}}, and any requested offsets it could not honour. */
    void started(JsonObject positions, JsonArray gaps);

    /**
     * Frames to write; for a subscription's stream ({@link StreamRequest#group}) {@code sent} says which event each
     * is (same order; null for a {@code skipped} frame), otherwise it is null.
     */
    void frames(List<String> frames, List<Sent> sent);

    /** A bounded stream reached its end on every partition and all was written: {@code {topic: {partition: end}}}. */
    void ended(JsonObject positions);

    /** The client stayed behind for longer than allowed; the stream has stopped. */
    void tooSlow(int waiting, long waitedMs);

    void failed(Throwable error);

    /** Whether the stream is paused on this client, for the meters. */
    void paused(boolean paused);
  }

  /** The event a frame of a subscription's stream carries, and where it was read. */
  record Sent(String eventId, String topic, int partition, long offset) {}

  private static final AtomicLong IDS = new AtomicLong();
  private static final Duration POLL = Duration.ofMillis(200);

  private final KafkaClients kafka;
  private final StreamRequest request;
  private final Listener listener;
  private final int buffer;
  private final long slowCloseMs;
  private final long refreshMs;
  private final long id = IDS.incrementAndGet();
  private volatile boolean running = true;
  private final KafkaWorker worker;
  /** Frames handed to the listener and not yet written; guarded by this, as are the three below. */
  private int unwritten;
  private long handed;
  private long writtenTotal;
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();

  TopicStream(KafkaClients kafka, MeshMetrics metrics, StreamRequest request, Listener listener, int buffer,
      long slowCloseMs, long refreshMs) {
    this.worker = new KafkaWorker("ws-stream-" + id, metrics, this::run);
    this.kafka = kafka;
    this.request = request;
    this.listener = listener;
    this.buffer = buffer;
    this.slowCloseMs = slowCloseMs;
    this.refreshMs = refreshMs;
  }

  void start() {
    worker.start();
  }

  /** The client wrote {@code n} frames: room for more. Any thread. */
  synchronized void written(int n) {
    unwritten -= n;
    writtenTotal += n;
    notifyAll();
  }

  /** Stops the stream without waiting; its worker wakes the consumer and closes it. Any thread. */
  void stop() {
    running = false;
    synchronized (this) {
      notifyAll();
    }
    worker.stop();
  }

  /**
   * The stream's worker. A failure is not started again here: the client holds the offsets it was written, so it is
   * told ({@link Listener#failed}) and resumes from them; the worker then waits to be stopped with the socket.
   */
  private void run(KafkaWorker.Life life) {
    Map<String, Object> extra = Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
        Math.min(buffer, kafka.config().consumer().maxPollRecords()));
    try (KafkaConsumer<String, byte[]> c = life.wakes(kafka.consumer("ws-" + id, request.group(),
        request.group() != null ? "latest" : "earliest", extra))) {
      stream(c, life);
    } catch (InterruptedException e) {
      // nothing interrupts a stream's thread but stopping it
    } catch (RuntimeException e) { // a WakeupException too, unless stopping
      if (running) {
        listener.failed(e);
      }
    }
    while (life.running()) {
      life.pause(Duration.ofSeconds(1));
    }
  }

  private void stream(KafkaConsumer<String, byte[]> c, KafkaWorker.Life life) throws InterruptedException {
    boolean grouped = request.group() != null;
    if (!running) {
      return;
    }
    Set<TopicPartition> assigned = Set.of();
    PartitionScan<String, byte[]> bounded = null;
    if (grouped) {
      c.subscribe(request.topics().regex(), new ConsumerRebalanceListener() {
        private boolean started;

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
          commitWritten(c, true);
        }

        /**
         * {@code subscribed} waits for the group's first assignment, with its positions: asking them places a new
         * group at the end as of now, so an event published once the client has {@code subscribed} is delivered.
         */
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
          if (!started) {
            started = true;
            listener.started(positions(c, Set.copyOf(partitions)), new JsonArray());
          }
        }
      });
    } else {
      assigned = matching(c);
      PartitionScan<String, byte[]> scan = PartitionScan.open(c, assigned, position(request.start()),
          request.end() == null ? PartitionScan.END : position(request.end()), timeout());
      listener.started(positions(c, assigned), gaps(scan.gaps()));
      bounded = request.end() == null ? null : scan;
    }
    life.ready();
    long refreshAt = System.currentTimeMillis() + refreshMs;
    while (running) {
      if (!awaitUnwrittenBelow(buffer)) {
        return;
      }
      if (grouped) {
        commitWritten(c, false);
      } else if (bounded != null) {
        if (bounded.reached()) {
          if (awaitUnwrittenBelow(1)) {
            listener.ended(json(bounded.stops()));
          }
          return;
        }
      } else {
        if (System.currentTimeMillis() >= refreshAt) {
          assigned = refresh(c, assigned);
          refreshAt = System.currentTimeMillis() + refreshMs;
        }
        if (assigned.isEmpty()) {
          idle(refreshAt);
          continue;
        }
      }
      Iterable<ConsumerRecord<String, byte[]>> records = bounded != null ? bounded.poll(POLL) : c.poll(POLL);
      List<String> frames = new ArrayList<>();
      List<Sent> sent = grouped ? new ArrayList<>() : null;
      Map<TopicPartition, OffsetAndMetadata> read = new HashMap<>();
      for (ConsumerRecord<String, byte[]> record : records) {
        String frame = frame(record);
        if (frame != null) {
          frames.add(frame);
          if (sent != null) {
            sent.add(sent(record));
          }
        }
        read.put(new TopicPartition(record.topic(), record.partition()), new OffsetAndMetadata(record.offset() + 1));
      }
      synchronized (this) {
        unwritten += frames.size();
        handed += frames.size();
        if (grouped && !read.isEmpty()) {
          pending.add(new Pending(handed, read));
        }
      }
      if (!frames.isEmpty()) {
        listener.frames(frames, sent);
      }
    }
    if (grouped) {
      commitWritten(c, true);
    }
  }

  /** Records read in one poll and how many frames had been handed out once they were: committable when all written. */
  private record Pending(long handedThrough, Map<TopicPartition, OffsetAndMetadata> offsets) {}

  /**
   * Commits, for the partitions this member still has, the offsets of the polls whose frames were all written: a
   * subscription's sockets share its group, so what one socket was sent is not sent to another, and what it was not
   * yet sent when it left is.
   */
  private void commitWritten(KafkaConsumer<String, byte[]> c, boolean sync) {
    Map<TopicPartition, OffsetAndMetadata> ready = new HashMap<>();
    synchronized (this) {
      while (!pending.isEmpty() && pending.peek().handedThrough() <= writtenTotal) {
        ready.putAll(pending.poll().offsets());
      }
    }
    ready.keySet().retainAll(c.assignment());
    if (ready.isEmpty()) {
      return;
    }
    if (sync) {
      c.commitSync(ready);
    } else {
      c.commitAsync(ready, null);
    }
  }

  /** Waits while {@code limit} or more frames are unwritten; false when that lasted longer than allowed. */
  private synchronized boolean awaitUnwrittenBelow(int limit) throws InterruptedException {
    if (unwritten < limit) {
      return true;
    }
    long since = System.currentTimeMillis();
    listener.paused(true);
    try {
      while (unwritten >= limit && running) {
        long left = since + slowCloseMs - System.currentTimeMillis();
        if (left <= 0) {
          running = false;
          listener.tooSlow(unwritten, System.currentTimeMillis() - since);
          return false;
        }
        wait(left);
      }
    } finally {
      listener.paused(false);
    }
    return running;
  }

  private synchronized void idle(long until) throws InterruptedException {
    long left = until - System.currentTimeMillis();
    if (running && left > 0) {
      wait(left);
    }
  }

  private Set<TopicPartition> matching(KafkaConsumer<String, byte[]> c) {
    return new HashSet<>(PartitionScan.partitionsOf(c, request::matches, timeout()));
  }

  private Duration timeout() {
    return Duration.ofMillis(kafka.config().requestTimeoutMs());
  }

  /** Topics created (or partitions added) since are read from their beginning; deleted ones are dropped. */
  private Set<TopicPartition> refresh(KafkaConsumer<String, byte[]> c, Set<TopicPartition> assigned) {
    Set<TopicPartition> now;
    try {
      now = matching(c);
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      return assigned; // the broker did not answer (it may be away a while): the same partitions, asked again later
    }
    if (now.equals(assigned)) {
      return assigned;
    }
    Set<TopicPartition> added = new HashSet<>(now);
    added.removeAll(assigned);
    c.assign(now);
    c.seekToBeginning(added);
    return now;
  }

  /** Where the request starts (or ends) as a scan's position. */
  private static PartitionScan.Position position(Start start) {
    if (start instanceof Latest) {
      return PartitionScan.END;
    } else if (start instanceof AtTime t) {
      return new PartitionScan.AtTime(t.epochMillis());
    } else if (start instanceof Offsets o) {
      return new PartitionScan.AtOffsets(o.next(), position(o.otherwise()));
    }
    return PartitionScan.BEGINNING;
  }

  /**
   * Requested offsets a partition did not hold: before its beginning (retention deleted what the client missed) or
   * past its end (the topic was recreated). Either way the client gets everything there is, and is told.
   */
  private static JsonArray gaps(List<PartitionScan.Gap> gaps) {
    JsonArray out = new JsonArray();
    gaps.forEach(g -> out.add(new JsonObject().put("topic", g.partition().topic()).put("partition",
        g.partition().partition()).put("requested", g.requested()).put("from", g.from()).put("reason", g.reason())));
    return out;
  }

  private static JsonObject positions(KafkaConsumer<String, byte[]> c, Set<TopicPartition> parts) {
    Map<TopicPartition, Long> at = new HashMap<>();
    parts.forEach(p -> at.put(p, c.position(p)));
    return json(at);
  }

  private static JsonObject json(Map<TopicPartition, Long> at) {
    Map<String, Map<String, Object>> byTopic = new TreeMap<>();
    at.forEach((p, offset) -> byTopic.computeIfAbsent(p.topic(), t -> new TreeMap<>())
        .put(String.valueOf(p.partition()), offset));
    JsonObject out = new JsonObject();
    byTopic.forEach((topic, offsets) -> out.put(topic, new JsonObject(offsets)));
    return out;
  }

  /**
   * {@code {"type":"event","topic":..,"partition":..,"offset":..,"timestamp":..,"event":<envelope>}} with the
   * record's value as is; a value that is not a JSON object gives a {@code skipped} frame so the client's position
   * still moves; null when the event type is not wanted.
   */
  String frame(ConsumerRecord<String, byte[]> record) {
    byte[] value = record.value();
    boolean json = EnvelopeRecords.isJsonObject(value);
    if (!request.filter().isAll() && (!json || !request.filter().matches(new JsonObject(new String(value,
        StandardCharsets.UTF_8))))) {
      return null;
    }
    if (!request.eventTypes().isEmpty()) {
      String type = EnvelopeRecords.header(record.headers(), EnvelopeRecords.HEADER_EVENT_TYPE);
      if (type == null && json) {
        type = new JsonObject(new String(value, StandardCharsets.UTF_8)).getValue("event_type") instanceof String s
            ? s : null;
      }
      if (!request.wants(type)) {
        return null;
      }
    }
    return frame(record, json, 0);
  }

  /**
   * The frame of a record: an {@code event} frame (with {@code "redelivery": n} after the record's place when {@code
   * redelivery} > 0, see delivery/AckRedelivery) or, for a value that is not a JSON object, a {@code skipped} one.
   */
  static String frame(ConsumerRecord<String, byte[]> record, boolean json, int redelivery) {
    String head = "\"topic\":\"" + record.topic() + "\",\"partition\":" + record.partition() + ",\"offset\":"
        + record.offset() + ",\"timestamp\":" + record.timestamp() + (redelivery > 0 ? ",\"redelivery\":" + redelivery
        : "");
    return json ? "{\"type\":\"event\"," + head + ",\"event\":" + new String(record.value(), StandardCharsets.UTF_8)
        + "}" : "{\"type\":\"skipped\"," + head + ",\"reason\":\"the record is not a JSON object\"}";
  }

  /** The event a record holds ({@link EnvelopeRecords#eventId}), or null when it names none. */
  private static Sent sent(ConsumerRecord<String, byte[]> record) {
    String id = EnvelopeRecords.eventId(record);
    return id == null ? null : new Sent(id, record.topic(), record.partition(), record.offset());
  }
}
