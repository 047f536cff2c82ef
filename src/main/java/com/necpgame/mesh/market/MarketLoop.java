package com.necpgame.mesh.market;

import com.necpgame.mesh.kafka.ConsumerThreads;
import com.necpgame.mesh.config.WorldConfig;
import com.necpgame.mesh.kafka.CutReader;
import com.necpgame.mesh.kafka.EnvelopeRecords;
import com.necpgame.mesh.kafka.KafkaClients;
import com.necpgame.mesh.kafka.StateTopic;
import com.necpgame.mesh.tick.GameClock;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The market of one process, on a thread of its own. The orders topic is read in the consumer group
 * {@code <prefix>.market}: the partitions this process is given are its shards, and only it clears their
 * commodities. Hourly ticks are read by every process (no group) and only say that an hour has come; for each shard the
 * loop clears every hour after the shard's last one up to the tick's, each on the orders appended before that hour's
 * real time ({@link CutReader}), and commits the results, the shard's new state and the consumed order offsets in one
 * Kafka transaction: an hour of a shard is cleared once, whatever fails or moves.
 */
final class MarketLoop {

  private static final Logger LOG = LoggerFactory.getLogger(MarketLoop.class);

  private final KafkaClients kafka;
  private final WorldConfig.Market config;
  private final GameClock clock;
  private final String hourlyTopic;
  private final String outputTopic;
  private final StateTopic state;
  private final Map<String, Long> commodities;
  private final Map<TopicPartition, MarketShard> shards = new TreeMap<>(
      (a, b) -> a.topic().equals(b.topic()) ? Integer.compare(a.partition(), b.partition()) : a.topic().compareTo(b.topic()));
  private volatile boolean running = true;
  private volatile KafkaConsumer<String, byte[]> orders;
  private volatile KafkaConsumer<String, byte[]> ticks;
  private KafkaProducer<String, byte[]> producer;
  private Thread thread;
  /** Told how many nanoseconds each hour's clearing of the owned shards took (a meter). */
  private volatile java.util.function.LongConsumer clearTimer = nanos -> { };

  /** @param commodities the configured commodities and their initial reference prices in cents */
  MarketLoop(KafkaClients kafka, WorldConfig.Market config, Map<String, Long> commodities, GameClock clock,
      String hourlyTopic, String outputTopic) {
    this.kafka = kafka;
    this.config = config;
    this.clock = clock;
    this.hourlyTopic = hourlyTopic;
    this.outputTopic = outputTopic;
    this.state = new StateTopic(kafka, config.stateTopic());
    this.commodities = commodities;
  }


  /** Where the duration of each hour's clearing goes (nanoseconds), before {@link #start()}. */
  void timeClearingsWith(java.util.function.LongConsumer timer) {
    this.clearTimer = timer;
  }
  void start() {
    thread = new Thread(() -> ConsumerThreads.supervise("market loop", () -> running, this::run), "market");
    thread.setDaemon(true);
    thread.start();
  }

  /** One life of the loop, with clients of its own: it takes its partitions' state again when they are assigned. */
  private void run() {
    shards.clear();
    Map<String, Object> props = kafka.producerProps("market");
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, config.group() + "." + UUID.randomUUID());
    props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, config.maxStateBytes());
    try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        KafkaConsumer<String, byte[]> o = kafka.consumer("market-orders", config.group(), "earliest",
            Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000));
        KafkaConsumer<String, byte[]> t = kafka.consumer("market-ticks", null, "latest")) {
      producer = p;
      orders = o;
      ticks = t;
      p.initTransactions();
      CutReader reader = new CutReader(o);
      o.subscribe(List.of(config.ordersTopic()), new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
          partitions.forEach(shards::remove);
          reader.forget(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
          restore(partitions);
        }
      });
      List<TopicPartition> tickParts = t.partitionsFor(hourlyTopic).stream()
          .map(i -> new TopicPartition(hourlyTopic, i.partition())).toList();
      t.assign(tickParts);
      t.seekToEnd(tickParts);
      while (running) {
        reader.idle(Duration.ZERO);
        long hour = latestHour(t.poll(Duration.ofMillis(500)));
        if (hour != Long.MIN_VALUE) {
          clearUpTo(hour, reader);
        }
      }
    } catch (WakeupException e) {
      // stopping
    }
  }

  /** The game hour of the newest hourly tick among the records, or MIN_VALUE. */
  private static long latestHour(Iterable<ConsumerRecord<String, byte[]>> records) {
    long hour = Long.MIN_VALUE;
    for (ConsumerRecord<String, byte[]> r : records) {
      if ("world.tick.hourly".equals(EnvelopeRecords.header(r.headers(), EnvelopeRecords.HEADER_EVENT_TYPE))) {
        JsonObject data = new JsonObject(new String(r.value(), StandardCharsets.UTF_8)).getJsonObject("data");
        hour = Math.max(hour, data.getLong("game_hour"));
      }
    }
    return hour;
  }

  private void restore(Collection<TopicPartition> partitions) {
    Set<String> keys = partitions.stream().map(MarketLoop::key).collect(Collectors.toSet());
    Map<String, byte[]> saved = state.load(keys);
    for (TopicPartition p : partitions) {
      byte[] value = saved.get(key(p));
      shards.put(p, value == null ? MarketShard.fresh(key(p), commodities) : MarketShard.restore(value));
    }
    LOG.info("market: clearing {} (state found for {})", partitions, saved.keySet());
  }

  private static String key(TopicPartition p) {
    return p.topic() + "/" + p.partition();
  }

  /** Clears every shard's hours after its last up to {@code hour}, oldest first, one transaction per hour. */
  private void clearUpTo(long hour, CutReader reader) {
    long from = hour;
    for (MarketShard s : shards.values()) {
      long first = s.lastHour() == Long.MIN_VALUE ? hour : s.lastHour() + 1;
      from = Math.min(from, Math.max(first, hour - config.maxCatchUpHours() + 1));
    }
    for (long h = from; h <= hour && running; h++) {
      clearHour(h, reader);
    }
  }

  private void clearHour(long hour, CutReader reader) {
    Instant gameTime = clock.gameEpoch().plus(Duration.ofHours(hour));
    long cut = clock.realAt(gameTime).toEpochMilli();
    Map<TopicPartition, Long> next = new HashMap<>();
    Map<TopicPartition, List<ConsumerRecord<String, byte[]>>> input = reader.readUntil(cut, config.graceMs(), next);
    List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    int cleared = 0;
    long started = System.nanoTime();
    for (Map.Entry<TopicPartition, MarketShard> e : shards.entrySet()) {
      MarketShard shard = e.getValue();
      if (shard.lastHour() != Long.MIN_VALUE && shard.lastHour() >= hour) {
        continue;
      }
      input.getOrDefault(e.getKey(), List.of()).forEach(shard::apply);
      for (JsonObject envelope : shard.clear(hour, gameTime, Instant.ofEpochMilli(cut))) {
        out.add(EnvelopeRecords.record(outputTopic, "data.commodity", envelope));
      }
      out.add(new ProducerRecord<>(state.topic(), key(e.getKey()), shard.snapshot()));
      offsets.put(e.getKey(), new OffsetAndMetadata(next.getOrDefault(e.getKey(), 0L)));
      cleared++;
    }
    if (cleared == 0) {
      return;
    }
    clearTimer.accept(System.nanoTime() - started);
    try {
      producer.beginTransaction();
      out.forEach(producer::send);
      producer.sendOffsetsToTransaction(offsets, orders.groupMetadata());
      producer.commitTransaction();
    } catch (KafkaException e) {
      // fenced (the partitions moved) or failed: nothing of this hour is visible; the shards are rebuilt from state
      LOG.warn("market: clearing hour {} was not committed ({}); reloading shard state", hour, e.toString());
      try {
        producer.abortTransaction();
      } catch (KafkaException ignored) {
        // the producer is unusable; the loop ends below
        throw e;
      }
      Set<TopicPartition> owned = Set.copyOf(shards.keySet());
      shards.clear();
      reader.forget(owned);
      owned.forEach(p -> orders.seek(p, committed(p)));
      restore(owned);
    }
  }

  private long committed(TopicPartition p) {
    OffsetAndMetadata at = orders.committed(Set.of(p)).get(p);
    return at == null ? 0 : at.offset();
  }

  void stop() {
    running = false;
    ConsumerThreads.stop(thread, 15_000, orders, ticks);
  }
}
