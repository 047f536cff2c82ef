package com.necpgame.mesh.gateway;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.security.AuditLog;
import com.necpgame.mesh.security.AuthenticationException;
import com.necpgame.mesh.security.Principal;
import com.necpgame.mesh.security.ReservedTopics;
import com.necpgame.mesh.security.Security;
import com.necpgame.mesh.security.TokenBucket;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;
import io.vertx.ext.web.RoutingContext;

/**
 * Runs before every route: a public path ({@code security.public_paths}) goes through; anything else needs a
 * principal (API key in {@code X-API-Key} or {@code Authorization: Bearer}, a JWT as bearer token, or anonymous
 * where accepted; a WebSocket upgrade may also pass {@code ?access_token=}), whose ACL lists the endpoint group and
 * whose request bucket has a token. 401, 403 and 429 otherwise, in the API's error shape; 401 and 403 are audited.
 */
final class SecurityHandler implements Handler<RoutingContext> {

  static final String PRINCIPAL = "mesh.principal";

  private final Security security;

  SecurityHandler(Security security) {
    this.security = security;
  }

  /** The one {@link Security} of this process, shared by its gateway verticles (limits are per process). */
  static Security shared(Vertx vertx, MeshContext mesh) {
    return vertx.sharedData().<String, Holder>getLocalMap("necp.mesh.security").computeIfAbsent(mesh.config().nodeId(),
        node -> new Holder(new Security(mesh.config().security(), ReservedTopics.of(mesh.config()),
            "event-mesh/" + node, mesh::producer, mesh.metrics()))).security;
  }

  private record Holder(Security security) implements Shareable {}

  @Override
  public void handle(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    if (ctx.get(PRINCIPAL) != null) {
      ctx.next();
      return;
    }
    if (security.isPublic(path)) {
      ctx.put(PRINCIPAL, security.anonymous()); // no credentials asked: what it does is what anonymous may do
      ctx.next();
      return;
    }
    String apiKey = ctx.request().getHeader("X-API-Key");
    String authorization = ctx.request().getHeader("Authorization");
    String bearer = authorization == null ? null : bearer(authorization) == null ? authorization : bearer(authorization);
    if (apiKey == null && bearer == null && path.equals("/ws")) {
      bearer = ctx.request().getParam("access_token");
    }
    String action = ctx.request().method().name() + " " + path;
    security.authenticate(apiKey, bearer).onComplete(done -> {
      if (done.failed()) {
        String why = done.cause() instanceof AuthenticationException a ? a.getMessage() : "authentication failed";
        String claimed = done.cause() instanceof AuthenticationException a ? a.claimed() : null;
        security.audit().record(AuditLog.AUTH_FAILED, claimed, null, action, Security.endpointOf(path), why,
            remote(ctx));
        security.refused("unauthenticated", "request");
        ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"event-mesh\"");
        ApiErrors.send(ctx, 401, "unauthenticated", why);
        return;
      }
      Principal principal = done.result();
      String endpoint = Security.endpointOf(path);
      if (!principal.acl().mayCall(endpoint)) {
        security.audit().record(AuditLog.ACCESS_DENIED, principal.name(), principal.via(), action, endpoint,
            "endpoint group not in the principal's ACL", remote(ctx));
        security.refused("forbidden", "request");
        ApiErrors.send(ctx, 403, "forbidden", "principal " + principal.name() + " may not call " + endpoint
            + " endpoints");
        return;
      }
      long wait = wait(principal.requests(), 1);
      if (wait > 0) {
        security.refused("rate_limited", "request");
        ApiErrors.send(ctx, new Publications.Refusal(429, "rate_limited", "principal " + principal.name()
            + " is over its request rate limit", null, retryAfterSeconds(wait)));
        return;
      }
      ctx.put(PRINCIPAL, principal);
      ctx.next();
    });
  }

  static Principal principal(RoutingContext ctx) {
    return ctx.get(PRINCIPAL);
  }

  /** Nanoseconds until {@code n} tokens are there (0: taken now). */
  static long wait(TokenBucket bucket, int n) {
    return bucket == null ? 0 : bucket.tryTake(n, System.nanoTime());
  }

  /** Whole seconds to tell a client to wait, at least 1. */
  static long retryAfterSeconds(long waitNanos) {
    return Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L);
  }

  static String remote(RoutingContext ctx) {
    var address = ctx.request().remoteAddress();
    return address == null ? null : address.hostAddress();
  }

  private static String bearer(String authorization) {
    if (authorization == null || authorization.length() < 7
        || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String token = authorization.substring(7).trim();
    return token.isEmpty() ? null : token;
  }
}
