package com.necpgame.mesh.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread that owns a piece of state: it consumes topics in a group, runs tasks handed to it from other threads,
 * and calls a periodic step; everything the handlers emit is produced with the shared producer and acknowledged
 * before the input offsets are committed (at least once; the handlers ignore what they have already seen).
 */
public final class GroupLoop implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(GroupLoop.class);

  /** What the loop calls, always on its own thread. */
  public interface Handler {
    void record(ConsumerRecord<String, byte[]> record, List<ProducerRecord<String, byte[]>> out);

    /** Called after every poll (at most {@code stepMs} apart). */
    void step(List<ProducerRecord<String, byte[]>> out);

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
  private final ConcurrentLinkedQueue<Task> tasks = new ConcurrentLinkedQueue<>();
  private volatile boolean running = true;
  private volatile KafkaConsumer<String, byte[]> consumer;
  private Thread thread;

  public GroupLoop(KafkaClients kafka, Producer<String, byte[]> producer, List<String> topics, String group,
      long stepMs, Handler handler) {
    this.kafka = kafka;
    this.producer = producer;
    this.topics = topics;
    this.group = group;
    this.stepMs = stepMs;
    this.handler = handler;
  }

  public GroupLoop start() {
    thread = new Thread(() -> ConsumerThreads.supervise("loop " + group, () -> running, this::run), "loop-" + group);
    thread.setDaemon(true);
    thread.start();
    return this;
  }

  /** Runs {@code task} on the loop's thread at its next turn (within {@code stepMs}). */
  public void submit(Task task) {
    tasks.add(task);
  }

  /** One life of the loop, with a consumer of its own: after a failure it resumes from the last commit. */
  private void run() {
    try (KafkaConsumer<String, byte[]> c = kafka.consumer("loop-" + group, group, "earliest")) {
      consumer = c;
      c.subscribe(topics);
      while (running) {
        ConsumerRecords<String, byte[]> records = c.poll(Duration.ofMillis(stepMs));
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
        send(out);
        if (!records.isEmpty()) {
          c.commitSync();
        }
      }
    } catch (WakeupException e) {
      // closing
    }
  }

  private void send(List<ProducerRecord<String, byte[]>> out) {
    List<Future<RecordMetadata>> acks = new ArrayList<>(out.size());
    out.forEach(r -> acks.add(producer.send(r)));
    for (Future<RecordMetadata> ack : acks) {
      try {
        ack.get(kafka.config().requestTimeoutMs() * 3L, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new WakeupException();
      } catch (Exception e) {
        LOG.warn("{}: an output was not acknowledged: {}", group, e.toString());
      }
    }
  }

  /** Lets the current turn finish (its outputs sent, its offsets committed), then wakes the consumer if need be. */
  @Override
  public void close() {
    running = false;
    if (thread != null) {
      try {
        thread.join(stepMs * 2 + 5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    ConsumerThreads.stop(thread, 15_000, consumer);
  }
}
