package com.necpgame.mesh.config;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The topics the event store and the delivery router never read, whatever {@code store.topics} and {@code
 * delivery.topics} say, so that their defaults ({@code .+}: every topic) store and deliver every other topic:
 *
 * <ul>
 *   <li>topics starting with {@code _}: Kafka's own ({@code __consumer_offsets}, {@code __transaction_state}) and
 *       tools' ({@code _schemas}, {@code _confluent-*});
 *   <li>dead letters: every {@code <topic>.dlq} (the store's own among them: a row PostgreSQL refused would be read
 *       back and refused again) and {@code delivery.dead_letter_topic} (deliveries that already failed);
 *   <li>the compacted state topics ({@code world.state_topic}, {@code world.market.topics.state}, {@code
 *       match.topics.state}, {@code robots.topics.pool_state}): snapshots of up to 64 MB, not events;
 *   <li>the tick leader's heartbeats ({@code world.tick.topics.leader}): the election's, many per second;
 *   <li>{@code sub.*}, where kafka subscriptions copy their events by default ({@code sub.<service_name>}): copies of
 *       events stored and delivered already under their own topic, each with a {@code subscription_id} header that
 *       the router never routes again;
 *   <li>for the store only, {@code replay.<uuid>}: the topics replays without a target create hold copies of events
 *       the store already has under their own topic (a subscription to them is still delivered; other topics named
 *       {@code replay.*} are stored as any).
 * </ul>
 */
public final class InternalTopics {

  /** The topics replays without a target create, {@code replay.<replay_id>}: not stored again. */
  private static final String REPLAY_TOPICS = "replay\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
  private static final Pattern REPLAY = Pattern.compile(REPLAY_TOPICS);

  /** The prefix of the topics kafka subscriptions copy to by default ({@code sub.<service_name>}). */
  public static final String SUBSCRIPTION_COPIES = "sub.";

  private InternalTopics() {}

  /** The named internal topics of a configuration, each with the setting that names it. */
  public static Map<String, String> named(MeshConfig config) {
    Map<String, String> names = new LinkedHashMap<>();
    names.put(config.delivery().deadLetterTopic(), "delivery.dead_letter_topic");
    names.put(config.world().stateTopic(), "world.state_topic");
    names.put(config.world().market().stateTopic(), "world.market.topics.state");
    names.put(config.world().tick().leaderTopic(), "world.tick.topics.leader");
    names.put(config.games().match().stateTopic(), "match.topics.state");
    names.put(config.games().robots().poolStateTopic(), "robots.topics.pool_state");
    return names;
  }

  /** The same names from the configuration tree before typing (what {@link MeshConfig#from} has at hand). */
  static Map<String, String> named(ConfigReader r) {
    Map<String, String> names = new LinkedHashMap<>();
    for (String key : new String[] {"delivery.dead_letter_topic", "world.state_topic", "world.market.topics.state",
        "world.tick.topics.leader", "match.topics.state", "robots.topics.pool_state"}) {
      if (r.raw(key) instanceof String name) {
        names.put(name, key);
      }
    }
    return names;
  }

  /** Why the store ({@code store}) or the delivery router never reads {@code topic}; null when it is not internal. */
  public static String why(String topic, Map<String, String> named, boolean store) {
    if (topic.startsWith("_")) {
      return "topics starting with _ are Kafka's or its tools' own";
    }
    if (topic.startsWith(SUBSCRIPTION_COPIES)) {
      return "sub.* topics hold kafka subscriptions' copies of events, never routed again";
    }
    if (topic.endsWith(TopicSpec.DLQ_SUFFIX)) {
      return "dead-letter topics (*" + TopicSpec.DLQ_SUFFIX + ") are never stored or delivered";
    }
    String key = named.get(topic);
    if (key != null) {
      return topic + " is the mesh's own (" + key + "), never stored or delivered";
    }
    return store && REPLAY.matcher(topic).matches()
        ? "replay.<replay_id> topics hold copies of events stored already" : null;
  }

  /** {@code configured} less the internal topics, as one pattern a Kafka consumer subscribes with. */
  static Pattern readable(Pattern configured, Map<String, String> named, boolean store) {
    StringBuilder internal = new StringBuilder("_.*|sub\\..*|.*").append(Pattern.quote(TopicSpec.DLQ_SUFFIX));
    named.keySet().forEach(name -> internal.append('|').append(Pattern.quote(name)));
    if (store) {
      internal.append('|').append(REPLAY_TOPICS);
    }
    return Pattern.compile("(?!(?:" + internal + ")$)(?:" + configured.pattern() + ")");
  }
}
