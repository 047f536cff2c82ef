package com.necpgame.mesh.envelope;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A filter on envelope fields, as subscriptions and replays take it: a JSON object (or a string holding one) mapping a
 * field or dotted path ({@code event_type}, {@code source}, {@code data.weapon}) to the value it must have, or to an
 * array of values any of which will do. Every condition must hold; {@code {}} matches everything. Numbers compare by
 * value ({@code 1} equals {@code 1.0}); a missing field matches only {@code null}.
 */
public final class EnvelopeFilter {

  public static final EnvelopeFilter ALL = new EnvelopeFilter(Map.of(), new JsonObject());
  private static final Pattern PATH = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]*(\\.[A-Za-z0-9_-]+){0,9}");
  private static final int MAX_CONDITIONS = 50;

  private final Map<String[], List<Object>> conditions;
  private final JsonObject json;

  private EnvelopeFilter(Map<String[], List<Object>> conditions, JsonObject json) {
    this.conditions = conditions;
    this.json = json;
  }

  /**
   * The filter in {@code value} (null or blank: {@link #ALL}), or null with problems added, their pointers under
   * {@code pointer}.
   */
  public static EnvelopeFilter parse(Object value, String pointer, JsonArray problems) {
    if (value == null || value instanceof String s && s.isBlank()) {
      return ALL;
    }
    JsonObject object;
    if (value instanceof JsonObject o) {
      object = o;
    } else if (value instanceof String text) {
      try {
        object = new JsonObject(text);
      } catch (DecodeException | ClassCastException e) {
        problems.add(new Violation(pointer, "expected a JSON object, or a string holding one").toJson());
        return null;
      }
    } else {
      problems.add(new Violation(pointer, "expected a JSON object of field: value conditions").toJson());
      return null;
    }
    int before = problems.size();
    if (object.size() > MAX_CONDITIONS) {
      problems.add(new Violation(pointer, "at most " + MAX_CONDITIONS + " conditions").toJson());
    }
    Map<String[], List<Object>> conditions = new LinkedHashMap<>();
    for (String field : object.fieldNames()) {
      Object wanted = object.getValue(field);
      String at = pointer + "/" + field.replace("~", "~0").replace("/", "~1");
      if (!PATH.matcher(field).matches()) {
        problems.add(new Violation(at, "expected a field name or dotted path such as data.weapon").toJson());
      } else if (wanted instanceof JsonObject) {
        problems.add(new Violation(at, "expected a value or an array of values").toJson());
      } else {
        List<Object> any = new ArrayList<>();
        if (wanted instanceof JsonArray array) {
          array.forEach(any::add);
        } else {
          any.add(wanted);
        }
        conditions.put(field.split("\\."), any);
      }
    }
    return problems.size() > before ? null : new EnvelopeFilter(conditions, object.copy());
  }

  public boolean matches(JsonObject envelope) {
    for (Map.Entry<String[], List<Object>> condition : conditions.entrySet()) {
      Object actual = valueAt(envelope, condition.getKey());
      if (condition.getValue().stream().noneMatch(wanted -> same(wanted, actual))) {
        return false;
      }
    }
    return true;
  }

  /** Whether the filter has no condition (matches every envelope). */
  public boolean isAll() {
    return conditions.isEmpty();
  }

  public JsonObject toJson() {
    return json.copy();
  }

  /** The value at a dotted path split into its parts ({@code data.match_id}), or null where the path leads nowhere. */
  public static Object valueAt(JsonObject envelope, String[] path) {
    Object node = envelope;
    for (String part : path) {
      if (!(node instanceof JsonObject object)) {
        return null;
      }
      node = object.getValue(part);
    }
    return node;
  }

  private static boolean same(Object wanted, Object actual) {
    if (wanted instanceof Number w && actual instanceof Number a) {
      return w.doubleValue() == a.doubleValue();
    }
    return wanted == null ? actual == null : wanted.equals(actual);
  }

  @Override
  public String toString() {
    return json.encode();
  }
}
