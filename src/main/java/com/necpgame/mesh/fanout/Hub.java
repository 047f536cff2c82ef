package com.necpgame.mesh.fanout;

import com.necpgame.mesh.MeshMetrics;
import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.kafka.KafkaClients;
import com.necpgame.mesh.kafka.PartitionScan;
import com.necpgame.mesh.kafka.TopicPatterns;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WebSocket fan-out of one process: one {@link Tail} per streamed topic, each record fanned out in memory to the
 * sockets ({@link Outbox}) whose subscriptions match, found through each topic's {@link TopicIndex} (globs are
 * matched once per topic, when the topic or the subscription appears). Sockets behind the live tail catch up from
 * the history, or from Kafka ({@link CatchUp}), then join it again. Topics are listed again every
 * {@code websocket.topic_refresh_ms}: new ones that match are tailed from their beginning. A tail no subscription
 * uses any more is stopped once its history would have aged out ({@code websocket.history.max_age_ms}).
 */
public final class Hub implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Hub.class);
  /** Every topic but Kafka's own. */
  private static final TopicPatterns.Globs ALL = TopicPatterns.compile(List.of("*"));

  private final KafkaClients kafka;
  private final MeshMetrics metrics;
  private final MeshConfig.WebSocket config;
  private final ChannelFields fields;
  private final FanoutMeters meters;
  private final CatchUp catchUp;
  private final Supplier<CompletableFuture<Set<String>>> lister;
  private final Map<String, Tail> tails = new HashMap<>();
  private final Set<Subscription> subscriptions = new HashSet<>();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "ws-hub");
    t.setDaemon(true);
    return t;
  });
  /** The listing running, and the one the callers since it started wait for. */
  private CompletableFuture<Set<String>> listing;
  private CompletableFuture<Set<String>> nextListing;

  /** {@code lister} lists the topics of the cluster (the admin client's {@code listTopics}). */
  public Hub(KafkaClients kafka, MeshMetrics metrics, MeshConfig.WebSocket config,
      Supplier<CompletableFuture<Set<String>>> lister) {
    this.kafka = kafka;
    this.metrics = metrics;
    this.config = config;
    this.lister = lister;
    this.fields = new ChannelFields(config.channelFields());
    this.meters = new FanoutMeters(metrics.registry());
    this.catchUp = new CatchUp(kafka, metrics, fields, meters, config.catchUpMaxReaders(), this::resume);
    long refresh = config.topicRefreshMs();
    timer.scheduleWithFixedDelay(this::refresh, refresh, refresh, TimeUnit.MILLISECONDS);
  }

  public ChannelFields fields() {
    return fields;
  }

  public FanoutMeters meters() {
    return meters;
  }

  /**
   * Adds a subscription: once every topic it matches has told where it starts, {@code announce} gets the positions
   * ({@code topic -> partition -> next offset}) and the gaps, and then (in that order on the socket) the events flow.
   * Fails when a topic could not be read; nothing is then installed.
   */
  public CompletableFuture<Void> subscribe(Subscription s,
      BiConsumer<Map<String, Map<Integer, Long>>, List<PartitionScan.Gap>> announce) {
    return topics().thenCompose(names -> {
      List<Tail> matched = new ArrayList<>();
      synchronized (this) {
        for (String topic : names) {
          if (!s.cancelled && s.topics.matches(topic)) { // not cached: the subscription keeps only its tails' topics
            Tail tail = tail(topic, false);
            if (tail.idleSince > 0) {
              tail.idleSince = System.currentTimeMillis(); // its linger starts again: not stopped under this subscribe
            }
            matched.add(tail);
          }
        }
      }
      List<CompletableFuture<Tail.Resolved>> resolved = matched.stream().map(t -> t.resolve(s.start)).toList();
      return CompletableFuture.allOf(resolved.toArray(CompletableFuture[]::new)).thenAccept(v -> {
        Map<String, Map<Integer, Long>> positions = new java.util.TreeMap<>();
        List<PartitionScan.Gap> gaps = new ArrayList<>();
        for (int i = 0; i < matched.size(); i++) {
          Tail.Resolved r = resolved.get(i).join();
          Map<Integer, Long> at = positions.computeIfAbsent(matched.get(i).topic, t -> new java.util.TreeMap<>());
          r.starts().forEach((feed, start) -> at.put(feed.partition.partition(), start));
          gaps.addAll(r.gaps());
        }
        synchronized (this) {
          if (s.cancelled) {
            return;
          }
          for (Tail tail : matched) {
            if (tails.get(tail.topic) != tail) {
              throw new IllegalStateException("the tail of " + tail.topic + " stopped meanwhile; subscribe again");
            }
          }
          announce.accept(positions, gaps);
          subscriptions.add(s);
          s.outbox.subscriptions.add(s);
          meters.subscriptions.incrementAndGet();
          for (int i = 0; i < matched.size(); i++) {
            Tail tail = matched.get(i);
            tail.index.add(s);
            tail.idleSince = 0;
            resolved.get(i).join().starts().forEach((feed, start) -> feed.install(s.outbox, start));
            for (PartitionFeed feed : tail.feeds()) { // partitions found since the start was resolved
              feed.install(s.outbox, feed.next());
            }
          }
        }
        resume(s.outbox);
      });
    });
  }

  /** Stops a subscription (its socket keeps the others). Any thread. */
  public synchronized void unsubscribe(Subscription s) {
    s.cancelled = true;
    if (!subscriptions.remove(s)) {
      return;
    }
    s.outbox.subscriptions.remove(s);
    meters.subscriptions.decrementAndGet();
    for (Tail tail : tails.values()) {
      if (s.matchesTopic(tail.topic)) {
        tail.index.remove(s);
        if (tail.index.size() == 0 && tail.idleSince == 0) {
          tail.idleSince = System.currentTimeMillis();
        }
      }
    }
  }

  /** The socket closed: its subscriptions end and nothing more is queued for it. */
  public void close(Outbox outbox) {
    outbox.close();
    for (Subscription s : List.copyOf(outbox.subscriptions)) {
      unsubscribe(s);
    }
  }

  /**
   * Moves a socket behind on some partitions forward while it has room: from the history, then live; from Kafka
   * when it is behind the history. The socket calls it when it drained; any thread.
   */
  public void resume(Outbox outbox) {
    outbox.lagging = false;
    for (PartitionFeed feed : outbox.cursors.keySet()) {
      if (outbox.waiting() >= outbox.capacity()) {
        outbox.lagging = true;
        return;
      }
      PartitionFeed.Step step = feed.advance(outbox);
      if (step != PartitionFeed.Step.LIVE) {
        outbox.lagging = true;
      }
      if (step == PartitionFeed.Step.FULL) {
        return;
      }
      if (step == PartitionFeed.Step.KAFKA) {
        catchUp.request(feed, outbox);
      }
    }
  }

  private Tail tail(String topic, boolean fromBeginning) {
    Tail tail = tails.get(topic);
    if (tail == null) {
      tail = new Tail(topic, kafka, metrics, fields, meters, config.history(), config.topicRefreshMs(), fromBeginning,
          this::partitionAdded).start();
      tails.put(topic, tail);
      LOG.debug("tailing {} for WebSocket clients", topic);
    }
    return tail;
  }

  /** A partition added to a tailed topic: every subscription of the topic streams it from its beginning. */
  private synchronized void partitionAdded(PartitionFeed feed) {
    Tail tail = tails.get(feed.partition.topic());
    if (tail != null) {
      List<Outbox> outboxes = new ArrayList<>();
      tail.index.forEach(s -> outboxes.add(s.outbox));
      outboxes.forEach(o -> feed.install(o, feed.next()));
    }
  }

  /** The cluster's topics, from a listing started after this call (callers meanwhile share the same one). */
  private synchronized CompletableFuture<Set<String>> topics() {
    CompletableFuture<Set<String>> mine = nextListing;
    if (mine == null) {
      mine = new CompletableFuture<>();
      nextListing = mine;
      if (listing == null) {
        startListing();
      }
    }
    return mine;
  }

  private synchronized void startListing() {
    CompletableFuture<Set<String>> now = nextListing;
    listing = now;
    nextListing = null;
    lister.get().whenComplete((names, e) -> {
      synchronized (this) {
        listing = null;
        if (nextListing != null) {
          startListing();
        }
      }
      if (e != null) {
        now.completeExceptionally(e);
      } else {
        now.complete(names.stream().filter(t -> TopicPatterns.matches(ALL, t))
            .collect(java.util.stream.Collectors.toSet()));
      }
    });
  }

  /** New topics that match subscriptions are tailed from their beginning; idle tails past their linger stop. */
  private void refresh() {
    try {
      long now = System.currentTimeMillis();
      synchronized (this) {
        tails.values().removeIf(t -> {
          boolean old = t.idleSince > 0 && t.index.size() == 0
              && now - t.idleSince >= Math.max(config.history().maxAgeMs(), config.topicRefreshMs());
          if (old) {
            t.stop();
          }
          return old;
        });
        if (subscriptions.isEmpty()) {
          return;
        }
      }
      topics().thenAccept(names -> {
        List<Tail> fresh = new ArrayList<>();
        synchronized (this) {
          // Matched per distinct set of globs: tens of thousands of sockets share a few (their personal channels').
          Set<TopicPatterns.Globs> globs = new HashSet<>();
          subscriptions.forEach(s -> globs.add(s.topics));
          for (String topic : names) {
            if (!tails.containsKey(topic) && globs.stream().anyMatch(g -> g.matches(topic))) {
              fresh.add(tail(topic, true));
            }
          }
        }
        for (Tail tail : fresh) {
          tail.resolve(PartitionScan.BEGINNING).thenAccept(r -> {
            Set<Outbox> touched = new HashSet<>();
            synchronized (this) {
              for (Subscription s : subscriptions) {
                if (s.matchesTopic(tail.topic)) {
                  tail.index.add(s);
                  r.starts().forEach((feed, start) -> feed.install(s.outbox, start));
                  touched.add(s.outbox);
                }
              }
              if (tail.index.size() == 0) {
                tail.idleSince = System.currentTimeMillis();
              }
            }
            touched.forEach(this::resume);
          });
        }
      });
    } catch (RuntimeException e) {
      LOG.warn("WebSocket hub refresh failed: {}", e.toString());
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    catchUp.close();
    synchronized (this) {
      tails.values().forEach(Tail::stop);
      tails.clear();
    }
  }
}
