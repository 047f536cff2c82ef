package com.necpgame.mesh.kafka;

import com.necpgame.mesh.config.TopicSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates declared topics that do not exist yet, idempotently (several processes may start at once), with the
 * replication factor capped to the number of brokers. Blocking: call it from start-up or a worker thread.
 */
public final class TopicProvisioner {

  private static final Logger LOG = LoggerFactory.getLogger(TopicProvisioner.class);

  private final Admin admin;
  private final int defaultReplicationFactor;
  private final Duration timeout;

  public TopicProvisioner(Admin admin, int defaultReplicationFactor, Duration timeout) {
    this.admin = admin;
    this.defaultReplicationFactor = defaultReplicationFactor;
    this.timeout = timeout;
  }

  /** Declared topics plus the dead-letter topic of each that asks for one. */
  public static List<TopicSpec> withDeadLetters(List<TopicSpec> specs) {
    List<TopicSpec> all = new ArrayList<>(specs);
    specs.stream().filter(TopicSpec::dlq).map(TopicSpec::deadLetter)
        .filter(d -> specs.stream().noneMatch(s -> s.name().equals(d.name()))).forEach(all::add);
    return all;
  }

  /** Creates what is missing; returns the names created now. */
  public List<String> ensure(List<TopicSpec> specs) throws InterruptedException, ExecutionException, TimeoutException {
    int brokers = admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS).size();
    Set<String> existing = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    warnAboutFewerPartitions(specs, existing);
    List<NewTopic> missing = specs.stream().filter(s -> !existing.contains(s.name()))
        .map(s -> new NewTopic(s.name(), s.partitions(),
            (short) Math.min(s.replicationFactor().orElse(defaultReplicationFactor), brokers)).configs(s.configs()))
        .toList();
    List<String> created = new ArrayList<>();
    for (Map.Entry<String, org.apache.kafka.common.KafkaFuture<Void>> e : admin.createTopics(missing).values().entrySet()) {
      try {
        e.getValue().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        created.add(e.getKey());
      } catch (ExecutionException ex) {
        if (!(ex.getCause() instanceof TopicExistsException)) {
          throw ex; // another process creating it at the same moment is fine; anything else is not
        }
      }
    }
    if (!created.isEmpty()) {
      awaitLeaders(describe(created)); // created means usable: the brokers' metadata knows them, the leaders serve them
      LOG.info("created {} topic(s): {}", created.size(), created);
    }
    return created;
  }

  /**
   * Waits until the leader of every partition answers for it (a ListOffsets, which the admin client retries while the
   * leader has not applied the partition yet). An idempotent producer whose first requests to a brand-new partition
   * race that moment can have one of them reordered behind a later one and rejected as out of sequence until it
   * expires (KAFKA-15591), so a topic is not handed out before.
   */
  private void awaitLeaders(Map<String, TopicDescription> topics)
      throws InterruptedException, ExecutionException, TimeoutException {
    Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
    topics.forEach((name, d) -> d.partitions().forEach(p -> partitions.put(new TopicPartition(name, p.partition()),
        OffsetSpec.latest())));
    // on a cluster the broker the admin asks may not know the topic yet although another described it
    untilKnown(() -> admin.listOffsets(partitions).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS));
  }

  /**
   * Describes topics, waiting (up to the timeout) for ones so new that the metadata a broker answers from does not
   * show them yet.
   */
  public Map<String, TopicDescription> describe(Collection<String> names)
      throws InterruptedException, ExecutionException, TimeoutException {
    return untilKnown(() -> admin.describeTopics(names).allTopicNames().get(timeout.toMillis(), TimeUnit.MILLISECONDS));
  }

  private interface AdminCall<T> {
    T get() throws InterruptedException, ExecutionException, TimeoutException;
  }

  /** Repeats a call (up to the timeout) while it fails because a broker's metadata does not show a new topic yet. */
  private <T> T untilKnown(AdminCall<T> call) throws InterruptedException, ExecutionException, TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        return call.get();
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(50);
      }
    }
  }

  private void warnAboutFewerPartitions(List<TopicSpec> specs, Set<String> existing)
      throws InterruptedException, ExecutionException, TimeoutException {
    List<String> present = specs.stream().map(TopicSpec::name).filter(existing::contains).toList();
    if (present.isEmpty()) {
      return;
    }
    Map<String, TopicDescription> described = describe(present);
    for (TopicSpec spec : specs) {
      TopicDescription d = described.get(spec.name());
      if (d != null && d.partitions().size() != spec.partitions()) {
        LOG.warn("topic {} has {} partitions, the declaration says {}; left as it is", spec.name(),
            d.partitions().size(), spec.partitions());
      }
    }
  }
}
