package com.necpgame.mesh.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.config.ConfigException;
import com.necpgame.mesh.config.ConfigLoader;
import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.config.TopicSpec;
import com.necpgame.mesh.kafka.TopicProvisioner;
import com.necpgame.mesh.security.Security;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * {@code k8s/} and the {@code Dockerfile} as a cluster and a Docker build would read them (neither runs here): every
 * manifest parses, has what its kind needs, points at what exists (labels, names, secrets, ports), carries a config the
 * mesh accepts, and declares exactly the topics of {@code conf/topics.json}.
 */
class DeploymentFilesTest {

  private static final Path K8S = Path.of("k8s");
  private static final String PROMETHEUS_PLACEHOLDER = "sha256:SET-TO-THE-SHA256-OF-THE-SECRETS-prometheus-api-key";

  @Test
  void everyManifestParsesAndHasApiVersionKindAndName() throws IOException {
    List<Map<String, Object>> all = documents();
    assertTrue(all.size() >= 10, "manifests found: " + all.size());
    for (Map<String, Object> d : all) {
      assertNotNull(d.get("apiVersion"), "apiVersion in " + d);
      assertNotNull(d.get("kind"), "kind in " + d);
      assertNotNull(map(d, "metadata").get("name"), "metadata.name in " + d);
    }
    Set<String> kinds = all.stream().map(d -> (String) d.get("kind")).collect(Collectors.toSet());
    assertTrue(kinds.containsAll(Set.of("Deployment", "Service", "ConfigMap", "Secret", "PodDisruptionBudget",
        "ScaledObject", "Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser", "PrometheusRule")), kinds.toString());
  }

  @Test
  void kustomizationListsEveryManifestAndOnlyExistingOnes() throws IOException {
    Map<String, Object> k = new Yaml().load(Files.readString(K8S.resolve("kustomization.yaml")));
    Set<String> listed = new TreeSet<>(list(k, "resources"));
    Set<String> files = yamlFiles().stream().map(p -> K8S.relativize(p).toString())
        .filter(f -> !f.equals("kustomization.yaml")).collect(Collectors.toCollection(TreeSet::new));
    assertEquals(files, listed);
  }

  @Test
  void deploymentProbesHealthAndReadyAndTakesConfigAndSecretsFromWhatIsDeclared() throws IOException {
    Map<String, Object> deployment = only("Deployment");
    Map<String, Object> spec = map(deployment, "spec");
    Map<String, Object> podLabels = map(map(map(spec, "template"), "metadata"), "labels");
    assertTrue(podLabels.entrySet().containsAll(map(map(spec, "selector"), "matchLabels").entrySet()));
    Map<String, Object> pod = map(map(spec, "template"), "spec");
    Map<String, Object> container = maps(pod, "containers").get(0);
    assertTrue(((String) container.get("image")).matches("[a-z0-9./-]+:[0-9][\\w.-]*"), "a pinned image tag");
    assertEquals("/health", map(map(container, "livenessProbe"), "httpGet").get("path"));
    assertEquals("/ready", map(map(container, "readinessProbe"), "httpGet").get("path"));
    Map<String, Object> resources = map(container, "resources");
    assertTrue(map(resources, "requests").containsKey("cpu") && map(resources, "requests").containsKey("memory"));
    assertTrue(map(resources, "limits").containsKey("memory"));
    assertEquals(true, map(pod, "securityContext").get("runAsNonRoot"));

    int port = (Integer) maps(container, "ports").get(0).get("containerPort");
    MeshConfig config = meshConfig();
    assertEquals(config.http().port(), port, "the container port is the configured http.port");
    long graceMs = config.shutdown().graceMs();
    assertTrue(((Integer) pod.get("terminationGracePeriodSeconds")) * 1000L > graceMs,
        "Kubernetes waits longer than shutdown.grace_ms before it kills");

    String configMap = (String) map(maps(pod, "volumes").stream().filter(v -> v.containsKey("configMap"))
        .findFirst().orElseThrow(), "configMap").get("name");
    assertEquals(map(only("ConfigMap", "event-mesh-config"), "metadata").get("name"), configMap);
    List<String> args = list(container, "args");
    assertEquals("-conf", args.get(0));
    assertTrue(args.get(1).endsWith("/mesh.json"));

    // the command checks the descriptor limit, then runs the image's entrypoint (same flags) with the args
    List<String> command = list(container, "command");
    assertEquals(List.of("bash", "-c"), command.subList(0, 2));
    String script = command.get(2);
    assertTrue(script.contains("ulimit -Hn") && script.contains("ulimit -Sn"), script);
    String entry = Files.readString(Path.of("Dockerfile")).replace("\\\n", " ");
    entry = entry.substring(entry.indexOf("ENTRYPOINT [") + 12, entry.indexOf("]", entry.indexOf("ENTRYPOINT [")));
    for (String flag : entry.split(",")) {
      String f = flag.trim().replaceAll("^\"|\"$", "");
      assertTrue(script.contains(f), "the command runs the image's entrypoint: " + f + " missing");
    }
    List<String> run = new ArrayList<>(List.of("bash", "-c", script.replace("exec java", "echo java"), command.get(3)));
    run.addAll(args);
    Process dry = new ProcessBuilder(run).redirectErrorStream(true).start();
    String out;
    try {
      out = new String(dry.getInputStream().readAllBytes()).trim();
      assertEquals(0, dry.waitFor(), out);
    } catch (InterruptedException e) {
      throw new IOException(e);
    }
    assertTrue(out.endsWith("-jar /opt/event-mesh/event-mesh.jar " + String.join(" ", args)), out);

    Map<String, Object> secret = only("Secret");
    for (Map<String, Object> env : maps(container, "env")) {
      Map<String, Object> from = map(env, "valueFrom");
      if (from != null && from.containsKey("secretKeyRef")) {
        Map<String, Object> ref = map(from, "secretKeyRef");
        assertEquals(map(secret, "metadata").get("name"), ref.get("name"));
        assertTrue(map(secret, "stringData").containsKey((String) ref.get("key")), "secret key " + ref);
      }
      assertTrue(((String) env.get("name")).startsWith("MESH_") || env.get("name").equals("JAVA_TOOL_OPTIONS")
          , "env " + env.get("name"));
      if (((String) env.get("name")).startsWith("MESH_")) {
        assertTrue(ConfigLoader.ENVIRONMENT.containsKey(env.get("name")), "the mesh reads " + env.get("name"));
      }
    }
  }

  @Test
  void configMapHoldsAConfigTheMeshAccepts() throws IOException {
    MeshConfig config = meshConfig();
    assertEquals("json", config.logFormat());
    assertFalse(config.kafka().useEmbedded(), "a real Kafka cluster");
    assertTrue(config.shutdown().readyDelayMs() > 0, "readiness goes false before the pod stops accepting");
    String bootstrap = config.kafka().bootstrapServers();
    String cluster = (String) map(only("Kafka"), "metadata").get("name");
    assertTrue(bootstrap.startsWith(cluster + "-kafka-bootstrap:"), "Strimzi's bootstrap service: " + bootstrap);
    int tlsPort = maps(map(map(only("Kafka"), "spec"), "kafka"), "listeners").stream()
        .filter(l -> Boolean.TRUE.equals(l.get("tls"))).map(l -> (Integer) l.get("port")).findFirst().orElseThrow();
    assertTrue(bootstrap.endsWith(":" + tlsPort));
  }

  @Test
  void serviceScalerAndBudgetSelectTheDeployment() throws IOException {
    Map<String, Object> deployment = only("Deployment");
    String name = (String) map(deployment, "metadata").get("name");
    Map<String, Object> podLabels = map(map(map(map(deployment, "spec"), "template"), "metadata"), "labels");
    for (String kind : List.of("Service", "PodDisruptionBudget")) {
      Map<String, Object> spec = map(only(kind), "spec");
      Map<String, Object> selector = kind.equals("Service") ? map(spec, "selector") : map(map(spec, "selector"),
          "matchLabels");
      assertTrue(podLabels.entrySet().containsAll(selector.entrySet()), kind + " selects the mesh pods");
    }
    assertEquals("http", maps(map(only("Service"), "spec"), "ports").get(0).get("targetPort"));
    Map<String, Object> scaler = map(only("ScaledObject"), "spec");
    assertEquals(name, map(scaler, "scaleTargetRef").get("name"));
    int min = (Integer) scaler.get("minReplicaCount");
    assertTrue(min >= (Integer) map(only("PodDisruptionBudget"), "spec").get("minAvailable"),
        "the scaler never goes below the disruption budget");
    Map<String, Object> lag = maps(scaler, "triggers").stream().filter(t -> "kafka".equals(t.get("type")))
        .findFirst().orElseThrow();
    assertEquals(meshConfig().store().group(), map(lag, "metadata").get("consumerGroup"),
        "scales on the lag of the mesh's event-store group");
  }

  @Test
  void kafkaTopicsAreExactlyTheTopicTableWithItsDeadLetterTopics() throws IOException {
    Map<String, TopicSpec> expected = new TreeMap<>();
    TopicProvisioner.withDeadLetters(TopicSpec.load(Optional.empty())).forEach(t -> expected.put(t.name(), t));
    Map<String, Map<String, Object>> declared = new TreeMap<>();
    for (Map<String, Object> t : all("KafkaTopic")) {
      Map<String, Object> spec = map(t, "spec");
      String name = (String) spec.getOrDefault("topicName", map(t, "metadata").get("name"));
      assertEquals(null, declared.put(name, spec), "declared once: " + name);
      assertEquals(map(only("Kafka"), "metadata").get("name"), map(map(t, "metadata"), "labels")
          .get("strimzi.io/cluster"), name + " belongs to the cluster");
    }
    assertEquals(expected.keySet(), declared.keySet());
    expected.forEach((name, spec) -> {
      Map<String, Object> topic = declared.get(name);
      assertEquals(spec.partitions(), topic.get("partitions"), name + " partitions");
      Map<String, String> configs = new TreeMap<>();
      map(topic, "config").forEach((k, v) -> configs.put(k, String.valueOf(v)));
      assertEquals(new TreeMap<>(spec.configs()), configs, name + " configs");
    });
  }

  @Test
  void kafkaUserMayUseTheMeshGroupsAndEveryTopic() throws IOException {
    Map<String, Object> user = only("KafkaUser");
    assertEquals("scram-sha-512", map(map(user, "spec"), "authentication").get("type"));
    List<Map<String, Object>> acls = maps(map(map(user, "spec"), "authorization"), "acls");
    String prefix = meshConfig().kafka().consumer().groupPrefix();
    assertTrue(acls.stream().anyMatch(a -> "group".equals(map(a, "resource").get("type"))
        && prefix.equals(map(a, "resource").get("name")) && "prefix".equals(map(a, "resource").get("patternType"))));
    assertTrue(acls.stream().anyMatch(a -> "transactionalId".equals(map(a, "resource").get("type"))
        && prefix.equals(map(a, "resource").get("name"))), "the world's transactional ids use the group prefix");
    for (Map<String, Object> topic : all("KafkaTopic")) {
      String name = (String) map(topic, "spec").get("topicName");
      assertTrue(acls.stream().anyMatch(a -> covers(map(a, "resource"), name) && list(a, "operations")
          .containsAll(List.of("Read", "Write"))), "the mesh may read and write " + name);
    }
    assertEquals(map(user, "metadata").get("name"), maps(map(map(map(only("Deployment"), "spec"), "template"),
        "spec"), "volumes").stream().filter(v -> v.containsKey("secret")).map(v -> map(v, "secret")
        .get("secretName")).filter(n -> n.equals(map(user, "metadata").get("name"))).findFirst().orElse(null),
        "the pods mount the user's secret");
  }

  @Test
  void alertRulesCoverLagErrorRateAndBrokerDown() throws IOException {
    List<Map<String, Object>> rules = new ArrayList<>();
    for (Map<String, Object> g : maps(map(only("PrometheusRule"), "spec"), "groups")) {
      rules.addAll(maps(g, "rules"));
    }
    String exprs = rules.stream().map(r -> (String) r.get("expr")).collect(Collectors.joining("\n"));
    assertTrue(exprs.contains("event_bus_consumer_lag"), exprs);
    assertTrue(exprs.contains("event_bus_events_published_total{status=\"failure\"}"), exprs);
    assertTrue(exprs.contains("event_bus_kafka_brokers) == 0"), exprs);
    for (Map<String, Object> r : rules) {
      assertNotNull(r.get("alert"));
      assertNotNull(map(r, "labels").get("severity"), r.get("alert") + " has a severity");
      assertNotNull(map(r, "annotations").get("summary"), r.get("alert") + " has a summary");
    }
  }

  @Test
  void dockerfileBuildsWithMavenAndRunsTheJarOnAJre17AsNonRoot() throws IOException {
    List<String> lines = Files.readAllLines(Path.of("Dockerfile")).stream()
        .filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
    List<String> froms = lines.stream().filter(l -> l.startsWith("FROM ")).toList();
    assertEquals(2, froms.size(), "multi-stage: " + froms);
    assertTrue(froms.get(0).matches("FROM maven:[^ ]*temurin-17 AS build"), froms.get(0));
    assertTrue(froms.get(1).matches("FROM eclipse-temurin:17-jre[^ ]*"), froms.get(1));
    String text = String.join("\n", lines);
    assertTrue(text.contains("mvn -B -ntp -q -o package -DskipTests"), "builds the jar");
    assertTrue(text.contains("COPY --from=build /event-mesh.jar"), "copies only the jar from the build");
    assertTrue(text.contains("COPY src/main/resources/conf/ /opt/event-mesh/conf/"), "ships conf/");
    int buildRuntime = text.indexOf(froms.get(1));
    String user = lines.stream().filter(l -> l.startsWith("USER ")).findFirst().orElseThrow();
    assertTrue(text.indexOf(user) > buildRuntime && !user.contains("root") && !user.matches("USER 0\\b.*"), user);
    assertTrue(text.contains("HEALTHCHECK") && text.substring(text.indexOf("HEALTHCHECK")).contains("GET /health"));
    String entry = text.substring(text.indexOf("ENTRYPOINT"));
    assertTrue(entry.contains("-XX:MaxRAMPercentage=") && entry.contains("\"-jar\", \"/opt/event-mesh/event-mesh.jar\""),
        entry);
    assertTrue(text.contains("EXPOSE " + meshConfig().http().port()));
    assertTrue(Files.exists(Path.of(".dockerignore")), "the build context leaves target/ and data/ out");
    assertTrue(Files.readString(Path.of(".dockerignore")).contains("target"));
  }

  private static boolean covers(Map<String, Object> resource, String topic) {
    if (!"topic".equals(resource.get("type"))) {
      return false;
    }
    String name = (String) resource.get("name");
    return "prefix".equals(resource.get("patternType")) ? topic.startsWith(name) : topic.equals(name);
  }

  /** The ConfigMap's config in a pod whose Secret holds real values: an RSA JWKS and a Prometheus key. */
  private static MeshConfig meshConfig() throws IOException {
    RSAPublicKey pub;
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      pub = (RSAPublicKey) generator.generateKeyPair().getPublic();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String jwks = new JsonObject().put("keys", new JsonArray().add(new JsonObject().put("kty", "RSA").put("kid", "idp-1")
        .put("use", "sig").put("alg", "RS256").put("n", b64.encodeToString(unsigned(pub.getModulus())))
        .put("e", b64.encodeToString(unsigned(pub.getPublicExponent()))))).encode();
    return meshConfig(jwks, "prometheus-scrape-key-" + UUID.randomUUID());
  }

  private static byte[] unsigned(BigInteger n) {
    byte[] bytes = n.toByteArray();
    return bytes[0] == 0 ? Arrays.copyOfRange(bytes, 1, bytes.length) : bytes;
  }

  /**
   * The ConfigMap's config as the mesh loads it in the pod, where the Secret's JWKS is mounted at the path it names
   * (here: a temporary file with {@code jwks}) and the ConfigMap holds the SHA-256 of the Secret's Prometheus key (its
   * placeholder replaced, as the deployment instructions say, with the hash of {@code prometheusKey}; left as it is
   * when that is null).
   */
  private static MeshConfig meshConfig(String jwksJson, String prometheusKey) throws IOException {
    Map<String, Object> data = map(only("ConfigMap", "event-mesh-config"), "data");
    Path jwks = Files.createTempFile("jwks", ".json");
    Files.writeString(jwks, jwksJson);
    String json = ((String) data.get("mesh.json")).replace("/etc/event-mesh/auth/jwks.json", jwks.toString());
    if (prometheusKey != null) {
      json = json.replace(PROMETHEUS_PLACEHOLDER, "sha256:" + Security.sha256(prometheusKey));
    }
    try {
      return ConfigLoader.load(new JsonObject(json),
          Map.of("MESH_DATABASE_URL", "postgresql://mesh:secret@postgres:5432/mesh",
              "MESH_SECRETS_KEY", "k1:" + Base64.getEncoder().encodeToString(new byte[32])));
    } finally {
      Files.delete(jwks);
    }
  }

  @Test
  void shippedSecretsHoldNoCredentialAndTheMeshRefusesToStartWithThem() throws IOException {
    Map<String, Object> secret = map(only("Secret", "event-mesh-secrets"), "stringData");
    assertEquals("", secret.get("prometheus-api-key"), "no working Prometheus key is shipped");
    assertTrue(((String) map(only("ConfigMap", "event-mesh-config"), "data").get("mesh.json"))
        .contains(PROMETHEUS_PLACEHOLDER), "the ConfigMap holds a placeholder, not the hash of a shipped key");
    ConfigException refused = assertThrows(ConfigException.class,
        () -> meshConfig((String) secret.get("jwks.json"), null));
    String problems = refused.getMessage();
    assertTrue(problems.contains("security.jwt.jwks_file") && problems.contains("holds no key that verifies"),
        problems);
    assertTrue(problems.contains("security.principals.prometheus.api_keys"), problems);
  }

  private static Map<String, Object> only(String kind) throws IOException {
    List<Map<String, Object>> found = all(kind);
    assertEquals(1, found.size(), "one " + kind);
    return found.get(0);
  }

  private static Map<String, Object> only(String kind, String name) throws IOException {
    return all(kind).stream().filter(d -> name.equals(map(d, "metadata").get("name"))).findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
  }

  private static List<Map<String, Object>> all(String kind) throws IOException {
    return documents().stream().filter(d -> kind.equals(d.get("kind"))).toList();
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> documents() throws IOException {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Path file : yamlFiles()) {
      if (file.getFileName().toString().equals("kustomization.yaml")) {
        continue;
      }
      for (Object d : new Yaml().loadAll(Files.readString(file))) {
        if (d != null) {
          assertTrue(d instanceof Map, file + ": a document is a mapping");
          out.add((Map<String, Object>) d);
        }
      }
    }
    return out;
  }

  private static List<Path> yamlFiles() throws IOException {
    try (Stream<Path> files = Files.walk(K8S)) {
      return files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Map<String, Object> m, String key) {
    return (Map<String, Object>) m.get(key);
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> maps(Map<String, Object> m, String key) {
    return (List<Map<String, Object>>) m.get(key);
  }

  @SuppressWarnings("unchecked")
  private static List<String> list(Map<String, Object> m, String key) {
    return (List<String>) m.get(key);
  }
}
