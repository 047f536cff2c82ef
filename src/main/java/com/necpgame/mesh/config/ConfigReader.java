package com.necpgame.mesh.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Typed reads of a merged configuration tree by dotted key. Problems are collected rather than thrown, so one start-up
 * reports every bad key at once; {@link #check()} throws them together.
 */
final class ConfigReader {

  private static final Pattern TOPIC_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

  private final JsonObject root;
  private final String prefix;
  private final List<String> problems;

  ConfigReader(JsonObject root) {
    this(root, "", new ArrayList<>());
  }

  private ConfigReader(JsonObject root, String prefix, List<String> problems) {
    this.root = root;
    this.prefix = prefix;
    this.problems = problems;
  }

  /** Readers for the objects of an array, whose problems are named like {@code bridge.outbound[2].topic}. */
  List<ConfigReader> items(String key) {
    List<ConfigReader> out = new ArrayList<>();
    JsonArray array = array(key);
    for (int i = 0; i < array.size(); i++) {
      Object item = array.getValue(i);
      String name = key + "[" + i + "]";
      if (item instanceof JsonObject o) {
        out.add(new ConfigReader(o, prefix + name + ".", problems));
      } else {
        problem(name, "an object", item, null);
      }
    }
    return out;
  }

  /**
   * A reader for the object under {@code name} in the map at {@code key}, whose problems are named like {@code
   * security.topic_limits.game.combat.events.burst}; names may contain dots. Null (after a problem) if not an object.
   */
  ConfigReader entry(String key, String name) {
    Object value = object(key).getValue(name);
    if (value instanceof JsonObject o) {
      return new ConfigReader(o, prefix + key + "." + name + ".", problems);
    }
    problem(key + "." + name, "an object", value, null);
    return null;
  }

  Object raw(String key) {
    if (key.isEmpty()) {
      return root;
    }
    Object node = root;
    for (String part : key.split("\\.")) {
      if (!(node instanceof JsonObject object)) {
        return null;
      }
      node = object.getValue(part);
    }
    return node;
  }

  /** The value at {@code key} if it is a {@code type}; else a problem, and {@code fallback}. */
  private <T> T typed(String key, Class<T> type, String expected, T fallback) {
    Object value = raw(key);
    return type.isInstance(value) ? type.cast(value) : problem(key, expected, value, fallback);
  }

  /** The string at {@code key}; a string that fails {@code valid} is a problem (is returned all the same). */
  private String checked(String key, Predicate<String> valid, String expected) {
    String value = string(key);
    if (raw(key) instanceof String && !valid.test(value)) {
      problem(key, expected, value, null);
    }
    return value;
  }

  String string(String key) {
    return typed(key, String.class, "a string", "");
  }

  String nonBlank(String key) {
    return checked(key, s -> !s.isBlank(), "a non-empty string");
  }

  boolean bool(String key) {
    return typed(key, Boolean.class, "true or false", false);
  }

  long longIn(String key, long min, long max) {
    Object value = raw(key);
    if (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
      long v = n.longValue();
      if (v >= min && v <= max) {
        return v;
      }
    }
    return problem(key, "an integer from " + min + " to " + max, value, min);
  }

  double doubleIn(String key, double min, double max) {
    Object value = raw(key);
    if (value instanceof Number n && n.doubleValue() >= min && n.doubleValue() <= max) {
      return n.doubleValue();
    }
    return problem(key, "a number from " + min + " to " + max, value, min);
  }

  int intIn(String key, int min, int max) {
    return (int) longIn(key, min, max);
  }

  int port(String key, boolean zeroMeansAny) {
    return intIn(key, zeroMeansAny ? 0 : 1, 65535);
  }

  String oneOf(String key, List<String> allowed) {
    return checked(key, allowed::contains, "one of " + allowed);
  }

  /** An optional lower-case enum value: absent gives the fallback, anything else must name a constant. */
  <E extends Enum<E>> E enumOf(String key, Class<E> type, E fallback) {
    if (raw(key) == null) {
      return fallback;
    }
    List<String> names = java.util.Arrays.stream(type.getEnumConstants()).map(c -> c.name().toLowerCase()).toList();
    String value = oneOf(key, names);
    return names.contains(value) ? Enum.valueOf(type, value.toUpperCase()) : fallback;
  }

  String topicName(String key) {
    return checked(key, s -> TOPIC_NAME.matcher(s).matches(), "a Kafka topic name (1-249 of a-z A-Z 0-9 . _ -)");
  }

  /** The string at {@code key}, or {@code fallback} when it is blank (a consumer group derived from the prefix). */
  String stringOr(String key, String fallback) {
    String value = string(key);
    return value.isBlank() ? fallback : value;
  }

  /** The path at {@code key}; empty when the string is blank. */
  Optional<Path> optionalPath(String key) {
    return Optional.of(string(key)).filter(s -> !s.isBlank()).map(Path::of);
  }

  /** A regular expression of topic names. */
  Pattern regex(String key) {
    String regex = nonBlank(key);
    try {
      return Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      problem(key, "expected a regular expression of topic names, got \"" + regex + "\" (" + e.getDescription() + ")");
      return Pattern.compile(".*");
    }
  }

  /** The distinct strings matching {@code valid} in the array at {@code key}; any other item is a problem. */
  List<String> distinct(String key, Pattern valid, String expected) {
    List<String> out = new ArrayList<>();
    JsonArray array = array(key);
    for (int i = 0; i < array.size(); i++) {
      if (array.getValue(i) instanceof String s && valid.matcher(s).matches() && !out.contains(s)) {
        out.add(s);
      } else {
        problem(key + "[" + i + "]", "a distinct " + expected, array.getValue(i), null);
      }
    }
    return List.copyOf(out);
  }

  /** A problem for every key of this object that is not {@code allowed}. */
  void onlyKeys(Set<String> allowed) {
    root.fieldNames().stream().filter(k -> !allowed.contains(k)).sorted()
        .forEach(k -> problem(k, "unknown key; expected one of " + allowed.stream().sorted().toList()));
  }

  JsonObject object(String key) {
    return typed(key, JsonObject.class, "an object", new JsonObject());
  }

  JsonArray array(String key) {
    return typed(key, JsonArray.class, "an array", new JsonArray());
  }

  /**
   * A flat map of string-valued client properties (numbers and booleans are turned into their text), printed with
   * its secrets masked ({@link Secrets#masking}).
   */
  Map<String, String> properties(String key) {
    Map<String, String> out = new LinkedHashMap<>();
    object(key).forEach(e -> {
      Object v = e.getValue();
      if (v instanceof String || v instanceof Number || v instanceof Boolean) {
        out.put(e.getKey(), String.valueOf(v));
      } else {
        problem(key + "." + e.getKey(), "a string, number or boolean", v, null);
      }
    });
    return Secrets.masking(out);
  }

  void problem(String key, String message) {
    problems.add(prefix + key + ": " + message);
  }

  <T> T problem(String key, String expected, Object got, T fallback) {
    String shown = got == null ? "nothing" : got instanceof String ? "\"" + got + "\"" : String.valueOf(got);
    problems.add(prefix + key + ": expected " + expected + ", got " + shown);
    return fallback;
  }

  void check() {
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
  }
}
