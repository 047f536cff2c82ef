package com.necpgame.mesh.envelope;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checks an event: the envelope rules of {@code schemas/core/envelope.json} (in code, because this is the publish hot
 * path; a test proves the code and the schema file agree), then, where a schema named {@code <event_type>.json} exists
 * under {@code schemas/}, its {@code data} against that schema. Reports every failure with its JSON pointer; never throws
 * on bad input.
 */
public final class EnvelopeValidator {

  private static final Pattern UUID_TEXT =
      Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final Pattern EVENT_TYPE = Pattern.compile("[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+");
  private static final Pattern RFC3339 =
      Pattern.compile("\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?([Zz]|[+-]\\d{2}:\\d{2})");
  private static final Pattern SEMVER = Pattern.compile("\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.-]+)?");
  private static final Pattern TTL = Pattern.compile("[1-9][0-9]{0,8}[smhd]");
  private static final Pattern CONTROL = Pattern.compile("\\p{Cntrl}");
  private static final Set<String> FIELDS = Set.of("event_id", "event_type", "timestamp", "version", "source",
      "correlation_id", "session_id", "player_id", "data", "metadata");
  private static final Set<String> METADATA_FIELDS = Set.of("priority", "ttl", "retry_count", "is_replayable");
  private static final Set<String> PRIORITIES = Set.of("low", "normal", "high", "critical");
  private static final String BASE_URI = "https://schemas.necpgame.com/";
  private static final Pattern REQUIRED = Pattern.compile("required property \"([^\"]*)\"");

  private final Map<String, Validator> dataSchemas;

  private EnvelopeValidator(Map<String, Validator> dataSchemas) {
    this.dataSchemas = dataSchemas;
  }

  /** The built-in schemas from the classpath, then those of {@code extraDir} (which win on the same event type). */
  public static EnvelopeValidator load(Optional<Path> extraDir) {
    Map<String, JsonObject> schemas = new TreeMap<>();
    try {
      for (URL root : Collections.list(EnvelopeValidator.class.getClassLoader().getResources("schemas"))) {
        readTree(root.toURI(), schemas);
      }
      if (extraDir.isPresent()) {
        readDir(extraDir.get(), schemas);
      }
    } catch (IOException | URISyntaxException e) {
      throw new IllegalStateException("cannot read event schemas: " + e.getMessage(), e);
    }
    Map<String, Validator> validators = new LinkedHashMap<>();
    schemas.forEach((type, schema) -> validators.put(type, Validator.create(JsonSchema.of(schema),
        new JsonSchemaOptions().setDraft(Draft.DRAFT7).setBaseUri(BASE_URI).setOutputFormat(OutputFormat.Basic))));
    return new EnvelopeValidator(validators);
  }

  private static void readTree(URI root, Map<String, JsonObject> into) throws IOException {
    if (!"jar".equals(root.getScheme())) {
      readDir(Path.of(root), into);
      return;
    }
    try (FileSystem fs = FileSystems.newFileSystem(root, Map.of())) {
      readDir(fs.provider().getPath(root), into);
    } catch (FileSystemAlreadyExistsException e) {
      readDir(Path.of(root), into); // the jar is open already, and its opener closes it
    }
  }

  private static void readDir(Path dir, Map<String, JsonObject> into) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IOException("schema directory " + dir + " does not exist");
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".json")).toList()) {
        if (dir.relativize(file).startsWith("core")) {
          continue;
        }
        String name = file.getFileName().toString();
        String type = name.substring(0, name.length() - ".json".length());
        try {
          into.put(type, new JsonObject(Files.readString(file)));
        } catch (RuntimeException e) {
          throw new IOException("schema " + file + " is not a JSON object: " + e.getMessage(), e);
        }
      }
    }
  }

  public boolean hasSchemaFor(String eventType) {
    return dataSchemas.containsKey(eventType);
  }

  public Set<String> eventTypes() {
    return Collections.unmodifiableSet(dataSchemas.keySet());
  }

  /** Every violation, in field order; empty when the event is valid. */
  public List<Violation> validate(Object event) {
    if (!(event instanceof JsonObject json)) {
      return List.of(new Violation("", "expected a JSON object (the envelope)"));
    }
    List<Violation> out = new ArrayList<>();
    text(json, "event_id", true, out, v -> UUID_TEXT.matcher(v).matches() ? null : "expected a UUID");
    text(json, "event_type", true, out, v -> v.length() <= 100 && EVENT_TYPE.matcher(v).matches() ? null
        : "expected domain.entity.action: lower-case dot-separated words, at most 100 characters");
    text(json, "timestamp", true, out, EnvelopeValidator::rfc3339);
    text(json, "version", true, out, v -> SEMVER.matcher(v).matches() ? null : "expected a version like 1.0.0");
    text(json, "source", true, out, v -> v.isEmpty() || v.length() > 100 ? "expected 1 to 100 characters" : null);
    for (String id : List.of("correlation_id", "session_id", "player_id")) {
      if (json.getValue(id) != null) {
        text(json, id, false, out, EnvelopeValidator::identifier);
      }
    }
    Object data = json.getValue("data");
    if (data == null) {
      out.add(missing("data"));
    } else if (!(data instanceof JsonObject)) {
      out.add(new Violation("/data", "expected an object, got " + typeOf(data)));
    }
    metadata(json.getValue("metadata"), out);
    json.fieldNames().stream().filter(f -> !FIELDS.contains(f)).sorted()
        .forEach(f -> out.add(new Violation(pointer("", f), "unknown field; the envelope has no such field")));
    if (data instanceof JsonObject object && json.getValue("event_type") instanceof String type) {
      Validator schema = dataSchemas.get(type);
      if (schema != null) {
        out.addAll(dataViolations(schema.validate(object)));
      }
    }
    return out;
  }

  private static void metadata(Object value, List<Violation> out) {
    if (value == null) {
      return;
    }
    if (!(value instanceof JsonObject meta)) {
      out.add(new Violation("/metadata", "expected an object, got " + typeOf(value)));
      return;
    }
    Object priority = meta.getValue("priority");
    if (priority != null && !(priority instanceof String p && PRIORITIES.contains(p))) {
      out.add(new Violation("/metadata/priority", "expected one of low, normal, high, critical"));
    }
    Object ttl = meta.getValue("ttl");
    if (ttl != null && !(ttl instanceof String t && TTL.matcher(t).matches())) {
      out.add(new Violation("/metadata/ttl", "expected a duration like 7d, 24h, 30m or 3600s"));
    }
    Object retries = meta.getValue("retry_count");
    if (retries != null && !(retries instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
        && n.doubleValue() >= 0 && !Double.isInfinite(n.doubleValue()))) {
      out.add(new Violation("/metadata/retry_count", "expected an integer of 0 or more"));
    }
    Object replayable = meta.getValue("is_replayable");
    if (replayable != null && !(replayable instanceof Boolean)) {
      out.add(new Violation("/metadata/is_replayable", "expected true or false"));
    }
    meta.fieldNames().stream().filter(f -> !METADATA_FIELDS.contains(f)).sorted()
        .forEach(f -> out.add(new Violation(pointer("/metadata", f), "unknown field; metadata has no such field")));
  }

  /** {@code rule} answers what is wrong with the field's text, or null. */
  private static void text(JsonObject json, String field, boolean required, List<Violation> out,
      UnaryOperator<String> rule) {
    Object value = json.getValue(field);
    if (value == null) {
      if (required) {
        out.add(missing(field));
      }
      return;
    }
    if (!(value instanceof String s)) {
      out.add(new Violation("/" + field, "expected a string, got " + typeOf(value)));
      return;
    }
    String problem = rule.apply(s);
    if (problem != null) {
      out.add(new Violation("/" + field, problem));
    }
  }

  private static String rfc3339(String value) {
    if (!RFC3339.matcher(value).matches()) {
      return "expected an RFC 3339 date-time like 2024-01-10T10:30:00Z";
    }
    try {
      OffsetDateTime.parse(value.toUpperCase(Locale.ROOT));
      return null;
    } catch (DateTimeParseException e) {
      return "expected an RFC 3339 date-time: no such date or time";
    }
  }

  private static String identifier(String value) {
    if (value.isEmpty() || value.length() > 128) {
      return "expected 1 to 128 characters";
    }
    return CONTROL.matcher(value).find() ? "control characters are not allowed" : null;
  }

  private static Violation missing(String field) {
    return new Violation("/" + field, "required field is missing");
  }

  /**
   * The library reports a failing property at several levels ("does not match schema" for each parent, and an
   * additionalProperties echo for declared properties that failed). Keep the leaves, with pointers into the event.
   */
  static List<Violation> dataViolations(OutputUnit result) {
    if (Boolean.TRUE.equals(result.getValid()) || result.getErrors() == null) {
      return List.of();
    }
    List<OutputUnit> errors = result.getErrors().stream()
        .filter(e -> !keyword(e).endsWith("/properties") && !keyword(e).endsWith("/items")) // umbrellas
        .toList();
    Set<Violation> out = new LinkedHashSet<>();
    for (OutputUnit e : errors) {
      String at = location(e);
      boolean additional = keyword(e).endsWith("/additionalProperties");
      if (additional && errors.stream().anyMatch(o -> !keyword(o).endsWith("/additionalProperties")
          && (location(o).equals(at) || location(o).startsWith(at + "/")))) {
        continue; // a declared property that failed its own schema, echoed by additionalProperties
      }
      var required = REQUIRED.matcher(String.valueOf(e.getError()));
      if (keyword(e).endsWith("/required") && required.find()) {
        out.add(new Violation("/data" + pointer(at, required.group(1)), "required field is missing"));
      } else {
        out.add(new Violation("/data" + at, additional ? "unknown field; the schema allows no such field" : e.getError()));
      }
    }
    return List.copyOf(out);
  }

  private static String keyword(OutputUnit e) {
    return e.getKeywordLocation() == null ? "" : e.getKeywordLocation();
  }

  private static String location(OutputUnit e) {
    String at = e.getInstanceLocation() == null ? "" : e.getInstanceLocation();
    return at.startsWith("#") ? at.substring(1) : at;
  }

  private static String pointer(String parent, String field) {
    return parent + "/" + field.replace("~", "~0").replace("/", "~1");
  }

  private static String typeOf(Object value) {
    if (value instanceof String) {
      return "a string";
    }
    if (value instanceof Number) {
      return "a number";
    }
    if (value instanceof Boolean) {
      return "a boolean";
    }
    if (value instanceof JsonArray) {
      return "an array";
    }
    return value instanceof JsonObject ? "an object" : "null";
  }
}
