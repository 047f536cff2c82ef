package com.necpgame.mesh.gateway;

import com.necpgame.mesh.Logging;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The ids that follow a request: {@code X-Request-Id} (the caller's, or a new one) is answered back and put on every
 * Kafka record the request publishes as the {@code request_id} header; {@code X-Correlation-Id} becomes the
 * {@code correlation_id} of events that do not name their own (so also their {@code correlation_id} header). Both
 * are in the log MDC while the request's handlers run (their synchronous part: the MDC is per thread, and an event
 * loop serves many requests) and when it is logged as done (DEBUG).
 */
final class RequestIds {

  static final String REQUEST_HEADER = "X-Request-Id";
  static final String CORRELATION_HEADER = "X-Correlation-Id";
  /** What an id from a header may be: printable, no spaces, as long as the envelope's correlation_id allows. */
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:/+=@-]{1,128}");
  private static final String KEY = RequestIds.class.getName();
  private static final Logger LOG = LoggerFactory.getLogger(RequestIds.class);

  /** The ids of one request; either may be absent (null). */
  record Ids(String requestId, String correlationId) {
    static final Ids NONE = new Ids(null, null);
  }

  private RequestIds() {}

  /** The first handler of every route: reads or makes the ids, answers the request id, logs the request when done. */
  static void handle(RoutingContext ctx) {
    String request = valid(ctx.request().getHeader(REQUEST_HEADER));
    Ids ids = new Ids(request != null ? request : UUID.randomUUID().toString(),
        valid(ctx.request().getHeader(CORRELATION_HEADER)));
    ctx.put(KEY, ids);
    ctx.response().putHeader(REQUEST_HEADER, ids.requestId());
    if (ids.correlationId() != null) {
      ctx.response().putHeader(CORRELATION_HEADER, ids.correlationId());
    }
    long started = System.nanoTime();
    if (LOG.isDebugEnabled()) {
      ctx.addEndHandler(done -> inMdc(ids, () -> LOG.debug("{} {} -> {} in {} ms", ctx.request().method(),
          ctx.request().path(), ctx.response().getStatusCode(), (System.nanoTime() - started) / 1_000_000)));
    }
    inMdc(ids, ctx::next);
  }

  /** After a handler that went asynchronous (the body handler): the ids in the MDC again for the next ones. */
  static void again(RoutingContext ctx) {
    inMdc(of(ctx), ctx::next);
  }

  /** The ids of the request {@code ctx} belongs to ({@link Ids#NONE} before {@link #handle} ran). */
  static Ids of(RoutingContext ctx) {
    Ids ids = ctx.get(KEY);
    return ids == null ? Ids.NONE : ids;
  }

  /** Runs {@code work} with the ids in the log MDC, and takes them out again. */
  static void inMdc(Ids ids, Runnable work) {
    put(Logging.REQUEST_ID, ids.requestId());
    put(Logging.CORRELATION_ID, ids.correlationId());
    try {
      work.run();
    } finally {
      MDC.remove(Logging.REQUEST_ID);
      MDC.remove(Logging.CORRELATION_ID);
    }
  }

  private static void put(String key, String value) {
    if (value != null) {
      MDC.put(key, value);
    }
  }

  private static String valid(String header) {
    return header != null && ID.matcher(header).matches() ? header : null;
  }
}
