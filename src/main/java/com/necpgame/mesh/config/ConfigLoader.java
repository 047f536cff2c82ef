package com.necpgame.mesh.config;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Builds the configuration: {@code conf/default.json} from the jar, then the user's file, then the seed's environment
 * variables ({@link SeedEnvironment}), then the documented {@code MESH_*} environment variables, each overriding the
 * one before; then validates the result once.
 */
public final class ConfigLoader {

  /** The environment variables read, and the key each one sets. */
  public static final Map<String, String> ENVIRONMENT = Map.ofEntries(
      Map.entry("MESH_NODE_ID", "node_id"),
      Map.entry("MESH_DATA_DIR", "data_dir"),
      Map.entry("MESH_LOG_LEVEL", "log.level"),
      Map.entry("MESH_LOG_FORMAT", "log.format"),
      Map.entry("MESH_HTTP_HOST", "http.host"),
      Map.entry("MESH_HTTP_PORT", "http.port"),
      Map.entry("MESH_KAFKA_BOOTSTRAP_SERVERS", "kafka.bootstrap_servers"),
      Map.entry("MESH_KAFKA_CLIENT_ID", "kafka.client_id"),
      Map.entry("MESH_KAFKA_EMBEDDED_HOST", "kafka.embedded.host"),
      Map.entry("MESH_KAFKA_EMBEDDED_PORT", "kafka.embedded.port"),
      Map.entry("MESH_KAFKA_EMBEDDED_SASL_USERNAME", "kafka.embedded.sasl.username"),
      Map.entry("MESH_KAFKA_EMBEDDED_SASL_PASSWORD", "kafka.embedded.sasl.password"),
      Map.entry("MESH_DATABASE_URL", "database.url"),
      Map.entry("MESH_SECRETS_KEY", "security.secrets.key"),
      Map.entry("MESH_DATABASE_POOL_SIZE", "database.pool_size"),
      Map.entry("MESH_DATABASE_EMBEDDED_PORT", "database.embedded.port"),
      Map.entry("MESH_TOPICS_FILE", "topics.file"),
      Map.entry("MESH_SCHEMAS_DIR", "schemas.dir"),
      Map.entry("MESH_LLM_PROVIDER", "llm.provider"),
      Map.entry("MESH_LLM_BASE_URL", "llm.base_url"),
      Map.entry("MESH_LLM_MODEL", "llm.model"),
      Map.entry("MESH_LLM_API_KEY", "llm.api_key"),
      Map.entry("MESH_LLM_PROVIDERS", "llm.providers"),
      Map.entry("MESH_LLM_ANTHROPIC_API_KEY", "llm.anthropic.api_key"));

  /** {@code MESH_VERTICLES=bridge,gateway}: enable exactly these verticles and disable the others. */
  public static final String VERTICLES_ENV = "MESH_VERTICLES";

  private ConfigLoader() {}

  public static MeshConfig load(Optional<Path> file, Map<String, String> env) {
    return MeshConfig.from(tree(file.map(ConfigLoader::readFile), env));
  }

  /** Defaults overridden by a JSON tree given in code (embedding, tests), then by the environment. */
  public static MeshConfig load(JsonObject overrides, Map<String, String> env) {
    return MeshConfig.from(tree(Optional.of(overrides.copy()), env));
  }

  /** The merged JSON tree before typing: defaults, the user's tree, environment. */
  public static JsonObject tree(Optional<JsonObject> user, Map<String, String> env) {
    JsonObject tree = defaults();
    List<String> problems = new ArrayList<>();
    user.ifPresent(u -> merge(tree, u, "", problems));
    overlayEnvironment(tree, env, problems);
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return tree;
  }

  /** {@code conf/default.json}, with the {@code verticles} block the registry of verticles gives. */
  public static JsonObject defaults() {
    try (InputStream in = ConfigLoader.class.getClassLoader().getResourceAsStream("conf/default.json")) {
      if (in == null) {
        throw new IllegalStateException("conf/default.json is missing from the classpath");
      }
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8))
          .put("verticles", com.necpgame.mesh.Verticles.defaults());
    } catch (IOException e) {
      throw new IllegalStateException("cannot read conf/default.json", e);
    }
  }

  private static JsonObject readFile(Path path) {
    String text;
    try {
      text = Files.readString(path);
    } catch (IOException e) {
      throw new ConfigException("config file " + path + ": cannot be read (" + e.getMessage() + ")");
    }
    try {
      return new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      throw new ConfigException("config file " + path + ": expected a JSON object (" + e.getMessage() + ")");
    }
  }

  /** Deep merge; arrays and scalars replace; a key the defaults do not have is a mistake, except in free-form maps. */
  static void merge(JsonObject base, JsonObject override, String path, List<String> problems) {
    for (Map.Entry<String, Object> e : override) {
      String key = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
      if (!base.containsKey(e.getKey()) && !freeForm(path)) {
        problems.add(key + ": unknown key");
      } else if (base.getValue(e.getKey()) instanceof JsonObject b && e.getValue() instanceof JsonObject o
          && !REPLACED.contains(key)) {
        merge(b, o, key, problems);
      } else {
        base.put(e.getKey(), e.getValue());
      }
    }
  }

  /** Maps a user's config gives whole: its entries replace the defaults' rather than adding to them. */
  private static final java.util.Set<String> REPLACED = java.util.Set.of("world.commodities");

  /** Maps keyed by the user's own names (principals, topics); their entries are checked when typed. */
  private static final java.util.Set<String> FREE_FORM = java.util.Set.of("security.principals",
      "security.topic_limits", "security.secrets.keys", "websocket.channel_fields");

  private static boolean freeForm(String path) {
    return path.equals("properties") || path.endsWith(".properties") || FREE_FORM.contains(path);
  }

  private static void overlayEnvironment(JsonObject tree, Map<String, String> env, List<String> problems) {
    SeedEnvironment.overlay(tree, env, problems); // the seed's names first, so a MESH_* variable set wins
    ENVIRONMENT.forEach((name, key) -> {
      String value = env.get(name);
      if (value != null) {
        set(tree, key, typed(value, new ConfigReader(tree).raw(key)));
      }
    });
    String verticles = env.get(VERTICLES_ENV);
    if (verticles != null) {
      List<String> wanted = Arrays.stream(verticles.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
      JsonObject all = tree.getJsonObject("verticles");
      wanted.stream().filter(w -> !all.containsKey(w))
          .forEach(w -> problems.add(VERTICLES_ENV + ": unknown verticle \"" + w + "\"; known: " + all.fieldNames()));
      all.fieldNames().forEach(name -> all.getJsonObject(name).put("enabled", wanted.contains(name)));
    }
  }

  /** An environment value takes the JSON type of the default it replaces; a bad number stays text for validation to name. */
  private static Object typed(String value, Object current) {
    if (current instanceof Number) {
      try {
        return Long.parseLong(value.trim());
      } catch (NumberFormatException e) {
        return value;
      }
    }
    if (current instanceof Boolean && (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false"))) {
      return Boolean.parseBoolean(value);
    }
    return value;
  }

  private static void set(JsonObject tree, String key, Object value) {
    String[] parts = key.split("\\.");
    JsonObject node = tree;
    for (int i = 0; i < parts.length - 1; i++) {
      node = node.getJsonObject(parts[i]);
    }
    node.put(parts[parts.length - 1], value);
  }
}
