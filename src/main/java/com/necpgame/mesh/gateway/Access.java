package com.necpgame.mesh.gateway;

import com.necpgame.mesh.gateway.Publications.Refusal;
import com.necpgame.mesh.security.AuditLog;
import com.necpgame.mesh.security.Principal;
import com.necpgame.mesh.security.Security;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * A principal's rights on the paths behind its endpoint groups, in one place for every route:
 * <ul>
 *   <li>a path that writes a topic (publish, a kafka subscription's endpoint, a replay target, a dead-letter redrive,
 *   topic creation) needs the topic in the principal's {@code publish} globs and not reserved to the mesh
 *   ({@link com.necpgame.mesh.security.ReservedTopics}, refused even to {@code publish: ["*"]});</li>
 *   <li>a path that reads a topic or a glob of topics (a subscription's pattern, a replay source, dead letters, an
 *   event's status, a topic's description) needs it covered by the principal's {@code subscribe} globs;</li>
 *   <li>what a principal owns (subscriptions, replay jobs, their deliveries and dead letters) is seen and touched by
 *   that principal and by admins only; to anyone else it does not exist (404, the body of a missing id).</li>
 * </ul>
 * A refusal is 403 {@code forbidden}, audited as {@code system.access.denied}; an action that succeeded is audited as
 * {@code system.action.performed}.
 */
final class Access {

  private Access() {}

  /** Null when {@code principal} may write {@code topic}, else the 403 it gets (audited as {@code action}). */
  static Refusal write(Security security, Principal principal, String topic, String action, String remote) {
    String why = security.reserved().reserved(topic) ? "topic reserved to the mesh"
        : principal.acl().mayPublish(topic) ? null : "topic not in the principal's publish ACL";
    if (why == null) {
      return null;
    }
    security.audit().record(AuditLog.ACCESS_DENIED, principal.name(), principal.via(), action, topic, why, remote);
    security.refused("forbidden", "publish");
    return new Refusal(403, "forbidden", security.reserved().reserved(topic)
        ? "topic " + topic + " is reserved to the mesh: no client may write it"
        : "principal " + principal.name() + " may not publish to " + topic, null);
  }

  /** Null when {@code principal} may read every topic {@code glob} matches, else the 403 it gets (audited). */
  static Refusal read(Security security, Principal principal, String glob, String action, String remote) {
    if (principal.acl().maySubscribe(glob)) {
      return null;
    }
    security.audit().record(AuditLog.ACCESS_DENIED, principal.name(), principal.via(), action, glob,
        "topic pattern not in the principal's subscribe ACL", remote);
    security.refused("forbidden", "subscribe");
    return new Refusal(403, "forbidden", "principal " + principal.name() + " may not subscribe to " + glob, null);
  }

  /** The same for a request: null, or the refusal already answered. */
  static Refusal write(RoutingContext ctx, Security security, String topic, String action) {
    return answered(ctx, write(security, SecurityHandler.principal(ctx), topic, action, SecurityHandler.remote(ctx)));
  }

  static Refusal read(RoutingContext ctx, Security security, String glob, String action) {
    return answered(ctx, read(security, SecurityHandler.principal(ctx), glob, action, SecurityHandler.remote(ctx)));
  }

  private static Refusal answered(RoutingContext ctx, Refusal refusal) {
    if (refusal != null) {
      ApiErrors.send(ctx, refusal);
    }
    return refusal;
  }

  /** Whether {@code principal} sees something {@code owner} owns (null: owned by nobody, seen by admins only). */
  static boolean sees(Principal principal, String owner) {
    return principal.acl().admin() || principal.name().equals(owner);
  }

  /** Whose things a listing by {@code principal} shows: its own, or everyone's (null) for an admin. */
  static String scope(Principal principal) {
    return principal.acl().admin() ? null : principal.name();
  }

  /** Audits a privileged action the request did ({@code system.action.performed}). */
  static void performed(RoutingContext ctx, Security security, String action, String resource, JsonObject details) {
    Principal principal = SecurityHandler.principal(ctx);
    security.audit().performed(principal.name(), principal.via(), action, resource, details,
        SecurityHandler.remote(ctx));
  }
}
