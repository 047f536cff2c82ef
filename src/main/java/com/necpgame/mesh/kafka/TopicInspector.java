package com.necpgame.mesh.kafka;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * What Kafka says about topics: the list, and for one topic its partitions (leader, replicas, in-sync replicas,
 * earliest and end offsets) and the lag of every consumer group that has committed offsets on it. Blocking: call it
 * from a worker.
 */
public final class TopicInspector {

  private final Admin admin;
  private final Duration timeout;

  public TopicInspector(Admin admin, Duration timeout) {
    this.admin = admin;
    this.timeout = timeout;
  }

  /** Every topic that is not Kafka's own, with its description, by name. */
  public Map<String, TopicDescription> all() throws InterruptedException, ExecutionException, TimeoutException {
    Collection<String> names = get(admin.listTopics().names());
    return names.isEmpty() ? Map.of() : get(admin.describeTopics(names).allTopicNames());
  }

  /** The topic's partitions, offsets and consumer-group lag; empty when it does not exist. */
  public Optional<JsonObject> describe(String topic) throws InterruptedException, ExecutionException, TimeoutException {
    TopicDescription description;
    try {
      description = get(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        return Optional.empty();
      }
      throw e;
    }
    List<TopicPartition> partitions = description.partitions().stream()
        .map(p -> new TopicPartition(topic, p.partition())).toList();
    Map<TopicPartition, ListOffsetsResultInfo> earliest = offsets(partitions, OffsetSpec.earliest());
    Map<TopicPartition, ListOffsetsResultInfo> latest = offsets(partitions, OffsetSpec.latest());

    JsonArray parts = new JsonArray();
    long messages = 0;
    for (TopicPartitionInfo p : description.partitions()) {
      TopicPartition tp = new TopicPartition(topic, p.partition());
      long start = earliest.get(tp).offset();
      long end = latest.get(tp).offset();
      messages += end - start;
      parts.add(new JsonObject().put("partition", p.partition())
          .put("leader", p.leader() == null ? null : p.leader().id())
          .put("replicas", new JsonArray(p.replicas().stream().map(Node::id).toList()))
          .put("in_sync_replicas", new JsonArray(p.isr().stream().map(Node::id).toList()))
          .put("earliest_offset", start).put("end_offset", end));
    }
    return Optional.of(new JsonObject().put("name", topic).put("partitions", description.partitions().size())
        .put("replication_factor", description.partitions().get(0).replicas().size())
        .put("internal", description.isInternal()).put("messages", messages).put("partition_details", parts)
        .put("consumer_groups", new JsonArray(lag(committed(""), latest).entrySet().stream()
            .map(e -> new JsonObject().put("group", e.getKey()).put("lag", e.getValue().get(topic))).toList())));
  }

  public int brokers() throws InterruptedException, ExecutionException, TimeoutException {
    return get(admin.describeCluster().nodes()).size();
  }

  /**
   * Lag per topic of every consumer group whose id starts with {@code groupPrefix} (the mesh's own): end offset minus
   * committed offset, summed over the partitions the group has committed on.
   */
  public Map<String, Map<String, Long>> groupLag(String groupPrefix)
      throws InterruptedException, ExecutionException, TimeoutException {
    Map<String, Map<TopicPartition, OffsetAndMetadata>> committed = committed(groupPrefix);
    List<TopicPartition> partitions = committed.values().stream().flatMap(m -> m.keySet().stream()).distinct().toList();
    return lag(committed, partitions.isEmpty() ? Map.of() : offsets(partitions, OffsetSpec.latest()));
  }

  /** The offsets committed by every consumer group whose id starts with {@code groupPrefix}, by group. */
  private Map<String, Map<TopicPartition, OffsetAndMetadata>> committed(String groupPrefix)
      throws InterruptedException, ExecutionException, TimeoutException {
    List<String> groups = get(admin.listGroups().all()).stream().map(GroupListing::groupId)
        .filter(g -> g.startsWith(groupPrefix)).toList();
    Map<String, Map<TopicPartition, OffsetAndMetadata>> committed = new HashMap<>();
    if (!groups.isEmpty()) {
      var offsets = admin.listConsumerGroupOffsets(
          groups.stream().collect(Collectors.toMap(g -> g, g -> new ListConsumerGroupOffsetsSpec())));
      for (String group : groups) {
        try {
          committed.put(group, get(offsets.partitionsToOffsetAndMetadata(group)));
        } catch (ExecutionException e) {
          // not a consumer group (a share or streams group), or gone meanwhile
        }
      }
    }
    return committed;
  }

  /** By group (in order), then topic: the sum over the partitions in {@code ends} of end minus committed offset. */
  private static Map<String, Map<String, Long>> lag(Map<String, Map<TopicPartition, OffsetAndMetadata>> committed,
      Map<TopicPartition, ListOffsetsResultInfo> ends) {
    Map<String, Map<String, Long>> lag = new TreeMap<>();
    committed.forEach((group, offsets) -> offsets.forEach((tp, at) -> {
      if (at != null && ends.containsKey(tp)) {
        lag.computeIfAbsent(group, g -> new TreeMap<>())
            .merge(tp.topic(), Math.max(0, ends.get(tp).offset() - at.offset()), Long::sum);
      }
    }));
    return lag;
  }

  private Map<TopicPartition, ListOffsetsResultInfo> offsets(List<TopicPartition> partitions, OffsetSpec spec)
      throws InterruptedException, ExecutionException, TimeoutException {
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    partitions.forEach(tp -> request.put(tp, spec));
    return get(admin.listOffsets(request).all());
  }

  private <T> T get(KafkaFuture<T> future) throws InterruptedException, ExecutionException, TimeoutException {
    return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }
}
