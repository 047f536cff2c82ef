package com.necpgame.mesh.robot;

import com.necpgame.mesh.config.MatchConfig;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A remote chat model over HTTP, streaming off: the persona as the system prompt, the round (prompt, earlier answers,
 * or the answers to vote on) as the user message. Each call has a timeout; an overload, a server error or a timeout is
 * tried again up to {@code llm.max_retries} times after a backoff (100 ms doubling, or the answer's {@code
 * retry-after}) when that fits in {@code llm.timeout_ms}; a circuit breaker stops calling after repeated failures. A
 * {@code retry-after} is honoured: no call goes out before it has passed (the chain's next provider answers meanwhile).
 * The subclasses say the API's request, headers and answer; errors of the {@code {"error":{"type","message"}}} shape
 * both APIs use are read here. The API key goes only into a request header, never into a log line.
 */
public abstract class RemoteProvider implements TextProvider, AutoCloseable {

  /** The longest answer asked for, in tokens: a robot types one to three short sentences. */
  static final int MAX_TOKENS = 120;

  private static final Logger LOG = LoggerFactory.getLogger(RemoteProvider.class);

  protected final MatchConfig.Remote remote;
  private final MatchConfig.Llm llm;
  private final Vertx vertx;
  private final HttpClient http;
  private final CircuitBreaker breaker;
  private final LongSupplier clock;
  /** Epoch ms before which no call goes out: the last {@code retry-after}. */
  private volatile long notBefore;

  protected RemoteProvider(Vertx vertx, MatchConfig.Remote remote, MatchConfig.Llm llm, LongSupplier clock) {
    this.vertx = vertx;
    this.remote = remote;
    this.llm = llm;
    this.clock = clock;
    this.http = vertx.createHttpClient(new HttpClientOptions().setSsl("https".equals(remote.baseUrl().getScheme())));
    this.breaker = CircuitBreaker.create("llm " + remote.name(), vertx, new CircuitBreakerOptions()
        .setMaxFailures(llm.breakerMaxFailures()).setResetTimeout(llm.breakerResetMs()).setTimeout(-1)
        .setMaxRetries(0));
    breaker.openHandler(v -> LOG.warn("LLM breaker for {} ({}) opened: robots use the next provider for {} ms",
        remote.name(), remote.baseUrl().getHost(), llm.breakerResetMs()))
        .closeHandler(v -> LOG.info("LLM breaker for {} closed", remote.name()));
  }

  /** The path of the answering call under the base URL, e.g. {@code /chat/completions}. */
  protected abstract String path();

  /** The request body for a task. */
  protected abstract JsonObject body(Task task);

  /** The API's authentication and version headers. */
  protected abstract void headers(RequestOptions request);

  /** The text and token counts of a 2xx answer; a {@link ProviderException} {@code bad_answer} when it has none. */
  protected abstract Reply reply(JsonObject answer);

  @Override
  public String name() {
    return remote.name();
  }

  public CircuitBreakerState state() {
    return breaker.state();
  }

  @Override
  public Future<Reply> answer(Task task) {
    return attempt(body(task).toBuffer(), 0);
  }

  private Future<Reply> attempt(Buffer payload, int tries) {
    long wait = notBefore - clock.getAsLong();
    if (wait > 0) {
      return Future.failedFuture(new ProviderException("rate_limited", remote.name() + " asked to wait " + wait
          + " ms more (retry-after)", wait));
    }
    Future<Reply> call = breaker.execute(promise -> send(HttpMethod.POST, path(), payload).map(this::replyOf)
        .onComplete(promise));
    return call.recover(e -> {
      ProviderException p = refusal(e);
      if (p.retryAfterMs() > 0) {
        notBefore = Math.max(notBefore, clock.getAsLong() + p.retryAfterMs());
      }
      long backoff = p.retryAfterMs() > 0 ? p.retryAfterMs() : 100L << tries;
      if (tries < llm.maxRetries() && p.retriable() && backoff <= llm.timeoutMs()) {
        return vertx.timer(backoff).compose(v -> attempt(payload, tries + 1));
      }
      return Future.failedFuture(p);
    });
  }

  /** {@code GET <base_url>/models} (both APIs list their models there): no tokens spent, the key and endpoint tried. */
  @Override
  public Future<Void> probe() {
    long wait = notBefore - clock.getAsLong();
    if (wait > 0) {
      return Future.failedFuture(new ProviderException("rate_limited", remote.name() + " asked to wait " + wait
          + " ms more (retry-after)", wait));
    }
    return send(HttpMethod.GET, "/models", null).<Void>map(r -> {
      if (r.status / 100 != 2) {
        throw error(r);
      }
      return null;
    }).recover(e -> Future.failedFuture(refusal(e)));
  }

  private record Result(int status, String retryAfter, Buffer body) {}

  private Future<Result> send(HttpMethod method, String path, Buffer payload) {
    int port = remote.baseUrl().getPort() > 0 ? remote.baseUrl().getPort()
        : "https".equals(remote.baseUrl().getScheme()) ? 443 : 80;
    RequestOptions request = new RequestOptions().setMethod(method).setHost(remote.baseUrl().getHost()).setPort(port)
        .setURI(remote.baseUrl().getPath().replaceAll("/$", "") + path).setIdleTimeout(llm.timeoutMs())
        .putHeader("accept", "application/json");
    if (payload != null) {
      request.putHeader("content-type", "application/json");
    }
    headers(request);
    return http.request(request).compose(req -> payload == null ? req.send() : req.send(payload))
        .compose(resp -> resp.body().map(b -> new Result(resp.statusCode(), resp.getHeader("retry-after"), b)))
        .timeout(llm.timeoutMs(), TimeUnit.MILLISECONDS);
  }

  private Reply replyOf(Result r) {
    if (r.status / 100 != 2) {
      throw error(r);
    }
    try {
      return reply(new JsonObject(r.body));
    } catch (DecodeException | ClassCastException | NullPointerException | IndexOutOfBoundsException e) {
      throw new ProviderException("bad_answer", remote.name() + " answered " + r.status + " with an unreadable "
          + "body: " + e.getMessage());
    }
  }

  /**
   * The refusal of an error answer, by status (both APIs give one status per error type): 429 rate_limited, 529 and
   * 503 overloaded, other 5xx server_error, 401 and 403 auth, other 4xx bad_request; the API's error type and message
   * go into the refusal's message.
   */
  private ProviderException error(Result r) {
    String type = null;
    String message = "";
    try {
      JsonObject error = new JsonObject(r.body).getJsonObject("error");
      if (error != null) {
        type = error.getString("type");
        // an API may quote the key it was given: it never goes further (logs, health-check events) than here
        message = String.valueOf(error.getValue("message", ""));
        if (!remote.apiKey().isEmpty()) {
          message = message.replace(remote.apiKey(), "***");
        }
      }
    } catch (DecodeException | ClassCastException e) {
      message = "(a body that is not a JSON error)";
    }
    int st = r.status;
    String reason = st == 429 ? "rate_limited" : st == 529 || st == 503 ? "overloaded" : st >= 500 ? "server_error"
        : st == 401 || st == 403 ? "auth" : "bad_request";
    return new ProviderException(reason, remote.name() + " answered " + r.status + (type == null ? "" : " " + type)
        + ": " + message, retryAfterMs(r.retryAfter, clock.getAsLong()));
  }

  /** A {@code retry-after} in seconds (fractions allowed) or as an HTTP date, in ms from now; 0 when none. */
  static long retryAfterMs(String header, long now) {
    if (header == null || header.isBlank()) {
      return 0;
    }
    try {
      return Math.max(0, Math.round(Double.parseDouble(header.trim()) * 1000));
    } catch (NumberFormatException e) {
      try {
        Instant at = ZonedDateTime.parse(header.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        return Math.max(0, at.toEpochMilli() - now);
      } catch (DateTimeParseException bad) {
        return 0;
      }
    }
  }

  private ProviderException refusal(Throwable e) {
    if (e instanceof ProviderException p) {
      return p;
    }
    if (e instanceof OpenCircuitException) {
      return new ProviderException("breaker_open", remote.name() + "'s breaker is open");
    }
    if (e instanceof java.util.concurrent.TimeoutException) {
      return new ProviderException("timeout", remote.name() + " did not answer within " + llm.timeoutMs() + " ms");
    }
    return new ProviderException("unreachable", remote.name() + " unreachable: " + e);
  }

  /** The round as the user's message: earlier answers, then the prompt or the answers to vote on. */
  static String userMessage(Task task) {
    StringBuilder m = new StringBuilder();
    if (!task.history().isEmpty()) {
      m.append("Your earlier answers in this game:\n");
      task.history().forEach(h -> m.append("- ").append(h).append('\n'));
    }
    if (task.kind() == Task.Kind.RESPONSE) {
      m.append("Round ").append(task.round()).append(". Answer this: ").append(task.prompt());
    } else {
      m.append("Round ").append(task.round()).append(". The question was: ").append(task.prompt())
          .append("\nYou are ").append(task.ownIdentity()).append(". The answers were:\n");
      task.responses().forEach((identity, text) -> m.append(identity).append(": ").append(text).append('\n'));
      m.append("Which one is the real human? Reply with the letter only, not your own.");
    }
    return m.toString();
  }

  @Override
  public void close() {
    breaker.close();
    http.close();
  }
}
