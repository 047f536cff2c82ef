package com.necpgame.mesh.fanout;

import com.necpgame.mesh.MeshMetrics;
import com.necpgame.mesh.kafka.KafkaClients;
import com.necpgame.mesh.kafka.KafkaWorker;
import com.necpgame.mesh.kafka.PartitionScan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/**
 * The one read of a topic in this process, on a {@link KafkaWorker}: a consumer without a group assigned every
 * partition of the topic (checked again every {@code refreshMs}; partitions added later are read from their
 * beginning), started at the end (or at the beginning, for a topic created after the subscriptions that match it).
 * Each record becomes its {@link Frame} once and goes to its partition's {@link PartitionFeed}. Between polls it
 * answers where a subscription starts on each partition ({@link #resolve}), with the consumer it already has.
 */
final class Tail {

  /** Where a subscription starts on each partition of the topic, and the requested offsets the topic lacked. */
  record Resolved(Map<PartitionFeed, Long> starts, List<PartitionScan.Gap> gaps) {}

  private record Resolve(PartitionScan.Position start, CompletableFuture<Resolved> done) {}

  private static final Duration POLL = Duration.ofMillis(200);

  final String topic;
  final TopicIndex index = new TopicIndex();
  private final KafkaClients kafka;
  private final ChannelFields fields;
  private final FanoutMeters meters;
  private final com.necpgame.mesh.config.MeshConfig.History history;
  private final long refreshMs;
  private final boolean fromBeginning;
  private final Consumer<PartitionFeed> added;
  private final Map<Integer, PartitionFeed> feeds = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<Resolve> resolves = new ConcurrentLinkedQueue<>();
  private final KafkaWorker worker;
  /** {@link System#currentTimeMillis()} since when no subscription uses the topic; 0 while some do. */
  volatile long idleSince;
  /**
   * Set while the tail's thread is in (or about to enter) {@code poll}: only then does a resolve wake its consumer.
   * A wake-up is sticky; sent at any other time it would cut the next offset look-up of the resolves being answered.
   */
  private volatile boolean polling;
  private volatile boolean stopped;
  /** Resolves were answered before the partitions were known: the first partitions found are announced too. */
  private boolean answeredUnpositioned;

  Tail(String topic, KafkaClients kafka, MeshMetrics metrics, ChannelFields fields, FanoutMeters meters,
      com.necpgame.mesh.config.MeshConfig.History history, long refreshMs, boolean fromBeginning,
      Consumer<PartitionFeed> added) {
    this.topic = topic;
    this.kafka = kafka;
    this.fields = fields;
    this.meters = meters;
    this.history = history;
    this.refreshMs = refreshMs;
    this.fromBeginning = fromBeginning;
    this.added = added;
    this.worker = new KafkaWorker("ws-tail-" + topic, metrics, this::run);
  }

  Tail start() {
    meters.tails.incrementAndGet();
    worker.start();
    return this;
  }

  void stop() {
    meters.tails.decrementAndGet();
    stopped = true;
    worker.stop();
    failPending();
  }

  /**
   * Where {@code start} is on each partition, answered by the tail's thread once it is positioned; fails when the
   * tail stopped (a resolve is never left unanswered).
   */
  CompletableFuture<Resolved> resolve(PartitionScan.Position start) {
    CompletableFuture<Resolved> done = new CompletableFuture<>();
    resolves.add(new Resolve(start, done));
    if (stopped) {
      failPending();
    } else if (polling) {
      worker.wakeup();
    }
    return done;
  }

  private void failPending() {
    for (Resolve r = resolves.poll(); r != null; r = resolves.poll()) {
      r.done().completeExceptionally(new IllegalStateException("the tail of " + topic + " stopped"));
    }
  }

  java.util.Collection<PartitionFeed> feeds() {
    return feeds.values();
  }

  private void run(KafkaWorker.Life life) {
    Map<String, Object> extra = Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
        kafka.config().consumer().maxPollRecords());
    try (KafkaConsumer<String, byte[]> c = life.wakes(kafka.consumer("ws-tail-" + topic, null, "earliest", extra))) {
      long refreshAt = 0; // the first turn assigns the partitions; then the tail is ready
      long trimAt = 0;
      while (life.running()) {
        long now = System.currentTimeMillis();
        if (now >= trimAt) {
          trimAt = now + 1000;
          feeds.values().forEach(f -> f.trim(now));
        }
        Iterable<ConsumerRecord<String, byte[]>> records;
        try { // a resolve's wake-up may land on any call here: the turn starts again, where it is answered
          if (now >= refreshAt) {
            refresh(c);
            if (refreshAt == 0) {
              life.ready();
            }
            refreshAt = now + refreshMs;
          }
          answer(c);
          records = c.assignment().isEmpty() ? idle(life) : poll(c);
        } catch (WakeupException e) {
          if (!life.running()) {
            throw e;
          }
          continue;
        }
        long read = System.currentTimeMillis();
        for (ConsumerRecord<String, byte[]> r : records) {
          PartitionFeed feed = feeds.get(r.partition());
          if (feed != null) {
            feed.append(fields.frame(r.topic(), r.partition(), r.offset(), r.timestamp(), r.value(), r.headers(), read),
                read);
          }
        }
      }
    }
  }

  /**
   * Polls, without waiting when a resolve is waiting (records already fetched still flow under a stream of
   * subscribes); a resolve arriving meanwhile wakes the poll (see {@link #polling}).
   */
  private Iterable<ConsumerRecord<String, byte[]>> poll(KafkaConsumer<String, byte[]> c) {
    polling = true;
    try {
      return c.poll(resolves.isEmpty() ? POLL : Duration.ZERO);
    } finally {
      polling = false;
    }
  }

  private List<ConsumerRecord<String, byte[]>> idle(KafkaWorker.Life life) {
    life.pause(POLL);
    return List.of();
  }

  private Duration timeout() {
    return Duration.ofMillis(kafka.config().requestTimeoutMs());
  }

  /**
   * Assigns every partition the topic has: the first time at the end (or the beginning), partitions found later at
   * their beginning, partitions it had before (the loop started again) where it was.
   */
  private void refresh(KafkaConsumer<String, byte[]> c) {
    List<TopicPartition> parts;
    try {
      parts = PartitionScan.partitionsOf(c, topic, timeout());
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      if (!feeds.isEmpty() && c.assignment().isEmpty()) {
        throw e; // a loop started again must have its partitions back before it reads
      }
      return; // asked again later
    }
    if (parts.isEmpty() || (c.assignment().size() == parts.size() && c.assignment().containsAll(parts)
        && parts.stream().allMatch(p -> feeds.containsKey(p.partition())))) {
      return; // (a refresh a wake-up cut short after the assignment has feeds to make still)
    }
    boolean first = feeds.isEmpty();
    c.assign(parts);
    List<TopicPartition> fresh = new ArrayList<>();
    for (TopicPartition p : parts) {
      PartitionFeed feed = feeds.get(p.partition());
      if (feed != null && feed.next() >= 0) {
        c.seek(p, feed.next());
      } else {
        fresh.add(p);
      }
    }
    Map<TopicPartition, Long> at = first && !fromBeginning ? c.endOffsets(fresh, timeout())
        : c.beginningOffsets(fresh, timeout());
    for (TopicPartition p : fresh) {
      c.seek(p, at.get(p));
      PartitionFeed feed = new PartitionFeed(p, index, new History(history.maxEvents(), history.maxBytes(),
          history.maxAgeMs()), meters);
      feed.position(at.get(p));
      feeds.put(p.partition(), feed);
      if (!first || answeredUnpositioned) {
        added.accept(feed);
      }
    }
  }

  /** Answers the resolves waiting; a failed look-up fails them (the socket is told) and the tail goes on. */
  private void answer(KafkaConsumer<String, byte[]> c) {
    if (resolves.isEmpty()) {
      return;
    }
    List<Resolve> batch = new ArrayList<>();
    for (Resolve r = resolves.poll(); r != null; r = resolves.poll()) {
      batch.add(r);
    }
    if (feeds.isEmpty()) {
      answeredUnpositioned = true;
    }
    Map<TopicPartition, Long> begins = null;
    Map<TopicPartition, Long> ends = null;
    for (int i = 0; i < batch.size(); i++) {
      Resolve r = batch.get(i);
      try {
        List<PartitionScan.Gap> gaps = new ArrayList<>();
        Map<PartitionFeed, Long> starts = new HashMap<>();
        if (needs(r.start(), true) && begins == null) {
          begins = c.beginningOffsets(c.assignment(), timeout());
        }
        if (needs(r.start(), false) && ends == null) {
          ends = c.endOffsets(c.assignment(), timeout());
        }
        for (PartitionFeed feed : feeds.values()) {
          starts.put(feed, where(c, feed, r.start(), begins, ends, gaps));
        }
        r.done().complete(new Resolved(starts, gaps));
      } catch (RuntimeException e) {
        if (e instanceof WakeupException) {
          resolves.addAll(batch.subList(i, batch.size())); // this one and every one after it: answered next turn
          if (stopped) {
            failPending(); // the wake-up was the stop's
          }
          throw e;
        }
        r.done().completeExceptionally(e);
      }
    }
  }

  private static boolean needs(PartitionScan.Position start, boolean begins) {
    if (start instanceof PartitionScan.AtOffsets o) {
      return true;
    }
    return begins && start instanceof PartitionScan.Beginning;
  }

  private long where(KafkaConsumer<String, byte[]> c, PartitionFeed feed, PartitionScan.Position start,
      Map<TopicPartition, Long> begins, Map<TopicPartition, Long> ends, List<PartitionScan.Gap> gaps) {
    TopicPartition p = feed.partition;
    if (start instanceof PartitionScan.Beginning) {
      return begins.getOrDefault(p, 0L);
    }
    if (start instanceof PartitionScan.AtTime t) {
      OffsetAndTimestamp found = c.offsetsForTimes(Map.of(p, t.epochMillis()), timeout()).get(p);
      return found == null ? feed.next() : found.offset();
    }
    if (start instanceof PartitionScan.AtOffsets o) {
      Long wanted = o.next().get(p);
      if (wanted == null) {
        return where(c, feed, o.otherwise(), begins, ends, gaps);
      }
      long begin = begins.getOrDefault(p, 0L);
      long end = Math.max(ends.getOrDefault(p, 0L), feed.next());
      if (wanted < begin || wanted > end) {
        gaps.add(new PartitionScan.Gap(p, wanted, begin, wanted < begin ? "deleted by retention"
            : "beyond the end of the partition"));
        return begin;
      }
      return wanted;
    }
    return feed.next(); // latest
  }
}
