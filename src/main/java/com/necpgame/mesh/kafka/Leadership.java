package com.necpgame.mesh.kafka;

import com.necpgame.mesh.MeshMetrics;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader election through a Kafka consumer group on a topic: the member the group gives the topic's partition 0
 * leads (the other partitions, if any, mean nothing here). A member that dies stops heartbeating and the group moves
 * the partition within {@code sessionTimeoutMs}; one that stops cleanly leaves the group at once. The sticky assignor
 * keeps the leader where it is when members join. Leadership alone does not fence a leader that is paused rather than
 * dead; what it leads must fence itself (the tick emitter's transactional id does). A failure (the broker away) ends
 * this member's candidacy until {@link KafkaWorker} starts it again; the listener is told false.
 */
public final class Leadership extends WorkerLoop<Leadership> {

  private static final Logger LOG = LoggerFactory.getLogger(Leadership.class);

  private final Supplier<KafkaConsumer<String, byte[]>> consumers;
  private final Consumer<Boolean> listener;
  private final TopicPartition first;

  /** @param listener told true when this member becomes leader, false when it stops being one; on the group's thread */
  public Leadership(KafkaClients kafka, MeshMetrics metrics, String group, String topic, long sessionTimeoutMs,
      Consumer<Boolean> listener) {
    super(group + ".election", Backoff.SUPERVISION, metrics);
    this.consumers = () -> kafka.consumer("leader", group, "latest", Map.of(
        ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) sessionTimeoutMs,
        ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) Math.max(100, sessionTimeoutMs / 5),
        ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName()));
    this.listener = listener;
    this.first = new TopicPartition(topic, 0);
  }

  @Override
  void run(KafkaWorker.Life life) {
    try (KafkaConsumer<String, byte[]> c = life.wakes(consumers.get())) {
      c.subscribe(List.of(first.topic()), new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
          told(partitions, true);
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) { // and, by default, lost
          told(partitions, false);
        }
      });
      life.ready();
      while (life.running()) {
        c.pause(c.assignment()); // nothing is ever read: no fetches, only the group's heartbeats
        c.poll(Duration.ofSeconds(5));
      }
    } finally {
      listener.accept(false);
    }
  }

  private void told(Collection<TopicPartition> partitions, boolean leading) {
    if (partitions.contains(first)) {
      LOG.info("{}: {}", name, leading ? "leading" : "no longer leading");
      listener.accept(leading);
    }
  }

  /** Leaves the group, so another member leads at once; waits for at most 10 s. */
  @Override
  public void close() {
    worker.close(Duration.ofSeconds(10));
  }
}
