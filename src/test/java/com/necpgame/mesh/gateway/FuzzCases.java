package com.necpgame.mesh.gateway;

import com.necpgame.mesh.testsupport.RawHttp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Bad input for every operation of {@code openapi.json}, drawn from one seeded {@link Random} so a run can be repeated:
 * a valid body with fields mutated (wrong types, boundary numbers, unknown fields), random JSON, malformed JSON,
 * invalid UTF-8, deep nesting, nasty path and query values (traversal, bad percent-encoding, CR/LF), wrong methods
 * and content types, and header injection.
 */
final class FuzzCases {

  /** An operation of the API: method and path template such as {@code /topics/{topicName}}. */
  record Operation(String method, String path) {}

  /** A request and what it is, for the report. */
  record Case(int index, String kind, Operation operation, byte[] request) {
    @Override
    public String toString() {
      String text = new String(request, 0, Math.min(request.length, 300), StandardCharsets.ISO_8859_1);
      return "case " + index + " (" + kind + ", " + operation.method() + " " + operation.path() + "): "
          + text.replace("\r", "\\r").replace("\n", "\\n");
    }
  }

  private static final Pattern PARAM = Pattern.compile("\\{([^}]+)}");
  static final List<String> NASTY = List.of("../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2f", "....//",
      "..\\..\\windows", "%00", "a%00b", "%zz", "%", "%e0%80%af", "%ff%fe", "%c0%ae%c0%ae%2f", "a%0d%0aX-Injected:%201",
      "' OR '1'='1", "\"; DROP TABLE events; --", "${jndi:ldap://127.0.0.1/x}", "<script>alert(1)</script>",
      "%F0%9F%92%A5", "null", "-1", "0", "99999999999999999999999", "1e309", "NaN", "game.combat.events",
      "__consumer_offsets", "00000000-0000-0000-0000-000000000000", "a".repeat(300), "x".repeat(5000), "~", ".", "..",
      "%2F", "%20", "+", "a/b", "a;b=c", "a?b", "a#b", "tru\u00e9".replace("\u00e9", "%C3%A9"));
  private static final List<Object> NUMBERS = List.of(0, -1, 1, Integer.MAX_VALUE, Integer.MIN_VALUE, Long.MAX_VALUE,
      Long.MIN_VALUE, 9007199254740993L, 1.5, -0.0, 1e308, -1e308, 4.9e-324, 3.0);
  private static final List<String> STRINGS = List.of("", " ", "\u0000", "\u202e", "\ud83d\udca5", "\ud800",
      "a".repeat(10_000), "../../x", "game.*", ".*", "(a+)+$", "[", "\r\nX-Injected: 1", "2026-02-30T25:61:00Z",
      "1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "-1", "true", "{}", "NaN", "http://127.0.0.1:1/x",
      "file:///etc/passwd", "ftp://x", "game.match.end", "critical", "webhook", "websocket", "kafka", "active",
      "buy", "sell");
  private static final List<String> CONTENT_TYPES = List.of("application/json", "application/json",
      "application/json; charset=utf-8", "application/json; charset=utf-16", "text/plain",
      "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "*/*", "",
      "application/json\u0000");
  private static final List<String> METHODS = List.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS",
      "TRACE", "CONNECT", "FOO", "get");

  private final Random random;
  private final List<Operation> operations;
  private final Map<String, JsonObject> seeds;

  FuzzCases(long seed, List<Operation> operations, Map<String, JsonObject> seeds) {
    this.random = new Random(seed);
    this.operations = operations;
    this.seeds = seeds;
  }

  /** The operations of an OpenAPI document, each method of each path. */
  static List<Operation> operations(JsonObject openapi) {
    List<Operation> out = new ArrayList<>();
    JsonObject paths = openapi.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      for (String method : paths.getJsonObject(path).fieldNames()) {
        out.add(new Operation(method.toUpperCase(), path));
      }
    }
    return out;
  }

  Case next(int index) {
    Operation op = operations.get(random.nextInt(operations.size()));
    JsonObject seed = seeds.get(op.method() + " " + op.path());
    String target = target(op.path(), random.nextInt(4) == 0);
    if (random.nextInt(5) == 0) {
      target += "?" + query();
    }
    String method = random.nextInt(12) == 0 ? pick(METHODS) : op.method();
    String contentType = random.nextInt(8) == 0 ? pick(CONTENT_TYPES) : "application/json";
    List<String> headers = new ArrayList<>();
    String kind;
    byte[] body;
    switch (random.nextInt(seed == null ? 6 : 9)) {
      case 0 -> {
        kind = "random-json";
        body = bytes(String.valueOf(Json.encode(randomValue(3))));
      }
      case 1 -> {
        kind = "malformed-json";
        body = bytes(malformed(seed != null ? seed.encode() : Json.encode(randomValue(3))));
      }
      case 2 -> {
        kind = "invalid-utf8";
        body = invalidUtf8(seed != null ? seed.encode() : "{\"a\":\"b\"}");
      }
      case 3 -> {
        kind = "deep-nesting";
        body = bytes(nested(1 + random.nextInt(5000), random.nextBoolean()));
      }
      case 4 -> {
        kind = "header-injection";
        headers.add(pick(List.of("X-Test: a\r\nX-Injected: 1", "X-Test: a\nSet-Cookie: x=1", "X-Test: a\rb",
            "X-Request-Id: \u0000", "Host: evil",
            "Upgrade: websocket", "X-Long: " + "h".repeat(10_000), "Bad Header: x", ": empty")));
        body = seed != null ? bytes(seed.encode()) : null;
      }
      case 5 -> {
        kind = "empty-or-absent";
        body = random.nextBoolean() ? new byte[0] : null;
      }
      default -> {
        kind = "mutated-body";
        body = bytes(Json.encode(mutate(seed.copy())));
      }
    }
    return new Case(index, kind, op, RawHttp.request(method, target, contentType, headers.toArray(String[]::new),
        body));
  }

  /** The path with each {@code {param}} replaced by a nasty value (raw, or else percent-encoded). */
  String target(String path, boolean raw) {
    Matcher m = PARAM.matcher(path);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String value = random.nextInt(3) == 0 ? "fuzz-" + random.nextInt(1000) : pick(NASTY);
      // raw: as typed, except what would end the request line (a space, CR, LF)
      String text = raw ? value.replace(" ", "%20").replace("\r", "%0D").replace("\n", "%0A")
          : URLEncoder.encode(value, StandardCharsets.UTF_8);
      m.appendReplacement(out, Matcher.quoteReplacement(text));
    }
    m.appendTail(out);
    return out.toString();
  }

  private String query() {
    List<String> names = List.of("limit", "offset", "status", "service_name", "subscription", "owner", "since");
    StringBuilder q = new StringBuilder();
    for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) {
      q.append(i == 0 ? "" : "&").append(pick(names)).append('=').append(random.nextBoolean()
          ? String.valueOf(pick(NUMBERS)) : pick(NASTY).replace(" ", "%20"));
    }
    return q.toString();
  }

  private JsonObject mutate(JsonObject body) {
    for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) {
      List<String> fields = new ArrayList<>(body.fieldNames());
      switch (random.nextInt(fields.isEmpty() ? 1 : 4)) {
        case 0 -> body.put(pick(List.of("unknown", "__proto__", "$where", "a".repeat(1000))), randomValue(2));
        case 1 -> body.remove(pick(fields));
        default -> body.put(pick(fields), randomValue(2));
      }
    }
    return body;
  }

  private Object randomValue(int depth) {
    int kind = random.nextInt(depth <= 0 ? 4 : 6);
    return switch (kind) {
      case 0 -> null;
      case 1 -> random.nextBoolean();
      case 2 -> pick(NUMBERS);
      case 3 -> pick(STRINGS);
      case 4 -> {
        JsonArray a = new JsonArray();
        for (int i = 0, n = random.nextInt(4); i < n; i++) {
          a.add(randomValue(depth - 1));
        }
        yield a;
      }
      default -> {
        JsonObject o = new JsonObject();
        for (int i = 0, n = random.nextInt(4); i < n; i++) {
          o.put(pick(STRINGS), randomValue(depth - 1));
        }
        yield o;
      }
    };
  }

  private String malformed(String json) {
    return switch (random.nextInt(6)) {
      case 0 -> json.substring(0, random.nextInt(json.length() + 1));
      case 1 -> json.replaceFirst("\"", "'");
      case 2 -> json + pick(List.of(",", "}", "]", " garbage", "{}", "\u0000"));
      case 3 -> {
        int at = random.nextInt(json.length() + 1);
        yield json.substring(0, at) + pick(List.of("{", "[", ":", ",", "\"", "\\", "\\u12", "NaN", "1e99999"))
            + json.substring(at);
      }
      case 4 -> json.replace(":", "=");
      default -> "\ufeff" + json;
    };
  }

  private byte[] invalidUtf8(String json) {
    byte[] text = bytes(json);
    byte[][] bad = {{(byte) 0xff}, {(byte) 0xc3, 0x28}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
        {(byte) 0xf8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}, {(byte) 0xc0, (byte) 0xaf}, {(byte) 0xe2, 0x28}};
    byte[] insert = bad[random.nextInt(bad.length)];
    int at = json.indexOf('"') >= 0 && random.nextBoolean() ? json.indexOf('"') + 1 : random.nextInt(text.length + 1);
    byte[] out = new byte[text.length + insert.length];
    System.arraycopy(text, 0, out, 0, at);
    System.arraycopy(insert, 0, out, at, insert.length);
    System.arraycopy(text, at, out, at + insert.length, text.length - at);
    return out;
  }

  /** {@code depth} nested arrays ({@code [[[...]]]}) or objects ({@code {"a":{"a":...}}}). */
  static String nested(int depth, boolean arrays) {
    StringBuilder s = new StringBuilder(depth * 6);
    s.append((arrays ? "[" : "{\"a\":").repeat(depth)).append("1").append((arrays ? "]" : "}").repeat(depth));
    return s.toString();
  }

  private <T> T pick(List<T> list) {
    return list.get(random.nextInt(list.size()));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** JSON text of any value, {@code null} included. */
  private static final class Json {
    static String encode(Object value) {
      return new JsonArray().add(value).encode().replaceAll("^\\[|]$", "");
    }
  }
}
