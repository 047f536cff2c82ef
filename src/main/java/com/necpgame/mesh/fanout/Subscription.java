package com.necpgame.mesh.fanout;

import com.necpgame.mesh.envelope.EnvelopeFilter;
import com.necpgame.mesh.kafka.PartitionScan;
import com.necpgame.mesh.kafka.TopicPatterns;
import io.vertx.core.json.JsonObject;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One subscription of a socket on the hub: topic globs, event types (empty: all), a filter, at most one channel key
 * (equality of a channel field with a value: a personal, party or match channel) and where it starts. Its socket is
 * its {@link Outbox}.
 */
public final class Subscription {

  final Object id;
  final Outbox outbox;
  final TopicPatterns.Globs topics;
  final Set<String> types;
  final EnvelopeFilter filter;
  /** Index of the keyed channel field in {@link ChannelFields}; -1: not keyed. */
  final int keyField;
  final String keyValue;
  final PartitionScan.Position start;
  volatile boolean cancelled;
  private final ConcurrentHashMap<String, Boolean> topicMatches = new ConcurrentHashMap<>();

  public Subscription(Object id, Outbox outbox, TopicPatterns.Globs topics, Set<String> types, EnvelopeFilter filter,
      int keyField, String keyValue, PartitionScan.Position start) {
    this.id = id;
    this.outbox = outbox;
    this.topics = topics;
    this.types = Set.copyOf(types);
    this.filter = filter;
    this.keyField = keyField;
    this.keyValue = keyValue;
    this.start = start;
  }

  public Object id() {
    return id;
  }

  /** Whether the topic is one of this subscription's (the globs are matched once per topic). */
  boolean matchesTopic(String topic) {
    return topicMatches.computeIfAbsent(topic, t -> TopicPatterns.matches(topics, t));
  }

  /** Whether a frame of one of its topics is for this subscription: its key, its types, its filter. */
  boolean accepts(Frame frame) {
    if (keyField >= 0 && !keyValue.equals(frame.addressed[keyField])) {
      return false;
    }
    if (!types.isEmpty() && (frame.eventType == null || !types.contains(frame.eventType))) {
      return false;
    }
    if (filter.isAll()) {
      return true;
    }
    JsonObject envelope = frame.skipped ? null : frame.envelope();
    return envelope != null && filter.matches(envelope);
  }
}
