package com.necpgame.mesh.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.kafka.DeadLetters;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** Kafka subscriptions' copies, each subscription on its own (issue 15, finding 5c), against Kafka's MockProducer. */
class KafkaCopiesTest {

  /** A MockProducer whose broker refuses some topics: each send to one takes the next error queued for it. */
  static final class Broker extends MockProducer<String, byte[]> {
    final Map<String, Deque<RuntimeException>> refusals = new HashMap<>();
    final Map<String, RuntimeException> always = new HashMap<>();
    final Map<String, Integer> tried = new HashMap<>();
    int sends;

    Broker() {
      super(true, null, new StringSerializer(), new ByteArraySerializer());
    }

    @Override
    public synchronized Future<RecordMetadata> send(ProducerRecord<String, byte[]> record, Callback callback) {
      sends++;
      tried.merge(record.topic(), 1, Integer::sum);
      RuntimeException e = always.get(record.topic());
      Deque<RuntimeException> queued = refusals.get(record.topic());
      if (e == null && queued != null && !queued.isEmpty()) {
        e = queued.poll();
      }
      return e != null ? CompletableFuture.failedFuture(e) : super.send(record, callback);
    }

    List<ProducerRecord<String, byte[]>> to(String topic) {
      return history().stream().filter(r -> r.topic().equals(topic)).toList();
    }
  }

  private final Broker broker = new Broker();
  private final Map<String, String> paused = new LinkedHashMap<>();
  private final List<String> gaveUp = new ArrayList<>();
  private final KafkaCopies copies = new KafkaCopies(broker, "dead-letter-events", 3, Duration.ofMillis(1),
      Duration.ofSeconds(5), (id, reason) -> paused.put(id, reason) == null,
      (id, permanent, events) -> gaveUp.add(id + (permanent ? " permanent " : " exhausted ") + events));

  private static Subscription kafka(String id, String endpoint) {
    return Subscription.of(new JsonObject().put("subscription_id", id).put("service_name", "svc")
        .put("topic_pattern", "game.*").put("method", "kafka").put("endpoint", endpoint).put("status", "active"));
  }

  private static List<ConsumerRecord<String, byte[]>> events(int n) {
    List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ConsumerRecord<String, byte[]> r = new ConsumerRecord<>("game.combat.events", 0, i, "k" + i,
          ("{\"event_id\":\"e" + i + "\"}").getBytes(StandardCharsets.UTF_8));
      r.headers().add("event_id", ("e" + i).getBytes(StandardCharsets.UTF_8));
      out.add(r);
    }
    return out;
  }

  @Test
  void aTargetRefusedForGoodIsDeadLetteredAndPausedWhileTheOthersAreCopied() throws Exception {
    broker.always.put("__consumer_offsets", new InvalidTopicException("Cannot append to internal topic"));
    Subscription good = kafka("good", "sub.good");
    Subscription refused = kafka("refused", "__consumer_offsets");
    List<ConsumerRecord<String, byte[]>> records = events(5);
    Map<Subscription, List<ConsumerRecord<String, byte[]>>> batch = new LinkedHashMap<>();
    batch.put(refused, records);
    batch.put(good, records);

    Set<String> given = copies.deliver(batch);

    assertEquals(Set.of("refused"), given);
    assertEquals(5, broker.to("sub.good").size(), "the other subscription got every copy");
    assertEquals("good", new String(broker.to("sub.good").get(0).headers().lastHeader("subscription_id").value(),
        StandardCharsets.UTF_8));
    assertEquals(1, broker.tried.get("__consumer_offsets"), "after the first refusal the rest are not sent");
    List<ProducerRecord<String, byte[]>> dead = broker.to("dead-letter-events");
    assertEquals(List.of("e0", "e1", "e2", "e3", "e4"), dead.stream().map(ProducerRecord::key).toList());
    String reason = new String(dead.get(0).headers().lastHeader(DeadLetters.REASON).value(), StandardCharsets.UTF_8);
    assertTrue(reason.contains("__consumer_offsets") && reason.contains("InvalidTopicException"), reason);
    assertEquals("subscription:refused",
        new String(dead.get(0).headers().lastHeader(DeadLetters.ADDRESS).value(), StandardCharsets.UTF_8));
    assertEquals(reason, paused.get("refused"));
    assertEquals(List.of("refused permanent 5"), gaveUp);
  }

  @Test
  void notAuthorizedIsPermanentAtTheFirstAttempt() throws Exception {
    broker.always.put("sub.secret", new TopicAuthorizationException(Set.of("sub.secret")));
    assertEquals(Set.of("s"), copies.deliver(Map.of(kafka("s", "sub.secret"), events(2))));
    assertEquals(1, broker.tried.get("sub.secret"));
    assertTrue(paused.get("s").contains("for good"), paused.get("s"));
  }

  @Test
  void aRetriableRefusalIsRetriedForItsSubscriptionOnly() throws Exception {
    broker.refusals.put("sub.flaky", new ArrayDeque<>(List.of(new NotLeaderOrFollowerException("moving"),
        new NotLeaderOrFollowerException("moving"))));
    Map<Subscription, List<ConsumerRecord<String, byte[]>>> batch = new LinkedHashMap<>();
    batch.put(kafka("flaky", "sub.flaky"), events(3));
    batch.put(kafka("steady", "sub.steady"), events(3));

    assertEquals(Set.of(), copies.deliver(batch));

    assertEquals(3, broker.to("sub.flaky").size(), "every copy in the end, after two refused attempts");
    assertEquals(3, broker.to("sub.steady").size(), "the steady one's copies were sent once");
    assertTrue(paused.isEmpty());
  }

  @Test
  void aRetriableRefusalThatLastsGivesUpAfterItsAttempts() throws Exception {
    broker.always.put("sub.moving", new NotLeaderOrFollowerException("moving"));
    assertEquals(Set.of("m"), copies.deliver(Map.of(kafka("m", "sub.moving"), events(4))));
    assertEquals(3, broker.sends - 4, "one send per attempt (the rest wait), then 4 dead letters");
    assertEquals(4, broker.to("dead-letter-events").size());
    assertTrue(paused.get("m").contains("after 3 attempt(s)"), paused.get("m"));
    assertEquals(List.of("m exhausted 4"), gaveUp);
  }

  @Test
  void whenTheDeadLetterTopicFailsTooTheBatchFailsAndNobodyIsPaused() {
    broker.always.put("__consumer_offsets", new InvalidTopicException("Cannot append to internal topic"));
    broker.always.put("dead-letter-events", new NotLeaderOrFollowerException("broker going down"));
    assertThrows(Exception.class, () -> copies.deliver(Map.of(kafka("refused", "__consumer_offsets"), events(2))));
    assertTrue(paused.isEmpty(), "the broker is the problem, not one target: read again, pause nobody");
  }
}
