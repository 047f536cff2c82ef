package com.necpgame.mesh.testsupport;

import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.kafka.EmbeddedBroker;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;

/**
 * An embedded KRaft broker of a test's own with three client listeners: SSL asking every client for a certificate
 * signed by the test's authority (mTLS), SASL_SSL with SCRAM-SHA-512 (users made by {@link #addScramUser}), and
 * PLAINTEXT for the broker itself and for setting up (the controller and the inter-broker traffic stay plain). The
 * authority, the broker's certificate and the stores are made in the test's directory by {@link TestCertificates}.
 */
public final class SecuredKafka implements AutoCloseable {

  private final EmbeddedBroker broker;
  private final TestCertificates authority;
  private final Path dir;
  private final String storePassword;
  private final Path trustStore;
  private final String sslBootstrap;
  private final String saslSslBootstrap;

  private SecuredKafka(EmbeddedBroker broker, TestCertificates authority, Path dir, String storePassword,
      Path trustStore, String sslBootstrap, String saslSslBootstrap) {
    this.broker = broker;
    this.authority = authority;
    this.dir = dir;
    this.storePassword = storePassword;
    this.trustStore = trustStore;
    this.sslBootstrap = sslBootstrap;
    this.saslSslBootstrap = saslSslBootstrap;
  }

  public static SecuredKafka start(Path dir) throws Exception {
    TestCertificates authority = TestCertificates.authority("mesh-test-ca");
    String storePassword = "store-" + UUID.randomUUID();
    Path brokerStore = authority.keyStore(dir.resolve("broker.p12"), "kafka-broker", storePassword);
    Path trustStore = authority.trustStore(dir.resolve("trust.p12"), storePassword);
    int[] ports = distinctFreePorts(4);
    int plain = ports[0];
    int ssl = ports[1];
    int saslSsl = ports[2];
    int controller = ports[3];
    Map<String, String> overrides = new LinkedHashMap<>();
    overrides.put("listeners", "PLAINTEXT://127.0.0.1:" + plain + ",SSL://127.0.0.1:" + ssl
        + ",SASL_SSL://127.0.0.1:" + saslSsl + ",CONTROLLER://127.0.0.1:" + controller);
    overrides.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + plain + ",SSL://127.0.0.1:" + ssl
        + ",SASL_SSL://127.0.0.1:" + saslSsl);
    overrides.put("listener.security.protocol.map",
        "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT");
    overrides.put("ssl.keystore.type", "PKCS12");
    overrides.put("ssl.keystore.location", brokerStore.toString());
    overrides.put("ssl.keystore.password", storePassword);
    overrides.put("ssl.key.password", storePassword);
    overrides.put("ssl.truststore.type", "PKCS12");
    overrides.put("ssl.truststore.location", trustStore.toString());
    overrides.put("ssl.truststore.password", storePassword);
    overrides.put("listener.name.ssl.ssl.client.auth", "required");
    overrides.put("sasl.enabled.mechanisms", "SCRAM-SHA-512");
    overrides.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule required;");
    EmbeddedBroker broker = EmbeddedBroker.start(new MeshConfig.EmbeddedKafka("127.0.0.1", plain, controller,
        dir.resolve("kafka"), 1, 64L << 20, 16 << 20), overrides, null);
    return new SecuredKafka(broker, authority, dir, storePassword, trustStore, "127.0.0.1:" + ssl,
        "127.0.0.1:" + saslSsl);
  }

  private static int[] distinctFreePorts(int count) throws Exception {
    Set<Integer> ports = new java.util.LinkedHashSet<>();
    while (ports.size() < count) {
      ports.add(TestMesh.freePort());
    }
    return ports.stream().mapToInt(Integer::intValue).toArray();
  }

  /** The PLAINTEXT listener, for setting up (users, topics) and checking from outside the mesh. */
  public String plainBootstrap() {
    return broker.bootstrapServers();
  }

  /** The listener that asks every client for a certificate of the test's authority. */
  public String sslBootstrap() {
    return sslBootstrap;
  }

  public String saslSslBootstrap() {
    return saslSslBootstrap;
  }

  public TestCertificates authority() {
    return authority;
  }

  /** The password of every key and trust store made here. */
  public String storePassword() {
    return storePassword;
  }

  /** A key store with a client certificate for {@code name} signed by the test's authority. */
  public Path clientKeyStore(String name) throws Exception {
    return authority.keyStore(dir.resolve(name + ".p12"), name, storePassword);
  }

  /** Client properties for the SSL listener presenting the certificate in {@code keyStore}, or none when null. */
  public Map<String, String> mtlsClient(Path keyStore) {
    Map<String, String> props = trusting();
    props.put("security.protocol", "SSL");
    if (keyStore != null) {
      props.put("ssl.keystore.type", "PKCS12");
      props.put("ssl.keystore.location", keyStore.toString());
      props.put("ssl.keystore.password", storePassword);
      props.put("ssl.key.password", storePassword);
    }
    return props;
  }

  /**
   * Client properties for the SSL listener from PEM files: the trust store and a key store with a new client
   * certificate for {@code name} (key and chain in one file, the key unencrypted, so no password at all).
   */
  public Map<String, String> mtlsClientPem(String name) throws Exception {
    Map<String, String> props = new LinkedHashMap<>();
    props.put("security.protocol", "SSL");
    props.put("ssl.truststore.type", "PEM");
    props.put("ssl.truststore.location", authority.pemTrustStore(dir.resolve("ca.pem")).toString());
    props.put("ssl.keystore.type", "PEM");
    props.put("ssl.keystore.location", authority.pemKeyStore(dir.resolve(name + ".pem"), name).toString());
    return props;
  }

  /** Client properties for the SASL_SSL listener logging in as {@code user} with SCRAM-SHA-512. */
  public Map<String, String> scramClient(String user, String password) {
    Map<String, String> props = trusting();
    props.put("security.protocol", "SASL_SSL");
    props.put("sasl.mechanism", "SCRAM-SHA-512");
    props.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
        + user + "\" password=\"" + password + "\";");
    return props;
  }

  private Map<String, String> trusting() {
    Map<String, String> props = new LinkedHashMap<>();
    props.put("ssl.truststore.type", "PKCS12");
    props.put("ssl.truststore.location", trustStore.toString());
    props.put("ssl.truststore.password", storePassword);
    return props;
  }

  /** Creates (or replaces) a SCRAM-SHA-512 user through the admin API on the plain listener. */
  public void addScramUser(String user, String password) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", plainBootstrap()))) {
      admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
          new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), password))).all().get(30, TimeUnit.SECONDS);
    }
  }

  @Override
  public void close() {
    broker.close();
  }
}
