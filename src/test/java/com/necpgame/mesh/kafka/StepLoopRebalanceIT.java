package com.necpgame.mesh.kafka;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.MeshMetrics;
import com.necpgame.mesh.testsupport.TestKafka;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * Two {@link StepLoop}s sharing the shards of one input topic on the embedded broker: when the second starts, the
 * group rebalances and each steps its share, while the first goes on stepping. Before the fix the first member never
 * rejoined: its group consumer was polled with a zero timeout only, and a pattern subscription that must rejoin first
 * waits for fresh metadata, which a zero timeout never gives. The rebalance waited for it until its
 * {@code max.poll.interval.ms} (5 minutes), and every shard stood still meanwhile.
 */
class StepLoopRebalanceIT {

  private static final int SHARDS = 4;

  /** Which loop stepped which shard last, and how many steps each loop made. */
  private final Map<String, String> steppedBy = new ConcurrentHashMap<>();
  private final Map<String, Integer> steps = new ConcurrentHashMap<>();

  @Test
  void aSecondLoopTakesItsShareOfTheShardsAndBothStep() throws Exception {
    String inputs = TestKafka.unique("rb-in");
    String ticks = TestKafka.unique("rb-ticks");
    String state = TestKafka.unique("rb-state");
    String out = TestKafka.unique("rb-out");
    TestKafka.admin().createTopics(List.of(new NewTopic(inputs, SHARDS, (short) 1), new NewTopic(ticks, 1, (short) 1),
        new NewTopic(out, 1, (short) 1), new NewTopic(state, 1, (short) 1)
            .configs(Map.of("cleanup.policy", "compact")))).all().get(30, TimeUnit.SECONDS);
    KafkaClients kafka = TestKafka.clients(TestKafka.config(new JsonObject()));
    Instant epoch = Instant.now();
    StepLoop.Settings settings = new StepLoop.Settings("rb", TestKafka.unique("rb-group"),
        StepLoop.Ownership.INPUT_PARTITIONS, Pattern.compile(Pattern.quote(inputs)),
        new StepLoop.Ticks(ticks, "tick", "n", epoch, Duration.ofSeconds(1), UnaryOperator.identity()), state, 100, 5);
    try (KafkaProducer<String, byte[]> producer = kafka.producer("rb-ticks");
        KafkaWorker first = worker("first", settings, kafka, out)) {
      Thread ticking = new Thread(() -> tick(producer, ticks, epoch), "rb-ticking");
      ticking.setDaemon(true);
      ticking.start();
      try {
        await("the first loop stepping every shard", 60, () -> steppedBy.size() == SHARDS);
        long joined = System.nanoTime();
        try (KafkaWorker second = worker("second", settings, kafka, out)) {
          int firstBefore = steps.getOrDefault("first", 0);
          await("the second loop stepping its share while the first goes on", 60,
              () -> steppedBy.containsValue("second") && steppedBy.containsValue("first")
                  && steps.getOrDefault("first", 0) > firstBefore);
          System.out.printf("the second loop stepped its first shard %d ms after it started; stepped by %s%n",
              (System.nanoTime() - joined) / 1_000_000, steppedBy);
        }
      } finally {
        ticking.interrupt();
      }
    }
  }

  private KafkaWorker worker(String name, StepLoop.Settings settings, KafkaClients kafka, String out) {
    StepLoop loop = new StepLoop(settings, StepLoop.clients(kafka, settings.stateTopic(), 1 << 20),
        (key, saved) -> new Shard(name, key, out, saved), nanos -> { });
    KafkaWorker worker = new KafkaWorker("rb-" + name, new MeshMetrics(), loop).start();
    worker.ready().join();
    return worker;
  }

  /** A tick for every period as its second comes. */
  private static void tick(KafkaProducer<String, byte[]> producer, String topic, Instant epoch) {
    try {
      for (long n = Duration.between(epoch, Instant.now()).toSeconds(); ; n++) {
        long wait = epoch.plusSeconds(n).toEpochMilli() - System.currentTimeMillis();
        if (wait > 0) {
          Thread.sleep(wait);
        }
        producer.send(new ProducerRecord<>(topic, "tick", new JsonObject().put("event_type", "tick")
            .put("data", new JsonObject().put("n", n)).encode().getBytes(StandardCharsets.UTF_8)));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A shard that remembers its last period and says which loop stepped it. */
  private final class Shard implements StepLoop.Model {
    private final String loop;
    private final String key;
    private final String out;
    private long last;

    Shard(String loop, String key, String out, byte[] saved) {
      this.loop = loop;
      this.key = key;
      this.out = out;
      this.last = saved == null ? Long.MIN_VALUE : new JsonObject(new String(saved, StandardCharsets.UTF_8))
          .getLong("last");
    }

    @Override
    public long last() {
      return last;
    }

    @Override
    public void input(JsonObject envelope) {
    }

    @Override
    public List<ProducerRecord<String, byte[]>> step(long period, Instant gameTime, Instant cut) {
      last = period;
      steppedBy.put(key, loop);
      steps.merge(loop, 1, Integer::sum);
      return List.of(new ProducerRecord<>(out, key, (loop + "@" + period).getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public byte[] snapshot() {
      return new JsonObject().put("last", last).encode().getBytes(StandardCharsets.UTF_8);
    }
  }

  private static void await(String what, int seconds, java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds); !condition.getAsBoolean();
        Thread.sleep(100)) {
      assertTrue(System.nanoTime() < end, "timed out after " + seconds + " s waiting for " + what);
    }
  }
}
