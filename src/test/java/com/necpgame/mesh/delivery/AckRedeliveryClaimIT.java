package com.necpgame.mesh.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.kafka.EnvelopeRecords;
import com.necpgame.mesh.kafka.KafkaClients;
import com.necpgame.mesh.store.Database;
import com.necpgame.mesh.store.EventStatus;
import com.necpgame.mesh.store.Migrations;
import com.necpgame.mesh.testsupport.TestDatabase;
import com.necpgame.mesh.testsupport.TestKafka;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * Two processes' sweepers ({@link AckRedelivery}) on one database and one broker, started together over more due rows
 * than one claim takes: every row is redelivered exactly once ({@code FOR UPDATE SKIP LOCKED} and the claim's lease).
 */
class AckRedeliveryClaimIT {

  private static final int ROWS = 2 * AckRedelivery.CLAIM + 200;

  @Test
  void twoSweepersNeverRedeliverTheSameRow() throws Exception {
    Vertx vertx = Vertx.vertx();
    Pool pool = Database.pool(vertx, TestDatabase.freshDatabase(), 4);
    KafkaClients kafka = TestKafka.clients(TestKafka.config(new JsonObject()));
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try (KafkaProducer<String, byte[]> producer = kafka.producer("claim-it")) {
      await(Migrations.run(pool));
      String source = TestKafka.createTopic("game.claims", 1);
      String target = TestKafka.createTopic("sub.claims", 1);
      List<java.util.concurrent.Future<?>> sends = new ArrayList<>();
      for (int i = 0; i < ROWS; i++) {
        ProducerRecord<String, byte[]> r = new ProducerRecord<>(source, "k" + i, ("{\"event_id\":\"e" + i + "\"}")
            .getBytes(StandardCharsets.UTF_8));
        r.headers().add(EnvelopeRecords.HEADER_EVENT_ID, ("e" + i).getBytes(StandardCharsets.UTF_8));
        sends.add(producer.send(r));
      }
      for (var f : sends) {
        f.get(30, TimeUnit.SECONDS);
      }
      await(pool.preparedQuery("INSERT INTO event_subscriptions (subscription_id, service_name, topic_pattern, "
          + "endpoint, status, method, max_retries, retry_delay, requires_ack) VALUES ('sub-claims', 'claims', $1, $2, "
          + "'active', 'kafka', 3, 600, true)").execute(Tuple.of(source, target)));
      await(pool.preparedQuery("INSERT INTO event_subscription_state (event_id, subscription_id, method, state, "
          + "attempts, requires_ack, delivered_at, updated_at, topic, kafka_partition, kafka_offset) SELECT 'e' || i, "
          + "'sub-claims', 'kafka', 'delivered', 1, true, NOW() - interval '1 hour', NOW() - interval '1 hour', $1, 0, "
          + "i FROM generate_series(0, $2) AS i").execute(Tuple.of(source, ROWS - 1)));

      SocketSubscriptions noSockets = new SocketSubscriptions(vertx, new EventStatus(pool), 1000);
      CountDownLatch start = new CountDownLatch(1);
      List<java.util.concurrent.Future<Integer>> claimed = new ArrayList<>();
      for (int p = 0; p < 2; p++) {
        Callable<Integer> process = () -> {
          try (KafkaConsumer<String, byte[]> consumer = kafka.consumer("claim-it", null, "earliest")) {
            AckRedelivery sweeper = new AckRedelivery(pool, producer, new RecordReader(consumer), noSockets,
                TestKafka.unique("claims.dead"), Duration.ofSeconds(30));
            start.await();
            int total = 0;
            for (int n = sweeper.sweep(); n > 0; n = sweeper.sweep()) {
              total += n;
            }
            return total;
          }
        };
        claimed.add(threads.submit(process));
      }
      start.countDown();
      int first = claimed.get(0).get(120, TimeUnit.SECONDS);
      int second = claimed.get(1).get(120, TimeUnit.SECONDS);
      System.out.printf("two sweepers over %d due rows: %d and %d claimed%n", ROWS, first, second);
      assertEquals(ROWS, first + second, "every due row claimed once");

      List<ConsumerRecord<String, byte[]>> copies = TestKafka.records(target);
      Set<String> events = new HashSet<>();
      copies.forEach(c -> events.add(EnvelopeRecords.header(c.headers(), EnvelopeRecords.HEADER_EVENT_ID)));
      assertEquals(ROWS, copies.size(), "one copy per row");
      assertEquals(ROWS, events.size(), "no event copied twice");
      assertTrue(copies.stream().allMatch(c -> "1".equals(EnvelopeRecords.header(c.headers(),
          AckRedelivery.HEADER_REDELIVERY))), "each the first redelivery");
      assertEquals(ROWS, await(pool.query("SELECT count(*) FROM event_subscription_state WHERE attempts = 2 "
          + "AND state = 'delivered'").execute()).iterator().next().getLong(0).intValue());
    } finally {
      threads.shutdownNow();
      await(vertx.close());
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
