package com.necpgame.mesh;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.Appender;
import java.util.Iterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies {@code log.level} and {@code log.format} to logback: {@code text} keeps the pattern of {@code logback.xml},
 * {@code json} writes one JSON object per line (timestamp, level, thread, logger, message, MDC — where the gateway
 * puts {@code request_id} and {@code correlation_id} — and the stack trace) for a log collector.
 */
public final class Logging {

  /** MDC keys: the id of the HTTP request an entry belongs to, and the correlation id of the events it sent. */
  public static final String REQUEST_ID = "request_id";
  public static final String CORRELATION_ID = "correlation_id";

  private Logging() {}

  public static void configure(String level, String format) {
    ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.toLevel(level));
    if (!"json".equals(format)) {
      return;
    }
    LoggerContext context = root.getLoggerContext();
    JsonEncoder encoder = new JsonEncoder();
    encoder.setContext(context);
    encoder.setWithSequenceNumber(false);
    encoder.setWithNanoseconds(false);
    encoder.setWithContext(false);
    encoder.setWithArguments(false);
    encoder.setWithMessage(false);
    encoder.setWithFormattedMessage(true);
    encoder.start();
    ConsoleAppender<ILoggingEvent> json = new ConsoleAppender<>();
    json.setContext(context);
    json.setName("JSON");
    json.setEncoder(encoder);
    json.start();
    for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
      Appender<ILoggingEvent> old = it.next();
      root.detachAppender(old);
      old.stop();
    }
    root.addAppender(json);
  }
}
