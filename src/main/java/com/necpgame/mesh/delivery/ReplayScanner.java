package com.necpgame.mesh.delivery;

import com.necpgame.mesh.envelope.EnvelopeFilter;
import com.necpgame.mesh.kafka.EnvelopeRecords;
import com.necpgame.mesh.kafka.PartitionScan;
import com.necpgame.mesh.kafka.PartitionScan.AtTime;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/**
 * One run of a replay job on the calling thread, with a consumer of its own (no group). A new job finds its window
 * per partition: from the first offset at or after start_time ({@code offsetsForTimes}) to the first at or after
 * end_time, or the end of the partition now when there is none. A resumed job continues at its saved positions. Each
 * record of the window whose timestamp is in {@code [start_time, end_time)} and whose envelope passes the filter is
 * collected, but for events published with {@code is_replayable: false} (their record's {@code replayable: false}
 * header), which are counted as skipped; a batch goes to the target when it is full or the checkpoint interval passed, and only then are the
 * positions saved, so a stop between two checkpoints replays nothing twice once resumed.
 */
public final class ReplayScanner {

  /** Where progress is saved; false when the job is no longer this run's (cancelled, or taken over). */
  public interface Checkpoints {
    boolean save(Progress progress, boolean release) throws Exception;
  }

  /** The window per partition and how far the run got. */
  public record Progress(Map<Integer, Long> starts, Map<Integer, Long> bounds, Map<Integer, Long> positions,
      long scanned, long matched, long delivered, long skipped) {

    public Progress(Map<Integer, Long> starts, Map<Integer, Long> bounds, Map<Integer, Long> positions, long scanned,
        long matched, long delivered) {
      this(starts, bounds, positions, scanned, matched, delivered, 0);
    }
  }

  public enum Outcome { COMPLETED, STOPPED, RELEASED }

  private static final Duration POLL = Duration.ofMillis(200);

  private final ReplayJob job;
  private final Supplier<Consumer<String, byte[]>> consumers;
  private final ReplayTarget target;
  private final Checkpoints checkpoints;
  private final int batchSize;
  private final long checkpointMs;
  private final Duration timeout;
  private volatile boolean shuttingDown;
  private volatile Consumer<String, byte[]> consumer;
  private Progress last;
  private List<ConsumerRecord<String, byte[]>> batch = new ArrayList<>();

  public ReplayScanner(ReplayJob job, Supplier<Consumer<String, byte[]>> consumers, ReplayTarget target,
      Checkpoints checkpoints, int batchSize, long checkpointMs, Duration timeout) {
    this.job = job;
    this.consumers = consumers;
    this.target = target;
    this.checkpoints = checkpoints;
    this.batchSize = batchSize;
    this.checkpointMs = checkpointMs;
    this.timeout = timeout;
    this.last = new Progress(job.starts(), job.bounds(), job.positions(), job.scanned(), job.matched(),
        job.delivered(), job.skipped());
  }

  /** Asks the run to save its progress, give the job up for another process to continue, and return. Any thread. */
  public void shutdown() {
    shuttingDown = true;
    Consumer<String, byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
  }

  /** The progress last saved (or the job's own when nothing was saved yet). */
  public Progress progress() {
    return last;
  }

  public Outcome run() throws Exception {
    try (Consumer<String, byte[]> c = consumers.get()) {
      consumer = c;
      try {
        return scan(c);
      } catch (WakeupException e) {
        if (!shuttingDown) {
          throw e;
        }
        return checkpoints.save(last, true) ? Outcome.RELEASED : Outcome.STOPPED;
      }
    }
  }

  private Outcome scan(Consumer<String, byte[]> c) throws Exception {
    if (last.positions() == null) {
      List<TopicPartition> parts = PartitionScan.partitionsOf(c, job.topic(), timeout);
      Map<Integer, Long> starts = byNumber(PartitionScan.offsets(c, parts, new AtTime(job.start().toEpochMilli()),
          timeout));
      last = new Progress(starts, byNumber(PartitionScan.offsets(c, parts, new AtTime(job.end().toEpochMilli()),
          timeout)), Map.copyOf(starts), 0, 0, 0);
      if (!checkpoints.save(last, false)) {
        return Outcome.STOPPED;
      }
    }
    Map<Integer, Long> positions = new TreeMap<>(last.positions());
    long scanned = last.scanned();
    long matched = last.matched();
    long skipped = last.skipped();
    long from = job.start().toEpochMilli();
    long to = job.end().toEpochMilli();
    Map<TopicPartition, Long> open = new HashMap<>();
    Map<TopicPartition, Long> stops = new HashMap<>();
    positions.forEach((p, at) -> {
      if (at < last.bounds().get(p)) {
        open.put(new TopicPartition(job.topic(), p), at);
        stops.put(new TopicPartition(job.topic(), p), last.bounds().get(p));
      }
    });
    PartitionScan<String, byte[]> scan = PartitionScan.between(c, open, stops);
    long savedAt = System.currentTimeMillis();
    while (!scan.reached()) {
      if (shuttingDown) {
        throw new WakeupException();
      }
      for (ConsumerRecord<String, byte[]> r : scan.poll(POLL)) {
        scanned++;
        positions.put(r.partition(), r.offset() + 1);
        if (r.timestamp() >= from && r.timestamp() < to && matches(job.filter(), r.value())) {
          if (!EnvelopeRecords.replayable(r.headers())) {
            skipped++; // published with is_replayable: false
            continue;
          }
          matched++;
          batch.add(r);
          if (batch.size() >= batchSize) {
            // every record before the positions is handled: the matches among them are delivered here
            if (!checkpoint(positions, scanned, matched, skipped, true)) {
              return Outcome.STOPPED;
            }
            savedAt = System.currentTimeMillis();
          }
        }
      }
      positions.putAll(byNumber(scan.positions()));
      long now = System.currentTimeMillis();
      boolean done = scan.reached();
      if (now - savedAt >= checkpointMs || done) {
        if (!checkpoint(positions, scanned, matched, skipped, !done)) {
          return Outcome.STOPPED;
        }
        savedAt = now;
      }
    }
    return Outcome.COMPLETED;
  }

  /** Delivers the batch, then records the progress and, when {@code save}, saves it: false when that was refused. */
  private boolean checkpoint(Map<Integer, Long> positions, long scanned, long matched, long skipped, boolean save)
      throws Exception {
    long delivered = last.delivered();
    if (!batch.isEmpty()) {
      target.deliver(job.id(), batch);
      delivered += batch.size();
      batch = new ArrayList<>();
    }
    last = new Progress(last.starts(), last.bounds(), Map.copyOf(positions), scanned, matched, delivered, skipped);
    return !save || checkpoints.save(last, false);
  }

  private static Map<Integer, Long> byNumber(Map<TopicPartition, Long> offsets) {
    Map<Integer, Long> out = new TreeMap<>();
    offsets.forEach((p, at) -> out.put(p.partition(), at));
    return out;
  }

  private static boolean matches(EnvelopeFilter filter, byte[] value) {
    if (filter.isAll()) {
      return true;
    }
    if (value == null || value.length == 0 || value[0] != '{') {
      return false;
    }
    try {
      return filter.matches(new JsonObject(new String(value, StandardCharsets.UTF_8)));
    } catch (RuntimeException e) {
      return false; // not an envelope: no filter condition can hold
    }
  }
}
