package com.necpgame.mesh.security;

import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.config.TopicSpec;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The topics only the mesh itself writes, whatever a principal's {@code publish} globs say (even {@code *}): the
 * audit topic, every dead-letter topic ({@code <topic>.dlq} and {@code delivery.dead_letter_topic}), the state and
 * leader topics, the simulation's outputs (ticks, {@code world.output_topic}, the match and robot topics), Kafka's
 * own {@code __*} topics, and any glob in {@code security.reserved_topics}. Every gateway path that writes a topic or
 * creates one asks {@link #reserved} first. Inputs the game servers publish (orders, combat/economy/social events)
 * are not reserved.
 */
public final class ReservedTopics {

  private final Set<String> names;
  /** The globs of {@code security.reserved_topics}, matched as a publish ACL is. */
  private final Acl extra;

  public ReservedTopics(Set<String> names, List<String> globs) {
    this.names = Set.copyOf(names);
    this.extra = new Acl(globs, List.of(), List.of());
  }

  /** The reserved topics a configuration names. */
  public static ReservedTopics of(MeshConfig config) {
    Set<String> names = new LinkedHashSet<>();
    names.add(config.security().audit().topic());
    names.add(config.delivery().deadLetterTopic());
    var world = config.world();
    names.add(world.outputTopic());
    names.add(world.stateTopic());
    names.add(world.market().stateTopic());
    names.add(world.tick().hourlyTopic());
    names.add(world.tick().dailyTopic());
    names.add(world.tick().leaderTopic());
    var match = config.games().match();
    names.addAll(List.of(match.eventsTopic(), match.orchestrationTopic(), match.responsesTopic(), match.stateTopic()));
    var robots = config.games().robots();
    names.addAll(List.of(robots.commandsTopic(), robots.poolStateTopic()));
    return new ReservedTopics(names, config.security().reservedTopics());
  }

  /** Whether no client may write {@code topic}. */
  public boolean reserved(String topic) {
    return topic.startsWith("__") || topic.endsWith(TopicSpec.DLQ_SUFFIX) || names.contains(topic)
        || extra.mayPublish(topic);
  }

  /** The named ones, for the README and tests. */
  public Set<String> names() {
    return names;
  }
}
