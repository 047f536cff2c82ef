package com.necpgame.mesh.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.envelope.Envelope;
import com.necpgame.mesh.testsupport.MeshProcess;
import com.necpgame.mesh.testsupport.TestKafka;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two mesh processes share the store's consumer group; one is killed with {@code kill -9}, so it never leaves the
 * group. With the mesh's default member timeouts ({@code kafka.consumer.session_timeout_ms}, not Kafka's 45 s) the
 * survivor takes its partitions over and stores events written to them after the kill within the seed's "rebalancing
 * completed in <10 seconds".
 */
class GroupMemberKillIT {

  private static final int PARTITIONS = 6;
  private static final long BOUND_MS = 10_000;

  @Test
  void theSurvivorStoresEventsOfTheKilledMembersPartitionsWithin10Seconds(@TempDir Path dir) throws Exception {
    String topic = TestKafka.createTopic("game.takeover", PARTITIONS);
    String prefix = TestKafka.unique("takeover");
    String group = prefix + ".store";
    JsonObject config = MeshProcess.sharedConfig(prefix);
    // the mesh's own member timeouts, not the faster ones the shared test config passes through
    config.getJsonObject("kafka").getJsonObject("consumer").remove("properties");
    JsonObject off = new JsonObject().put("enabled", false);
    config.put("store", new JsonObject().put("topics", Pattern.quote(topic)));
    config.getJsonObject("verticles").put("delivery", off).put("replay", off);

    try (MeshProcess a = MeshProcess.start("survivor", dir.resolve("a"), config.copy().put("node_id", "a"));
        MeshProcess b = MeshProcess.start("victim", dir.resolve("b"), config.copy().put("node_id", "b"));
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
            TestKafka.bootstrapServers(), "acks", "all"), new StringSerializer(), new ByteArraySerializer())) {
      ConsumerGroupDescription settled = awaitGroup(group, d -> d.members().size() == 2
          && d.members().stream().allMatch(m -> !m.assignment().topicPartitions().isEmpty()));
      Set<Integer> victims = partitionsOf(settled, "-b-");
      assertFalse(victims.isEmpty(), "the victim owns partitions: " + settled);
      List<String> warm = publish(producer, topic, allPartitions());
      awaitStored(a, warm, 60_000);

      b.signal("KILL");
      long killed = System.nanoTime();
      List<String> after = publish(producer, topic, victims);
      long storedMs = awaitStored(a, after, 60_000) - killed;
      System.out.printf("store group member killed (-9) owning partitions %s of %d: events written to them after "
          + "the kill stored by the survivor %d ms after the kill%n", victims, PARTITIONS, storedMs / 1_000_000);
      assertTrue(storedMs < BOUND_MS * 1_000_000, "taken over in " + storedMs / 1_000_000 + " ms, not < 10 s");
      assertFalse(b.alive(), "the victim is dead");
      ConsumerGroupDescription alone = awaitGroup(group, d -> d.members().size() == 1);
      assertEquals(allPartitions(), partitionsOf(alone, "-a-"), "the survivor owns every partition");
    }
  }

  private static Set<Integer> allPartitions() {
    Set<Integer> all = new TreeSet<>();
    for (int p = 0; p < PARTITIONS; p++) {
      all.add(p);
    }
    return all;
  }

  /** One event to each partition; their ids. */
  private static List<String> publish(KafkaProducer<String, byte[]> producer, String topic, Set<Integer> partitions)
      throws Exception {
    List<String> ids = new ArrayList<>();
    for (int p : partitions) {
      JsonObject envelope = Envelope.create("game.takeover.probe", "takeover-test", new JsonObject().put("p", p))
          .toJson();
      ProducerRecord<String, byte[]> r = EnvelopeRecords.record(topic, "event_id", envelope);
      producer.send(new ProducerRecord<>(topic, p, r.key(), r.value(), r.headers())).get(30, TimeUnit.SECONDS);
      ids.add(envelope.getString("event_id"));
    }
    return ids;
  }

  /** Waits until the process's store has every event; answers System.nanoTime() then. */
  private static long awaitStored(MeshProcess mesh, List<String> ids, long limitMs) throws Exception {
    List<String> missing = new ArrayList<>(ids);
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(limitMs);
    while (true) {
      missing.removeIf(id -> {
        try {
          return mesh.get("/events/" + id + "/status").statusCode() == 200;
        } catch (Exception e) {
          return false;
        }
      });
      if (missing.isEmpty()) {
        return System.nanoTime();
      }
      assertTrue(System.nanoTime() < end, "not stored within " + limitMs + " ms: " + missing);
      Thread.sleep(20);
    }
  }

  /** Partitions of the member whose client id contains {@code node} (client ids are {@code <id>-<node>-<role>}). */
  private static Set<Integer> partitionsOf(ConsumerGroupDescription d, String node) {
    Set<Integer> out = new TreeSet<>();
    for (MemberDescription m : d.members()) {
      if (m.clientId().contains(node)) {
        m.assignment().topicPartitions().stream().map(TopicPartition::partition).forEach(out::add);
      }
    }
    return out;
  }

  private static ConsumerGroupDescription awaitGroup(String group,
      java.util.function.Predicate<ConsumerGroupDescription> settled) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    ConsumerGroupDescription d = null;
    while (System.nanoTime() < end) {
      d = TestKafka.admin().describeConsumerGroups(List.of(group)).all().get(30, TimeUnit.SECONDS).get(group);
      if (settled.test(d)) {
        return d;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("group " + group + " did not settle: " + d);
  }
}
