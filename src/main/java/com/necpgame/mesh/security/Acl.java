package com.necpgame.mesh.security;

import com.necpgame.mesh.kafka.TopicPatterns;
import java.util.List;
import java.util.Set;

/**
 * What one principal may do: publish to topics matching its {@code publish} globs, subscribe to topics matching its
 * {@code subscribe} globs, call the endpoint groups it lists ({@code *}: all). Nothing listed is nothing allowed.
 * An {@code admin} also sees and changes what other principals own (subscriptions, replay jobs, their dead letters);
 * anyone else sees only its own.
 */
public final class Acl {

  /** Everything, admin included: the ACL of anonymous requests on a laptop. */
  public static final Acl ALL = new Acl(List.of("*"), List.of("*"), List.of("*"), true);

  private final List<String> subscribe;
  /** What a player of this principal may stream whole (without keying on its own channel). */
  private final List<String> shared;
  private final TopicPatterns.Globs sharedPattern;
  private final TopicPatterns.Globs publishPattern;
  private final TopicPatterns.Globs subscribePattern;
  private final Set<String> endpoints;
  private final boolean admin;

  public Acl(List<String> publish, List<String> subscribe, List<String> endpoints) {
    this(publish, subscribe, endpoints, false);
  }

  public Acl(List<String> publish, List<String> subscribe, List<String> endpoints, boolean admin) {
    this(publish, subscribe, endpoints, admin, List.of());
  }

  public Acl(List<String> publish, List<String> subscribe, List<String> endpoints, boolean admin,
      List<String> shared) {
    this.admin = admin;
    this.shared = List.copyOf(shared);
    this.sharedPattern = shared.isEmpty() ? null : TopicPatterns.compile(shared);
    this.subscribe = List.copyOf(subscribe);
    this.publishPattern = publish.isEmpty() ? null : TopicPatterns.compile(publish);
    this.subscribePattern = subscribe.isEmpty() ? null : TopicPatterns.compile(subscribe);
    this.endpoints = Set.copyOf(endpoints);
  }

  public boolean mayPublish(String topic) {
    return publishPattern != null && TopicPatterns.matches(publishPattern, topic);
  }

  public boolean maySubscribeTo(String topic) {
    return subscribePattern != null && TopicPatterns.matches(subscribePattern, topic);
  }

  /**
   * Whether every topic a client's glob can match is one this principal may subscribe to: the glob is an allowed
   * topic itself, or an allowed glob ending in {@code *} (with no other wildcard) is a prefix of the glob's literal
   * start ({@code game.*} covers {@code game.combat.*} and {@code game.combat.events}, not {@code *.events}).
   */
  public boolean maySubscribe(String glob) {
    int wildcard = firstWildcard(glob);
    if (wildcard < 0) {
      return maySubscribeTo(glob);
    }
    return covers(subscribe, glob);
  }

  /**
   * Whether a player of this principal may stream every event of the topics {@code glob} can match, not only those
   * of its own channel: {@code shared_subscribe} covers the glob as {@link #maySubscribe} does, and so does
   * {@code subscribe}.
   */
  public boolean maySubscribeWhole(String glob) {
    if (!maySubscribe(glob)) {
      return false;
    }
    return firstWildcard(glob) < 0 ? sharedPattern != null && TopicPatterns.matches(sharedPattern, glob)
        : covers(shared, glob);
  }

  private static boolean covers(List<String> globs, String glob) {
    int wildcard = firstWildcard(glob);
    String literal = glob.substring(0, wildcard);
    for (String allowed : globs) {
      int w = firstWildcard(allowed);
      if (allowed.equals(glob) || (w == allowed.length() - 1 && allowed.endsWith("*")
          && literal.startsWith(allowed.substring(0, w)))) {
        return true;
      }
    }
    return false;
  }

  /** Whether this principal may see and change what others own; everyone else sees only its own. */
  public boolean admin() {
    return admin;
  }

  public boolean mayCall(String endpoint) {
    return endpoints.contains("*") || endpoints.contains(endpoint);
  }

  private static int firstWildcard(String glob) {
    int star = glob.indexOf('*');
    int any = glob.indexOf('?');
    return star < 0 ? any : any < 0 ? star : Math.min(star, any);
  }
}
