package com.necpgame.mesh.delivery;

import com.necpgame.mesh.config.InternalTopics;
import com.necpgame.mesh.kafka.TopicPatterns;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Whether a subscription's {@code topic_pattern} can ever be delivered: some topic it matches is one the delivery
 * router reads ({@code delivery.topics} less the {@link InternalTopics}). The candidates are the existing topics the
 * pattern matches and the names it spells with each {@code *} filled with nothing, {@code x}, {@code x.x} or {@code
 * events} and each {@code ?} with {@code x}; a pattern none of them passes is refused, naming what excludes it. (A
 * pattern whose topics do not exist yet and which only in part overlaps an operator's narrowed {@code
 * delivery.topics} may be refused although a future topic would pass: create the topic first.)
 */
public final class Deliverable {

  private static final List<String> FILLERS = List.of("", "x", "x.x", "events");

  private Deliverable() {}

  /** The names {@code glob} spells with its wildcards filled (not empty ones). */
  public static List<String> samples(String glob) {
    List<String> out = new ArrayList<>();
    for (String filler : FILLERS) {
      String name = glob.replace("*", filler).replace('?', 'x');
      if (!name.isEmpty() && !out.contains(name)) {
        out.add(name);
      }
    }
    return out;
  }

  /**
   * Null when a candidate of {@code glob} among {@code existing} (may be empty) and its samples is delivered by
   * {@code delivered}; else why none is, naming the setting.
   */
  public static String problem(String glob, Pattern delivered, Map<String, String> internal,
      Collection<String> existing) {
    TopicPatterns.Globs compiled = TopicPatterns.compile(List.of(glob));
    List<String> candidates = new ArrayList<>(existing.stream().filter(compiled::matches).toList());
    candidates.addAll(samples(glob));
    String internalReason = null;
    for (String topic : candidates) {
      if (!compiled.matches(topic)) {
        continue; // Kafka's __ topics: no glob matches them
      }
      String why = InternalTopics.why(topic, internal, false);
      if (why == null && delivered.matcher(topic).matches()) {
        return null;
      }
      if (why != null && internalReason == null) {
        internalReason = why;
      }
    }
    boolean allInternal = candidates.stream().filter(compiled::matches)
        .allMatch(t -> InternalTopics.why(t, internal, false) != null);
    if (allInternal && internalReason != null) {
      return "no topic it matches is ever delivered: " + internalReason;
    }
    return "no topic it matches is read by the delivery router: delivery.topics excludes them (set it to a regular "
        + "expression covering them, or subscribe to topics it covers)";
  }
}
