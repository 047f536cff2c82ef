package com.necpgame.mesh.fanout;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The subscriptions of one topic in this process: those without a key, and those keyed on a channel by (field,
 * value), so a frame's candidates are the unkeyed ones plus one lookup per channel field of the frame: an event for
 * one player costs O(1) lookups plus that player's own subscriptions, whatever the number of sockets.
 */
final class TopicIndex {

  private final Set<Subscription> unkeyed = ConcurrentHashMap.newKeySet();
  private final Map<Integer, Map<String, Set<Subscription>>> keyed = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicInteger size = new java.util.concurrent.atomic.AtomicInteger();

  void add(Subscription s) {
    boolean added = s.keyField < 0 ? unkeyed.add(s) : keyed.computeIfAbsent(s.keyField, f -> new ConcurrentHashMap<>())
        .computeIfAbsent(s.keyValue, v -> ConcurrentHashMap.newKeySet()).add(s);
    if (added) {
      size.incrementAndGet();
    }
  }

  void remove(Subscription s) {
    boolean removed;
    if (s.keyField < 0) {
      removed = unkeyed.remove(s);
    } else {
      Map<String, Set<Subscription>> byValue = keyed.get(s.keyField);
      Set<Subscription> subs = byValue == null ? null : byValue.get(s.keyValue);
      removed = subs != null && subs.remove(s);
      if (subs != null && subs.isEmpty()) {
        byValue.remove(s.keyValue, subs);
      }
    }
    if (removed) {
      size.decrementAndGet();
    }
  }

  int size() {
    return size.get();
  }

  /** Every subscription a frame may be for (its key, types and filter are still to be checked). */
  void forEachCandidate(Frame frame, Consumer<Subscription> each) {
    unkeyed.forEach(each);
    if (keyed.isEmpty()) {
      return;
    }
    for (Map.Entry<Integer, Map<String, Set<Subscription>>> field : keyed.entrySet()) {
      String value = frame.addressed[field.getKey()];
      Set<Subscription> subs = value == null ? null : field.getValue().get(value);
      if (subs != null) {
        subs.forEach(each);
      }
    }
  }

  /** Every subscription of the topic. */
  void forEach(Consumer<Subscription> each) {
    unkeyed.forEach(each);
    keyed.values().forEach(byValue -> byValue.values().forEach(subs -> subs.forEach(each)));
  }
}
