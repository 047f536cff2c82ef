package com.necpgame.mesh.gateway;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one error body of the API, {@code {"error": {"code", "message", "details"}}}, and the router's last resort. */
public final class ApiErrors {

  private static final Logger LOG = LoggerFactory.getLogger(ApiErrors.class);

  private ApiErrors() {}

  public static void send(RoutingContext ctx, int status, String code, String message, JsonArray details) {
    if (ctx.response().ended()) {
      return;
    }
    if ((status == 503 || status == 429) && ctx.response().headers().get("Retry-After") == null) {
      ctx.response().putHeader("Retry-After", "1");
    }
    ctx.response().setStatusCode(status).putHeader("content-type", "application/json")
        .end(new JsonObject().put("error", new JsonObject().put("code", code).put("message", message)
            .put("details", details == null ? new JsonArray() : details)).encode());
  }

  public static void send(RoutingContext ctx, int status, String code, String message) {
    send(ctx, status, code, message, null);
  }

  /** The answer of a {@link Publications.Refusal}, with the {@code Retry-After} it names, if any. */
  static void send(RoutingContext ctx, Publications.Refusal refusal) {
    if (refusal.retryAfterSeconds > 0) {
      ctx.response().putHeader("Retry-After", String.valueOf(refusal.retryAfterSeconds));
    }
    send(ctx, refusal.status, refusal.code, refusal.getMessage(), refusal.details);
  }

  /**
   * 503: {@code what} could not be done because something the mesh depends on (PostgreSQL, Kafka) failed. The cause is
   * logged with the request id, never answered: its text names hosts, ports, databases, tables and SQL, which are the
   * operator's business, not the caller's. The answer says where to look: the log, under the request id (also in the
   * {@code X-Request-Id} response header).
   */
  public static void unavailable(RoutingContext ctx, String code, String what, Throwable cause) {
    String requestId = RequestIds.of(ctx).requestId();
    LOG.warn("{} {} (request id {}): {}: {}", ctx.request().method(), path(ctx), requestId, what, String.valueOf(cause));
    send(ctx, 503, code, unavailableMessage(what, requestId));
  }

  /** The answer of {@link #unavailable}: what failed and the request id to find the cause in the log by. */
  static String unavailableMessage(String what, String requestId) {
    return what + "; the cause is in the mesh's log" + (requestId == null ? "" : " under request id " + requestId);
  }

  /** The router's error handler: Vert.x Web's own statuses (no route, wrong method or type, body limit) and crashes. */
  public static void onFailure(RoutingContext ctx) {
    String what = ctx.request().method() + " " + path(ctx);
    switch (ctx.statusCode()) {
      case 404 -> send(ctx, 404, "not_found", "no route for " + what);
      case 405 -> send(ctx, 405, "method_not_allowed", "method not allowed for " + what);
      case 413 -> send(ctx, 413, "payload_too_large", "the request body is larger than http.max_body_bytes");
      case 415 -> send(ctx, 415, "unsupported_media_type", "send the body as Content-Type: application/json");
      case 400 -> send(ctx, 400, "bad_request", ctx.failure() == null ? "bad request for " + what
          : "bad request for " + what + ": " + ctx.failure().getMessage());
      default -> {
        LOG.error("{} failed (status {})", what, ctx.statusCode(), ctx.failure());
        send(ctx, 500, "internal_error", "the mesh failed to handle this request; see its log");
      }
    }
  }

  /**
   * The request's path for a message, at most 200 characters: normalised where it can be, else as sent (a path with a
   * bad percent-encoding such as {@code /topics/%zz} cannot be normalised, and asking threw in the error handler).
   */
  static String path(RoutingContext ctx) {
    String path;
    try {
      path = ctx.normalizedPath();
    } catch (IllegalArgumentException e) {
      path = ctx.request().path();
    }
    path = String.valueOf(path);
    return path.length() <= 200 ? path : path.substring(0, 200) + "...";
  }
}
