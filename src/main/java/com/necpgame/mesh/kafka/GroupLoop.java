package com.necpgame.mesh.kafka;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread that owns a piece of state: it consumes topics in a group, runs tasks handed to it from other threads,
 * and calls a periodic step; everything the handlers emit is produced with the shared producer and acknowledged
 * before the input offsets are committed (at least once; the handlers ignore what they have already seen). The next
 * poll does not wait for those acknowledgements; partitions are handed over, and the loop stops, only after them.
 */
public final class GroupLoop implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(GroupLoop.class);

  /** What the loop calls, always on its own thread. */
  public interface Handler {
    void record(ConsumerRecord<String, byte[]> record, List<ProducerRecord<String, byte[]>> out);

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
        public void record(ConsumerRecord<String, byte[]> r, List<ProducerRecord<String, byte[]>> out) {
          record.accept(r, out);
        }

        @Override
        public void step(List<ProducerRecord<String, byte[]>> out) {
          step.accept(out);
        }
      };
    }
  }

  /** A task run on the loop's thread. */
  public interface Task {
    void run(List<ProducerRecord<String, byte[]>> out);
  }

  private final KafkaClients kafka;
  private final Producer<String, byte[]> producer;
  private final List<String> topics;
  private final String group;
  private final long stepMs;
  private final Handler handler;
  private final Map<String, Object> consumerProperties;
  private final ConcurrentLinkedQueue<Task> tasks = new ConcurrentLinkedQueue<>();
  private volatile boolean running = true;
  private volatile KafkaConsumer<String, byte[]> consumer;
  private Thread thread;

  public GroupLoop(KafkaClients kafka, Producer<String, byte[]> producer, List<String> topics, String group,
      long stepMs, Handler handler) {
    this(kafka, producer, topics, group, stepMs, handler, Map.of());
  }

  /** With consumer properties that win over the configured ones (an assignor, say). */
  public GroupLoop(KafkaClients kafka, Producer<String, byte[]> producer, List<String> topics, String group,
      long stepMs, Handler handler, Map<String, Object> consumerProperties) {
    this.kafka = kafka;
    this.producer = producer;
    this.topics = topics;
    this.group = group;
    this.stepMs = stepMs;
    this.handler = handler;
    this.consumerProperties = consumerProperties;
  }

  public GroupLoop start() {
    thread = new Thread(() -> ConsumerThreads.supervise("loop " + group, () -> running, this::run), "loop-" + group);
    thread.setDaemon(true);
    thread.start();
    return this;
  }

  /** Runs {@code task} on the loop's thread at its next turn: the loop is woken for it. */
  public void submit(Task task) {
    tasks.add(task);
    KafkaConsumer<String, byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
  }

  /** One life of the loop, with a consumer of its own: after a failure it resumes from the last commit. */
  private void run() {
    Deque<Turn> inFlight = new ArrayDeque<>();
    try (KafkaConsumer<String, byte[]> c = kafka.consumer("loop-" + group, group, "earliest", consumerProperties)) {
      consumer = c;
      c.subscribe(topics, new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
          drain(inFlight, c);
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
      });
      while (running) {
        ConsumerRecords<String, byte[]> records;
        try {
          records = c.poll(Duration.ofMillis(stepMs));
        } catch (WakeupException e) {
          records = ConsumerRecords.empty(); // woken by submit (run the tasks now) or by close (a last turn)
        }
        List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : records) {
          try {
            handler.record(r, out);
          } catch (RuntimeException e) {
            LOG.warn("{}: record {}-{}/{} not understood: {}", group, r.topic(), r.partition(), r.offset(),
                e.toString());
          }
        }
        for (Task t = tasks.poll(); t != null; t = tasks.poll()) {
          try {
            t.run(out);
          } catch (RuntimeException e) {
            LOG.warn("{}: task failed", group, e);
          }
        }
        handler.step(out);
        inFlight.add(new Turn(send(out), offsetsAfter(records)));
        commitDone(inFlight, c);
      }
      drain(inFlight, c);
    } catch (WakeupException e) {
      // closing
    }
  }

  /** A turn's outputs on their way, and the input offsets to commit once they are all acknowledged. */
  private record Turn(List<Future<RecordMetadata>> acks, Map<TopicPartition, OffsetAndMetadata> offsets) {
    boolean done() {
      return acks.stream().allMatch(Future::isDone);
    }
  }

  private static Map<TopicPartition, OffsetAndMetadata> offsetsAfter(ConsumerRecords<String, byte[]> records) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition p : records.partitions()) {
      List<ConsumerRecord<String, byte[]>> of = records.records(p);
      offsets.put(p, new OffsetAndMetadata(of.get(of.size() - 1).offset() + 1));
    }
    return offsets;
  }

  private List<Future<RecordMetadata>> send(List<ProducerRecord<String, byte[]>> out) {
    List<Future<RecordMetadata>> acks = new ArrayList<>(out.size());
    out.forEach(r -> acks.add(producer.send(r, (meta, e) -> {
      if (e != null) {
        LOG.warn("{}: an output to {} was not acknowledged: {}", group, r.topic(), e.toString());
      }
    })));
    return acks;
  }

  /** Commits, without waiting, the inputs of the oldest turns whose outputs are all acknowledged. */
  private void commitDone(Deque<Turn> inFlight, KafkaConsumer<String, byte[]> c) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    while (!inFlight.isEmpty() && inFlight.peek().done()) {
      offsets.putAll(inFlight.poll().offsets());
    }
    if (!offsets.isEmpty()) {
      c.commitAsync(offsets, (o, e) -> {
        if (e != null) {
          LOG.warn("{}: commit failed (the inputs will be seen again): {}", group, e.toString());
        }
      });
    }
  }

  /** Waits for every turn's outputs, then commits all their inputs (before partitions move or the loop stops). */
  private void drain(Deque<Turn> inFlight, KafkaConsumer<String, byte[]> c) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    long waitMs = kafka.config().requestTimeoutMs() * 3L;
    for (Turn t = inFlight.poll(); t != null; t = inFlight.poll()) {
      for (Future<RecordMetadata> ack : t.acks()) {
        try {
          ack.get(waitMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new WakeupException();
        } catch (ExecutionException | TimeoutException e) {
          // logged by the send callback, or not acknowledged in time: committed anyway, as before
        }
      }
      offsets.putAll(t.offsets());
    }
    if (!offsets.isEmpty()) {
      try {
        c.commitSync(offsets);
      } catch (WakeupException e) {
        c.commitSync(offsets); // a wake-up meant for a poll came first
      }
    }
  }

  /**
   * Wakes the loop for a last turn (its tasks run, its outputs acknowledged and its inputs committed) and waits for
   * it, for at most three request timeouts and a bit.
   */
  @Override
  public void close() {
    running = false;
    ConsumerThreads.stop(thread, kafka.config().requestTimeoutMs() * 3L + 5_000, consumer);
  }
}
