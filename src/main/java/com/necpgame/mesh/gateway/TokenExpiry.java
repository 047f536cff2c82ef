package com.necpgame.mesh.gateway;

import com.necpgame.mesh.security.Principal;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;

/**
 * A WebSocket lives no longer than the credential it was opened with: when the JWT's {@code exp} passes, the socket
 * is closed with {@value #CODE} (policy violation) and the reason {@value #REASON}; the client reconnects with a fresh
 * token. Sockets opened with an API key or anonymously have no expiry.
 */
final class TokenExpiry {

  static final short CODE = 1008;
  static final String REASON = "token expired";

  private TokenExpiry() {}

  /**
   * Arms the close of {@code ws} at its principal's expiry. Returns the timer, which the socket's close handler
   * cancels ({@link Vertx#cancelTimer}), or -1 when the credential does not expire.
   */
  static long closeWhenExpired(Vertx vertx, ServerWebSocket ws, Principal principal) {
    if (principal == null || principal.expiresAt() <= 0) {
      return -1;
    }
    long delayMs = Math.max(1, principal.expiresAt() * 1000 - System.currentTimeMillis());
    return vertx.setTimer(delayMs, t -> {
      if (!ws.isClosed()) {
        ws.close(CODE, REASON);
      }
    });
  }
}
