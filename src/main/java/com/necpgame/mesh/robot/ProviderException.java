package com.necpgame.mesh.robot;

/**
 * A provider's refusal, by reason (the {@code reason} label of {@code event_bus_robot_errors_total}): {@code
 * rate_limited} (429; {@link #retryAfterMs} from its {@code retry-after}, 0 when none), {@code overloaded} (529 or
 * 503), {@code server_error} (other 5xx), {@code auth} (401, 403), {@code bad_request} (other 4xx), {@code
 * bad_answer} (an answer without usable text), {@code timeout}, {@code unreachable} (no connection), {@code
 * breaker_open}.
 */
public final class ProviderException extends RuntimeException {

  private final String reason;
  private final long retryAfterMs;

  public ProviderException(String reason, String message, long retryAfterMs) {
    super(message, null, false, false);
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
  }

  public ProviderException(String reason, String message) {
    this(reason, message, 0);
  }

  public String reason() {
    return reason;
  }

  public long retryAfterMs() {
    return retryAfterMs;
  }

  /** Worth another try now: an overload, a server error or a timeout (not a rate limit, a refusal or a bad key). */
  public boolean retriable() {
    return reason.equals("overloaded") || reason.equals("server_error") || reason.equals("timeout");
  }

  /** The reason of any failure: a refusal's own, a timeout's, an open breaker's, else {@code error}. */
  public static String reasonOf(Throwable e) {
    if (e instanceof ProviderException p) {
      return p.reason();
    }
    if (e instanceof java.util.concurrent.TimeoutException || e instanceof io.vertx.core.http.HttpClosedException
        || String.valueOf(e.getMessage()).contains("timeout")) {
      return "timeout";
    }
    if (e instanceof io.vertx.circuitbreaker.OpenCircuitException) {
      return "breaker_open";
    }
    return "error";
  }
}
