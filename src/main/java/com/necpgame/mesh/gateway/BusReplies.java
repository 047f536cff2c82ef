package com.necpgame.mesh.gateway;

import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;

/**
 * How the routes that ask a verticle of this process over the event bus (market, diplomacy, matches) answer: the
 * reply's body as JSON; a failure the verticle replied with a status of {@code codes} as that status and error code;
 * anything else (no verticle there, no answer in time) 503 {@code unavailable}, {@code what} failed.
 */
record BusReplies(Map<Integer, String> codes, String unavailable, String what) {

  /** The error code of failure {@code e}: the one of the status the verticle replied with, or {@code unavailable}. */
  String code(Throwable e) {
    return e instanceof ReplyException r ? codes.getOrDefault(r.failureCode(), unavailable) : unavailable;
  }

  /** Answers the request with the verticle's {@code reply}: {@code status} and its body, or the error it stands for. */
  void answer(RoutingContext ctx, int status, Future<Message<JsonObject>> reply) {
    reply.onSuccess(r -> ctx.response().setStatusCode(status)).onSuccess(r -> ctx.json(r.body())).onFailure(e -> {
      if (e instanceof ReplyException r && codes.containsKey(r.failureCode())) {
        ApiErrors.send(ctx, r.failureCode(), codes.get(r.failureCode()), r.getMessage());
      } else {
        ApiErrors.unavailable(ctx, unavailable, what, e);
      }
    });
  }
}
