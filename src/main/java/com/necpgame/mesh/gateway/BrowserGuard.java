package com.necpgame.mesh.gateway;

import com.necpgame.mesh.config.SecurityConfig;
import com.necpgame.mesh.security.AuditLog;
import com.necpgame.mesh.security.BrowserPolicy;
import com.necpgame.mesh.security.Security;
import io.vertx.core.Handler;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.RoutingContext;

/**
 * Runs before authentication: a WebSocket upgrade from a foreign {@code Origin} is 403 {@code origin_not_allowed}
 * (else any page the user opens could stream the mesh's events); while anonymous requests are accepted on loopback,
 * a request whose {@code Host} is not in {@code security.allowed_hosts} is 403 {@code host_not_allowed} (DNS
 * rebinding), and so is any request from a foreign {@code Origin} (a page posting to the API). Both are audited.
 */
final class BrowserGuard implements Handler<RoutingContext> {

  private final Security security;
  private final BrowserPolicy policy;
  private final boolean anonymousOnLoopback;

  BrowserGuard(Security security) {
    SecurityConfig.Browsers browsers = security.config().browsers();
    this.security = security;
    this.policy = new BrowserPolicy(browsers.allowedOrigins(), browsers.allowedHosts());
    this.anonymousOnLoopback = browsers.checkHost();
  }

  @Override
  public void handle(RoutingContext ctx) {
    String host = host(ctx);
    String origin = ctx.request().getHeader("Origin");
    if (anonymousOnLoopback && !policy.hostAllowed(host)) {
      refuse(ctx, "host_not_allowed", "Host " + host + " is not one of security.allowed_hosts (this gateway "
          + "accepts anonymous requests on loopback, so it answers only the names it is reached by)", "Host " + host);
      return;
    }
    boolean upgrade = "websocket".equalsIgnoreCase(ctx.request().getHeader("Upgrade"));
    if ((upgrade || anonymousOnLoopback) && !policy.originAllowed(origin, host, ctx.request().isSSL())) {
      refuse(ctx, "origin_not_allowed", "Origin " + origin + " is neither this gateway's nor one of "
          + "security.allowed_origins", "Origin " + origin);
      return;
    }
    ctx.next();
  }

  /** The Host header, or the HTTP/2 {@code :authority} (which carries the host there). */
  private static String host(RoutingContext ctx) {
    String header = ctx.request().getHeader("Host");
    HostAndPort authority = header == null ? ctx.request().authority() : null;
    return authority == null ? header : authority.host() + (authority.port() >= 0 ? ":" + authority.port() : "");
  }

  private void refuse(RoutingContext ctx, String code, String message, String resource) {
    security.audit().record(AuditLog.ACCESS_DENIED, null, null, ctx.request().method().name() + " "
        + ctx.normalizedPath(), resource, code, SecurityHandler.remote(ctx));
    security.refused("forbidden", "browser");
    ApiErrors.send(ctx, 403, code, message);
  }
}
