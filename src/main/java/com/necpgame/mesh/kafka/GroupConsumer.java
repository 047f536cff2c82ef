package com.necpgame.mesh.kafka;

import com.necpgame.mesh.MeshMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes topics on a {@link KafkaWorker} and hands what it polls to a {@link Handler}: the bridge's inbound
 * mappings, the event store writer and the delivery router. Its three policies, each with one default:
 *
 * <ul>
 *   <li><b>Failure.</b> Anything that escapes a poll, a commit or a dead-letter write ends the life of the loop
 *       ({@link KafkaWorker} starts another); it resumes from the group's commits (a broadcast consumer from the
 *       positions this object remembers).
 *   <li><b>Bad record.</b> A handler that fails is tried again after {@link Policy#backoff()} up to {@link
 *       Policy#attempts()} times. A batch that still fails is split into its records, each tried the same way. A
 *       record that still fails (or at once when the handler threw {@link PoisonRecordException}) goes to {@code
 *       <topic>.dlq} with the reason ({@link DeadLetters}), acknowledged before it counts as done, and the partition
 *       goes on (a topic with no {@code .dlq} has it logged and skipped, as {@link StepLoop} does). Before a batch
 *       is split or a record dead-lettered the handler's {@link Policy#probe() probe} is asked: when it fails, what
 *       the handler writes to is away (the database, say), which is not the records' fault, and they are tried
 *       again, as they are, without limit.
 *   <li><b>Commit.</b> Only records that are done (handled, or dead-lettered and acknowledged) are committed, with
 *       {@code commitSync} after each poll, so nothing is in flight when a rebalance moves partitions (Kafka calls
 *       the rebalance listener inside {@code poll}) and what was done is committed when the loop stops. A partition
 *       whose records are not all done (closing, or a dead-letter write failed) is sought back to its first record
 *       not done, and read again at the next poll.
 * </ul>
 *
 * Records of one partition are handled in order; in per-record mode partitions are handled in parallel, in batch mode
 * each poll is one call. A first try runs on the loop's thread, a retry on this consumer's retry thread. While a
 * poll's records are being handled the loop does not poll: a handler kept busy past {@code max.poll.interval.ms} (an
 * outage of more than five minutes) loses its partitions, its commit fails, and the worker starts the loop again.
 */
public final class GroupConsumer extends WorkerLoop<GroupConsumer> {

  private static final Logger LOG = LoggerFactory.getLogger(GroupConsumer.class);
  private static final Duration POLL = Duration.ofMillis(200);

  /** Does the work of some records, of one partition in per-record mode; the stage completes once it is durable. */
  public interface Handler {
    CompletionStage<Void> handle(List<ConsumerRecord<String, byte[]>> records);

    /** A handler that does its work before returning. */
    static Handler blocking(Blocking work) {
      return records -> {
        try {
          work.handle(records);
          return CompletableFuture.completedFuture(null);
        } catch (Exception e) {
          return CompletableFuture.failedFuture(e);
        }
      };
    }
  }

  /** Work done before returning. */
  public interface Blocking {
    void handle(List<ConsumerRecord<String, byte[]>> records) throws Exception;
  }

  /**
   * Whether what the handler depends on answers: completes when it does, fails when it does not. {@code cause} is the
   * handler's last failure: a probe may tell from it alone that what the handler needs is away.
   */
  public interface Probe {
    CompletionStage<Void> check(Throwable cause);

    Probe NONE = cause -> CompletableFuture.completedFuture(null);
  }

  /** Which records: a group's subscription (the work divided, commits) or every partition of one topic (no group). */
  public record Source(Pattern pattern, List<String> topics, boolean broadcast) {
    public static Source pattern(Pattern pattern) {
      return new Source(pattern, List.of(), false);
    }

    public static Source topics(List<String> topics) {
      return new Source(null, topics, false);
    }

    /** Every partition of {@code topic}, from the consumer's reset position, nothing committed. */
    public static Source broadcast(String topic) {
      return new Source(null, List.of(topic), true);
    }
  }

  /**
   * How failures of the handler are met.
   *
   * @param batch a poll is one call of the handler (else each record is, partitions in parallel)
   * @param attempts tries of a batch or a record before it is split or dead-lettered (at least 1: the config says so)
   * @param backoff the pause after each failed try
   * @param probe asked when a record failed {@code attempts} times: when it fails too, the record is not to blame
   * @param address what the records were for, in the dead letter's {@code dlq.address}
   */
  public record Policy(boolean batch, int attempts, Backoff backoff, Probe probe, String address) {
    /** Tries of a batch or record, where no setting says otherwise ({@code bridge.retry.max_attempts} does). */
    public static final int ATTEMPTS = 5;

    /** Batches tried {@link #ATTEMPTS} times, pausing {@code first} doubling up to 5 s (or {@code first}), ±20 %. */
    public static Policy batches(Duration first, Probe probe, String address) {
      Duration max = first.compareTo(Duration.ofSeconds(5)) > 0 ? first : Duration.ofSeconds(5);
      return new Policy(true, ATTEMPTS, new Backoff(first, max, 0.2), probe, address);
    }
  }

  private final Supplier<? extends Consumer<String, byte[]>> consumers;
  private final Source source;
  private final Policy policy;
  private final Producer<String, byte[]> deadLetters;
  private final Handler handler;
  private final Executor retries;
  /** Where a broadcast consumer goes on from when a new life of the loop starts. */
  private final Map<TopicPartition, Long> positions = new ConcurrentHashMap<>();

  public GroupConsumer(String name, Supplier<? extends Consumer<String, byte[]>> consumers, Source source,
      Policy policy, Producer<String, byte[]> deadLetters, MeshMetrics metrics, Handler handler) {
    this(name, Backoff.SUPERVISION, consumers, source, policy, deadLetters, metrics, handler);
  }

  GroupConsumer(String name, Backoff supervision, Supplier<? extends Consumer<String, byte[]>> consumers,
      Source source, Policy policy, Producer<String, byte[]> deadLetters, MeshMetrics metrics, Handler handler) {
    super(name, supervision, metrics);
    this.consumers = consumers;
    this.source = source;
    this.policy = policy;
    this.deadLetters = deadLetters;
    this.handler = handler;
    ExecutorService pool = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "retry-" + name);
      t.setDaemon(true);
      return t;
    });
    worker.stopped().whenComplete((v, e) -> pool.shutdown());
    this.retries = pool;
  }

  @Override
  void run(KafkaWorker.Life life) {
    try (Consumer<String, byte[]> consumer = life.wakes(consumers.get())) {
      join(consumer, life);
      life.ready();
      while (life.running()) {
        ConsumerRecords<String, byte[]> records = consumer.poll(POLL);
        if (!records.isEmpty()) {
          handle(consumer, records, life);
        }
      }
    }
  }

  private void join(Consumer<String, byte[]> consumer, KafkaWorker.Life life) {
    if (!source.broadcast()) {
      if (source.pattern() != null) {
        consumer.subscribe(source.pattern());
      } else {
        consumer.subscribe(source.topics());
      }
      return;
    }
    String topic = source.topics().get(0);
    List<TopicPartition> partitions = PartitionScan.partitionsOf(consumer, topic, Duration.ofSeconds(5));
    while (life.running() && partitions.isEmpty()) {
      LOG.warn("{}: topic {} not found yet, waiting", name, topic);
      life.pause(Duration.ofSeconds(1));
      partitions = PartitionScan.partitionsOf(consumer, topic, Duration.ofSeconds(5));
    }
    consumer.assign(partitions);
    for (TopicPartition tp : consumer.assignment()) {
      Long next = positions.get(tp);
      if (next != null) {
        consumer.seek(tp, next);
      }
      positions.put(tp, consumer.position(tp)); // fixed now, before anything more is published
    }
  }

  private void handle(Consumer<String, byte[]> consumer, ConsumerRecords<String, byte[]> records,
      KafkaWorker.Life life) {
    listTopics(consumer, records.partitions());
    Map<TopicPartition, OffsetAndMetadata> done = new ConcurrentHashMap<>();
    List<CompletableFuture<Void>> chains = new ArrayList<>();
    if (policy.batch()) {
      List<ConsumerRecord<String, byte[]>> all = new ArrayList<>(records.count());
      records.forEach(all::add);
      chains.add(unit(all, done));
    } else {
      records.partitions().forEach(tp -> chains.add(oneByOne(records.records(tp), done)));
    }
    try {
      CompletableFuture.allOf(chains.toArray(CompletableFuture[]::new)).join();
    } catch (CompletionException e) {
      // a partition stopped early (closing, or a dead-letter write failed): sought back below
    }
    if (!source.broadcast()) {
      commitSync(consumer, done);
    }
    done.forEach((tp, next) -> positions.put(tp, next.offset()));
    List<TopicPartition> unfinished = new ArrayList<>();
    for (TopicPartition tp : records.partitions()) {
      List<ConsumerRecord<String, byte[]>> polled = records.records(tp);
      OffsetAndMetadata next = done.get(tp);
      if (next == null || next.offset() <= polled.get(polled.size() - 1).offset()) {
        unfinished.add(tp);
        consumer.seek(tp, next != null ? next.offset() : polled.get(0).offset());
      }
    }
    if (!unfinished.isEmpty() && life.running()) {
      Duration pause = policy.backoff().max();
      LOG.warn("{}: partitions {} will be read again from their first record not done, in {} ms", name, unfinished,
          pause.toMillis());
      life.pause(pause);
    }
  }

  /** Some records handled (or, record by record, dead-lettered) and marked done; fails when not all are. */
  private CompletableFuture<Void> unit(List<ConsumerRecord<String, byte[]>> records,
      Map<TopicPartition, OffsetAndMetadata> done) {
    return attempt(records, 1).thenCompose(handled -> {
      if (handled) {
        records.forEach(r -> done.put(new TopicPartition(r.topic(), r.partition()),
            new OffsetAndMetadata(r.offset() + 1))); // in order: the last of a partition wins
        return CompletableFuture.<Void>completedFuture(null);
      }
      LOG.warn("{}: a batch of {} failed {} times; trying its records one by one", name, records.size(),
          policy.attempts());
      return oneByOne(records, done);
    });
  }

  /** Each record a unit, in order; stops at the first that is not done. */
  private CompletableFuture<Void> oneByOne(List<ConsumerRecord<String, byte[]>> records,
      Map<TopicPartition, OffsetAndMetadata> done) {
    CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
    for (ConsumerRecord<String, byte[]> r : records) {
      chain = chain.thenCompose(v -> unit(List.of(r), done));
    }
    return chain;
  }

  /**
   * Tries the handler as the class's bad-record rule says: true when it succeeded or a single record is to be
   * dead-lettered, false when a batch is to be split.
   */
  private CompletableFuture<Boolean> attempt(List<ConsumerRecord<String, byte[]>> records, int attempt) {
    if (worker.stopping().isDone()) {
      return CompletableFuture.failedFuture(new IllegalStateException("closing"));
    }
    CompletableFuture<Void> result;
    try {
      result = handler.handle(records).toCompletableFuture();
    } catch (RuntimeException e) {
      result = CompletableFuture.failedFuture(e);
    }
    return result.handle((ok, error) -> error == null ? CompletableFuture.completedFuture(true)
        : failed(records, attempt, cause(error))).thenCompose(f -> f);
  }

  private CompletableFuture<Boolean> failed(List<ConsumerRecord<String, byte[]>> records, int attempt,
      Throwable cause) {
    if (worker.stopping().isDone()) {
      return CompletableFuture.failedFuture(new IllegalStateException("closing"));
    }
    if (cause instanceof PoisonRecordException) {
      return giveUp(records, cause, attempt - 1);
    }
    ConsumerRecord<String, byte[]> first = records.get(0);
    LOG.debug("{}: {} record(s) from {}-{}@{} attempt {} failed: {}", name, records.size(), first.topic(),
        first.partition(), first.offset(), attempt, cause.toString());
    if (attempt < policy.attempts()) {
      return again(records, attempt);
    }
    return policy.probe().check(cause).toCompletableFuture().handle((reachable, away) -> {
      if (away == null) {
        return giveUp(records, cause, attempt);
      }
      LOG.warn("{}: {} record(s) from {}-{}@{} failed {} times while what the handler needs is away ({}); trying "
          + "again", name, records.size(), first.topic(), first.partition(), first.offset(), attempt,
          away.toString());
      return again(records, attempt);
    }).thenCompose(f -> f);
  }

  /** The next try after the backoff of {@code attempt} (at once when closing), on the retry thread. */
  private CompletableFuture<Boolean> again(List<ConsumerRecord<String, byte[]>> records, int attempt) {
    CompletableFuture<Void> due = new CompletableFuture<>();
    CompletableFuture.delayedExecutor(policy.backoff().after(attempt).toMillis(), TimeUnit.MILLISECONDS, retries)
        .execute(() -> due.complete(null));
    worker.stopping().thenRunAsync(() -> due.complete(null), retries);
    return due.thenCompose(v -> attempt(records, attempt + 1));
  }

  /** A batch is split (false); a single record is dead-lettered (true once Kafka acknowledged it). */
  private CompletableFuture<Boolean> giveUp(List<ConsumerRecord<String, byte[]>> records, Throwable cause,
      int attempts) {
    if (records.size() > 1) {
      return CompletableFuture.completedFuture(false);
    }
    ConsumerRecord<String, byte[]> record = records.get(0);
    Optional<ProducerRecord<String, byte[]>> dead = deadLetter(record, policy.address(), cause, attempts);
    if (dead.isEmpty()) {
      return CompletableFuture.completedFuture(true);
    }
    CompletableFuture<Boolean> sent = new CompletableFuture<>();
    deadLetters.send(dead.get(), (metadata, error) -> {
      if (error == null) {
        sent.complete(true);
      } else {
        LOG.error("{}: dead-letter write for {}-{}@{} failed; the record stays uncommitted", name, record.topic(),
            record.partition(), record.offset(), error);
        sent.completeExceptionally(error);
      }
    });
    return sent;
  }
}
