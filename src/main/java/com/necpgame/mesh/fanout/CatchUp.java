package com.necpgame.mesh.fanout;

import com.necpgame.mesh.MeshMetrics;
import com.necpgame.mesh.kafka.KafkaClients;
import com.necpgame.mesh.kafka.KafkaWorker;
import com.necpgame.mesh.kafka.PartitionScan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads from Kafka for sockets behind the history of a partition (a resume from old offsets, a start at the
 * beginning or at a time, a socket that stayed behind longer than the history keeps): at most {@code readers}
 * consumers at once, each on a {@link KafkaWorker}; the sockets waiting on the same partition share one read from the
 * lowest of their offsets, each taking the records from its own offset on. A read ends where the history began when
 * it started, or when every socket of it ran out of room; the sockets then go on from the history ({@code resume}).
 */
final class CatchUp {

  private static final Duration POLL = Duration.ofMillis(200);

  private final KafkaClients kafka;
  private final MeshMetrics metrics;
  private final ChannelFields fields;
  private final FanoutMeters meters;
  private final int readers;
  private final Consumer<Outbox> resume;
  private final Map<PartitionFeed, Set<Outbox>> waiting = new LinkedHashMap<>();
  private final List<KafkaWorker> workers = new ArrayList<>();
  private boolean closed;

  CatchUp(KafkaClients kafka, MeshMetrics metrics, ChannelFields fields, FanoutMeters meters, int readers,
      Consumer<Outbox> resume) {
    this.kafka = kafka;
    this.metrics = metrics;
    this.fields = fields;
    this.meters = meters;
    this.readers = readers;
    this.resume = resume;
  }

  /** {@code outbox} is behind the history of {@code feed}: it is read for from Kafka. */
  synchronized void request(PartitionFeed feed, Outbox outbox) {
    if (closed) {
      return;
    }
    waiting.computeIfAbsent(feed, f -> new LinkedHashSet<>()).add(outbox);
    if (workers.size() < readers) {
      workers.add(new KafkaWorker("ws-catch-up-" + workers.size(), metrics, this::run).start());
    }
    notifyAll();
  }

  void close() {
    List<KafkaWorker> all;
    synchronized (this) {
      closed = true;
      all = new ArrayList<>(workers);
      notifyAll();
    }
    all.forEach(KafkaWorker::stop);
  }

  private synchronized Map.Entry<PartitionFeed, Set<Outbox>> next(KafkaWorker.Life life) throws InterruptedException {
    while (waiting.isEmpty() && life.running() && !closed) {
      wait(1000);
    }
    if (waiting.isEmpty() || !life.running()) {
      return null;
    }
    PartitionFeed feed = waiting.keySet().iterator().next();
    return Map.entry(feed, waiting.remove(feed));
  }

  private void run(KafkaWorker.Life life) throws InterruptedException {
    Map<String, Object> extra = Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
        kafka.config().consumer().maxPollRecords());
    try (KafkaConsumer<String, byte[]> c = life.wakes(kafka.consumer("ws-catch-up", null, "earliest", extra))) {
      life.ready();
      while (life.running()) {
        Map.Entry<PartitionFeed, Set<Outbox>> job = next(life);
        if (job != null) {
          read(c, job.getKey(), new ArrayList<>(job.getValue()), life);
        }
      }
    }
  }

  private void read(KafkaConsumer<String, byte[]> c, PartitionFeed feed, List<Outbox> group, KafkaWorker.Life life) {
    List<Outbox> all = new ArrayList<>(group);
    try {
      long from = feed.lowest(group);
      long stop = feed.floor();
      TopicPartition p = feed.partition;
      if (from >= 0 && from < stop) {
        PartitionScan<String, byte[]> scan = PartitionScan.between(c, Map.of(p, from), Map.of(p, stop));
        while (!scan.reached() && !group.isEmpty() && life.running()) {
          List<Frame> frames = new ArrayList<>();
          long now = System.currentTimeMillis();
          for (ConsumerRecord<String, byte[]> r : scan.poll(POLL)) {
            frames.add(fields.frame(r.topic(), r.partition(), r.offset(), r.timestamp(), r.value(), r.headers(), now));
          }
          feed.readFromKafka(frames, group, Math.min(c.position(p), stop));
        }
        group.forEach(o -> meters.caughtUp("kafka"));
      }
      feed.readEnded(all);
    } catch (RuntimeException e) {
      feed.readEnded(all);
      if (life.running()) {
        all.forEach(o -> o.failed(e));
      }
      throw e;
    }
    all.forEach(resume);
  }
}
