package com.necpgame.mesh.kafka;

import com.necpgame.mesh.MeshMetrics;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread that owns a piece of state (a {@link KafkaWorker}): it consumes topics in a group, runs tasks handed to
 * it from other threads, and calls a periodic step; what the handlers emit is produced with the shared producer. The
 * next poll does not wait for those acknowledgements. Its three policies, each with one default:
 *
 * <ul>
 *   <li><b>Failure.</b> Anything that escapes a poll, a commit or a handler's rebalance call ends the life of the
 *       loop ({@link KafkaWorker} starts another, from the group's commits); the handler hears the partitions
 *       revoked, then assigned again (it reloads there).
 *   <li><b>Bad record.</b> A record whose handler throws is tried again after {@link #RETRY} up to {@link
 *       GroupConsumer.Policy#ATTEMPTS} times (at once when it threw {@link PoisonRecordException}); what a failed try
 *       emitted is dropped. Then the record goes to {@code <topic>.dlq} with the reason ({@link DeadLetters}), as one
 *       of the turn's outputs (a topic with no {@code .dlq} has it logged and skipped, as {@link StepLoop} does), and
 *       the loop goes on. A record whose outputs come later ({@link Handler#outputs}) and fail goes there too.
 *   <li><b>Commit.</b> A turn's inputs are committed ({@code commitAsync}) only after every output of the turn, and of
 *       every earlier turn, was acknowledged. When an output is not acknowledged, the turn's inputs and those of every
 *       later turn are <em>not</em> committed: the life of the loop ends (the worker restarts it, as above) and the
 *       new consumer reads them again from the last commit (handlers answer an input seen again with the same
 *       output). Before partitions move ({@code onPartitionsRevoked}) and when the loop stops, every turn's outputs
 *       are awaited and the inputs committed with {@code commitSync}; lost partitions are only told to the handler.
 * </ul>
 */
public final class GroupLoop extends WorkerLoop<GroupLoop> {

  private static final Logger LOG = LoggerFactory.getLogger(GroupLoop.class);

  /** The pause between tries of a record whose handler throws: 100 ms doubling up to 2 s, ±20 %. */
  private static final Backoff RETRY = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(2), 0.2);

  /** What the loop calls, always on its own thread. */
  public interface Handler {
    /**
     * The outputs of {@code record}: given at once ({@link #now}), or, for a handler whose answer takes a while (a
     * text provider), a stage that completes with them later (committed and dead-lettered as the class says).
     */
    CompletionStage<List<ProducerRecord<String, byte[]>>> outputs(ConsumerRecord<String, byte[]> record);

    /** Called after every poll (at most {@code stepMs} apart). */
    void step(List<ProducerRecord<String, byte[]>> out);

    /** Partitions given to this member (their inputs follow). */
    default void assigned(Collection<TopicPartition> partitions) {}

    /** Partitions taken away (revoked after this member's outputs and commits, or lost). */
    default void revoked(Collection<TopicPartition> partitions) {}

    /** A handler of these two functions. */
    static Handler of(BiConsumer<ConsumerRecord<String, byte[]>, List<ProducerRecord<String, byte[]>>> record,
        Consumer<List<ProducerRecord<String, byte[]>>> step) {
      return new Handler() {
        @Override
        public CompletionStage<List<ProducerRecord<String, byte[]>>> outputs(ConsumerRecord<String, byte[]> r) {
          return now(out -> record.accept(r, out));
        }

        @Override
        public void step(List<ProducerRecord<String, byte[]>> out) {
          step.accept(out);
        }
      };
    }

    /** Outputs given at once: those {@code add} adds. */
    static CompletionStage<List<ProducerRecord<String, byte[]>>> now(
        Consumer<List<ProducerRecord<String, byte[]>>> add) {
      List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
      add.accept(out);
      return CompletableFuture.completedFuture(out);
    }
  }

  /** A task run on the loop's thread. */
  public interface Task {
    void run(List<ProducerRecord<String, byte[]>> out);
  }

  /** An output that was not acknowledged: the life of the loop ends without committing what produced it. */
  static final class OutputFailed extends KafkaException {
    OutputFailed(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final Supplier<? extends org.apache.kafka.clients.consumer.Consumer<String, byte[]>> consumers;
  private final Producer<String, byte[]> producer;
  private final List<String> topics;
  private final long stepMs;
  private final Duration ackWait;
  private final Handler handler;
  private final Backoff retry;
  private final ConcurrentLinkedQueue<Task> tasks = new ConcurrentLinkedQueue<>();

  /** @param consumerProperties win over the configured ones (an assignor, say) */
  public GroupLoop(KafkaClients kafka, Producer<String, byte[]> producer, List<String> topics, String group,
      long stepMs, MeshMetrics metrics, Handler handler, Map<String, Object> consumerProperties) {
    this(group, () -> kafka.consumer("loop-" + group, group, "earliest", consumerProperties), producer, topics, stepMs,
        Duration.ofMillis(kafka.config().requestTimeoutMs() * 3L), Backoff.SUPERVISION, RETRY, metrics, handler);
  }

  GroupLoop(String group, Supplier<? extends org.apache.kafka.clients.consumer.Consumer<String, byte[]>> consumers,
      Producer<String, byte[]> producer, List<String> topics, long stepMs, Duration ackWait, Backoff supervision,
      Backoff retry, MeshMetrics metrics, Handler handler) {
    super(group, supervision, metrics);
    this.consumers = consumers;
    this.producer = producer;
    this.topics = topics;
    this.stepMs = stepMs;
    this.ackWait = ackWait;
    this.retry = retry;
    this.handler = handler;
  }

  /** Runs {@code task} on the loop's thread at its next turn: the loop is woken for it. */
  public void submit(Task task) {
    tasks.add(task);
    worker.wakeup();
  }

  /** A turn's outputs on their way, and the input offsets to commit once they are all acknowledged. */
  private record Turn(CompletableFuture<Void> acked, Map<TopicPartition, OffsetAndMetadata> offsets) {}

  /** One life of the loop: its consumer, its turns in flight, and whether an output of them failed. */
  private final class Life implements ConsumerRebalanceListener {
    final KafkaWorker.Life worker;
    final org.apache.kafka.clients.consumer.Consumer<String, byte[]> consumer;
    final Deque<Turn> inFlight = new ArrayDeque<>();
    boolean broken;

    Life(KafkaWorker.Life worker, org.apache.kafka.clients.consumer.Consumer<String, byte[]> consumer) {
      this.worker = worker;
      this.consumer = consumer;
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (!broken) {
        commitDone(this, true);
      }
      handler.revoked(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      inFlight.clear();
      handler.revoked(partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      handler.assigned(partitions);
    }
  }

  @Override
  void run(KafkaWorker.Life worker) {
    try (org.apache.kafka.clients.consumer.Consumer<String, byte[]> c = worker.wakes(consumers.get())) {
      Life life = new Life(worker, c);
      try {
        c.subscribe(topics, life);
        worker.ready();
        while (worker.running()) {
          turn(life);
        }
        commitDone(life, true);
      } catch (RuntimeException e) {
        life.broken = true; // the consumer's close revokes: nothing more is committed by this life
        throw e;
      }
    }
  }

  private void turn(Life life) {
    ConsumerRecords<String, byte[]> records;
    try {
      records = life.consumer.poll(Duration.ofMillis(stepMs));
    } catch (WakeupException e) {
      records = ConsumerRecords.empty(); // woken by submit (run the tasks now) or by close (a last turn)
    }
    listTopics(life.consumer, records.partitions());
    List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
    List<CompletableFuture<?>> acks = new ArrayList<>();
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (ConsumerRecord<String, byte[]> r : records) {
      if (!handle(r, out, acks, life)) {
        break; // closing in the middle of a record's retries: it and the rest are not committed
      }
      offsets.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
    }
    for (Task t = tasks.poll(); t != null; t = tasks.poll()) {
      try {
        t.run(out);
      } catch (RuntimeException e) {
        LOG.warn("{}: task failed", name, e);
      }
    }
    handler.step(out);
    acks.add(send(out));
    life.inFlight.add(new Turn(CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)), offsets));
    commitDone(life, false);
  }

  /**
   * Hands one record to the handler, retried and then dead-lettered as the class says; outputs that come later join
   * {@code acks}. False when the loop is closing before the record was done.
   */
  private boolean handle(ConsumerRecord<String, byte[]> r, List<ProducerRecord<String, byte[]>> out,
      List<CompletableFuture<?>> acks, Life life) {
    for (int attempt = 1; ; attempt++) {
      CompletableFuture<List<ProducerRecord<String, byte[]>>> outputs;
      try {
        outputs = handler.outputs(r).toCompletableFuture();
      } catch (RuntimeException e) {
        if (e instanceof PoisonRecordException || attempt >= GroupConsumer.Policy.ATTEMPTS) {
          deadLetter(r, "loop:" + name, e, attempt).ifPresent(out::add);
          return true;
        }
        LOG.debug("{}: record {}-{}/{} attempt {} failed: {}", name, r.topic(), r.partition(), r.offset(), attempt,
            e.toString());
        life.worker.pause(retry.after(attempt));
        if (!life.worker.running()) {
          return false;
        }
        continue;
      }
      if (outputs.isDone() && !outputs.isCompletedExceptionally()) {
        out.addAll(outputs.join());
      } else {
        int tries = attempt;
        acks.add(outputs.handle((later, e) -> e == null ? later
            : deadLetter(r, "loop:" + name, cause(e), tries).stream().toList()).thenCompose(this::send));
      }
      return true;
    }
  }

  /** Sends {@code out}; completes when all were acknowledged, fails with {@link OutputFailed} when one was not. */
  private CompletableFuture<Void> send(List<ProducerRecord<String, byte[]>> out) {
    List<CompletableFuture<Void>> acks = new ArrayList<>(out.size());
    for (ProducerRecord<String, byte[]> r : out) {
      CompletableFuture<Void> ack = new CompletableFuture<>();
      producer.send(r, (meta, e) -> {
        if (e == null) {
          ack.complete(null);
        } else {
          LOG.warn("{}: an output to {} was not acknowledged: {}", name, r.topic(), e.toString());
          ack.completeExceptionally(new OutputFailed("an output to " + r.topic() + " was not acknowledged", e));
        }
      });
      acks.add(ack);
    }
    return CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new));
  }

  /** Commits as the class's commit rule says; {@code all} waits at most {@code ackWait} for every turn's outputs. */
  private void commitDone(Life life, boolean all) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    long until = System.nanoTime() + ackWait.toNanos();
    try {
      while (!life.inFlight.isEmpty() && (all || life.inFlight.peek().acked().isDone())) {
        life.inFlight.peek().acked().get(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS);
        offsets.putAll(life.inFlight.poll().offsets());
      }
    } catch (ExecutionException e) {
      throw broken(life, e.getCause());
    } catch (TimeoutException e) {
      throw broken(life, new OutputFailed("outputs not acknowledged within " + ackWait.toMillis() + " ms", e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw broken(life, e);
    } finally {
      if (all) {
        commitSync(life.consumer, offsets);
      } else if (!offsets.isEmpty()) {
        life.consumer.commitAsync(offsets, (o, e) -> {
          if (e != null) {
            LOG.warn("{}: commit failed (the inputs will be seen again): {}", name, e.toString());
          }
        });
      }
    }
  }

  private RuntimeException broken(Life life, Throwable cause) {
    life.broken = true;
    life.inFlight.clear();
    return cause instanceof OutputFailed f ? f : new OutputFailed("an output was not acknowledged", cause);
  }

  /**
   * Wakes the loop for a last turn (its tasks run, its outputs acknowledged and its inputs committed) and waits for
   * it, for at most three request timeouts and a bit.
   */
  @Override
  public void close() {
    worker.close(ackWait.plusSeconds(5));
  }
}
