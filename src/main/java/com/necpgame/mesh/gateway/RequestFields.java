package com.necpgame.mesh.gateway;

import com.necpgame.mesh.envelope.Violation;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads the fields of a JSON request body into a checked copy, reporting every problem with its JSON pointer: unknown
 * fields, missing required ones, wrong types and values out of range. For a PATCH ({@link #patch}) absent fields are
 * left out instead of defaulted.
 */
final class RequestFields {

  private final JsonObject request;
  private final JsonArray problems;
  private final boolean patch;
  private final JsonObject out = new JsonObject();

  private RequestFields(JsonObject request, Set<String> known, JsonArray problems, boolean patch) {
    this.request = request;
    this.problems = problems;
    this.patch = patch;
    request.fieldNames().stream().filter(f -> !known.contains(f)).sorted()
        .forEach(f -> problem(f, "unknown field; expected one of " + known.stream().sorted().toList()));
  }

  /** A create: absent fields take their defaults. */
  static RequestFields of(JsonObject request, Set<String> known, JsonArray problems) {
    return new RequestFields(request, known, problems, false);
  }

  /** A change: only the fields present are read. */
  static RequestFields patch(JsonObject request, Set<String> known, JsonArray problems) {
    return new RequestFields(request, known, problems, true);
  }

  JsonObject result() {
    return out;
  }

  void problem(String field, String message) {
    problems.add(new Violation("/" + field, message).toJson());
  }

  /** Whether the field is to be read: always for a create, when present for a change. */
  boolean wanted(String field) {
    return !patch || request.containsKey(field);
  }

  Object value(String field) {
    return request.getValue(field);
  }

  /** A string matching {@code pattern}; {@code fallback} null makes the field required unless {@code optional}. */
  RequestFields text(String field, String fallback, boolean optional, Pattern pattern, String expected) {
    if (!wanted(field)) {
      return this;
    }
    Object value = request.getValue(field, patch ? null : fallback);
    if (value == null && optional) {
      out.putNull(field);
    } else if (value instanceof String s && pattern.matcher(s).matches()) {
      out.put(field, s);
    } else {
      problem(field, value == null ? "required field is missing" : expected);
    }
    return this;
  }

  RequestFields integer(String field, int fallback, int min, int max) {
    if (wanted(field)) {
      Object value = request.getValue(field, fallback);
      if (value instanceof Integer i && i >= min && i <= max) {
        out.put(field, i);
      } else {
        problem(field, "expected an integer from " + min + " to " + max);
      }
    }
    return this;
  }

  RequestFields flag(String field, boolean fallback) {
    if (wanted(field)) {
      if (request.getValue(field, fallback) instanceof Boolean b) {
        out.put(field, b);
      } else {
        problem(field, "expected true or false");
      }
    }
    return this;
  }

  /** {@code ?limit=&offset=}: a page of a list. */
  record Page(int limit, int offset) {}

  /** The page asked for, or null after answering 400. */
  static Page page(RoutingContext ctx, int defaultLimit, int maxLimit) {
    Long limit = queryNumber(ctx, "limit", defaultLimit, 1, maxLimit);
    Long offset = queryNumber(ctx, "offset", 0, 0, Integer.MAX_VALUE);
    if (limit != null && offset != null) {
      return new Page(limit.intValue(), offset.intValue());
    }
    ApiErrors.send(ctx, 400, "invalid_query", "expected integers 1 <= limit <= " + maxLimit + " and offset >= 0");
    return null;
  }

  /**
   * The query parameter {@code name} as a decimal integer from {@code min} to {@code max}, {@code fallback} when it
   * is absent, or null when it is anything else (a sign, a fraction, too many digits, out of range).
   */
  static Long queryNumber(RoutingContext ctx, String name, long fallback, long min, long max) {
    String text = ctx.queryParams().get(name);
    if (text == null) {
      return fallback;
    }
    long value = text.matches("[0-9]{1,18}") ? Long.parseLong(text) : -1;
    return value >= min && value <= max ? value : null;
  }
}
