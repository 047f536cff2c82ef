package com.necpgame.mesh.security;

import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.config.SecurityConfig;
import com.necpgame.mesh.config.SecurityConfig.PrincipalSpec;
import java.util.HashMap;
import java.util.Map;

/**
 * Whether a subscription's owner still has, under this process's configuration, the rights the gateway checked when
 * the subscription was created or changed: its {@code topic_pattern} covered by the owner's {@code subscribe} globs
 * ({@link Acl#maySubscribe}) and, for a {@code kafka} subscription, its endpoint in the owner's {@code publish} globs
 * and not {@link ReservedTopics reserved}. The ACLs are built as {@link Security} builds them (anonymous included);
 * admins keep everything, and a subscription without owner (older than owners) is not checked. Delivery asks this
 * each time it re-reads the subscriptions, so rights an operator shrank (or a principal removed) from the config stop
 * a subscription after the restart that applies them.
 */
public final class StandingRights {

  private final Map<String, Acl> acls = new HashMap<>();
  private final ReservedTopics reserved;

  public StandingRights(SecurityConfig config, ReservedTopics reserved) {
    this.reserved = reserved;
    acls.put(SecurityConfig.ANONYMOUS, Security.anonymousAcl(config));
    for (PrincipalSpec spec : config.principals().values()) {
      acls.put(spec.name(), Security.acl(spec));
    }
  }

  public static StandingRights of(MeshConfig config) {
    return new StandingRights(config.security(), ReservedTopics.of(config));
  }

  /**
   * Null while {@code owner} may still have a subscription to {@code pattern} delivered by {@code method} to {@code
   * endpoint}; else why not, as a subscription's {@code paused_reason}.
   */
  public String revoked(String owner, String pattern, String method, String endpoint) {
    if (owner == null) {
      return null;
    }
    Acl acl = acls.get(owner);
    if (acl == null) {
      return "owner " + owner + " is no longer a configured principal";
    }
    if (acl.admin()) {
      return null;
    }
    if (pattern == null || !acl.maySubscribe(pattern)) {
      return "owner " + owner + " may no longer subscribe to " + pattern + " (security.principals." + owner
          + ".subscribe)";
    }
    if ("kafka".equals(method) && endpoint != null) {
      if (reserved.reserved(endpoint)) {
        return "kafka endpoint " + endpoint + " is reserved to the mesh (security.reserved_topics)";
      }
      if (!acl.mayPublish(endpoint)) {
        return "owner " + owner + " may no longer publish to " + endpoint + " (security.principals." + owner
            + ".publish)";
      }
    }
    return null;
  }
}
