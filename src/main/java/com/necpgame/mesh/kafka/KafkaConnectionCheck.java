package com.necpgame.mesh.kafka;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up's first word with Kafka: an admin client of the mesh's settings, and the brokers answering it within
 * {@code kafka.request_timeout_ms}. Otherwise start-up stops with a message that names the broker, the security
 * settings in use ({@code kafka.properties} security.protocol and sasl.mechanism, never a secret) and what to check: a
 * refused TLS handshake (no client certificate, one the broker does not trust, a broker the client does not trust), a
 * refused login (wrong user or password), or no answer (address, or a protocol that does not match the listener).
 * Without it a refused client surfaced later as an unrelated error ("topics must exist") or not at all.
 */
public final class KafkaConnectionCheck {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaConnectionCheck.class);

  private KafkaConnectionCheck() {}

  /** An admin client the brokers answered; blocking, for start-up. */
  public static Admin connect(KafkaClients kafka) {
    String settings = settings(kafka);
    Admin admin;
    try {
      admin = kafka.admin();
    } catch (KafkaException e) {
      throw new IllegalStateException(settings + ": the client could not be set up (" + rootMessage(e)
          + "): check the ssl.* and sasl.* entries of kafka.properties", e);
    }
    int timeoutMs = kafka.config().requestTimeoutMs();
    long started = System.nanoTime();
    try {
      int brokers = admin.describeCluster(new DescribeClusterOptions().timeoutMs(timeoutMs)).nodes()
          .get(timeoutMs + 5_000L, TimeUnit.MILLISECONDS).size();
      LOG.info("Kafka at {} answered in {} ms: {} broker(s), {}", kafka.bootstrapServers(),
          (System.nanoTime() - started) / 1_000_000, brokers, security(kafka));
      return admin;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      admin.close(Duration.ZERO);
      throw new IllegalStateException(settings + ": interrupted while waiting for a broker", e);
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      admin.close(Duration.ZERO);
      Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
      throw new IllegalStateException(settings + ": " + explain(cause, timeoutMs), cause);
    }
  }

  static String explain(Throwable cause, int timeoutMs) {
    if (cause instanceof SslAuthenticationException) {
      return "the TLS handshake failed (" + rootMessage(cause) + "): check ssl.keystore.* (the client certificate, "
          + "when the broker requires one; signed by an authority the broker trusts) and ssl.truststore.* (the "
          + "authority of the broker's certificate) in kafka.properties";
    }
    if (cause instanceof SaslAuthenticationException) {
      return "the broker refused the login (" + cause.getMessage() + "): check sasl.mechanism and the user and "
          + "password in sasl.jaas.config in kafka.properties";
    }
    if (cause instanceof AuthenticationException) {
      return "authentication failed (" + rootMessage(cause) + "): check the ssl.* and sasl.* entries of "
          + "kafka.properties";
    }
    if (cause instanceof TimeoutException || cause instanceof java.util.concurrent.TimeoutException) {
      return "no broker answered within " + timeoutMs + " ms (kafka.request_timeout_ms): check "
          + "kafka.bootstrap_servers, that a broker is up there, and that security.protocol in kafka.properties is "
          + "the protocol of that listener";
    }
    return rootMessage(cause) + ": check kafka.bootstrap_servers and kafka.properties";
  }

  /** Where and how the mesh connects, without a secret. */
  private static String settings(KafkaClients kafka) {
    return "cannot use Kafka at " + kafka.bootstrapServers() + " with " + security(kafka) + " (kafka.properties)";
  }

  private static String security(KafkaClients kafka) {
    Map<String, String> props = new HashMap<>(kafka.config().useEmbedded()
        ? kafka.config().embedded().clientSecurity() : Map.of());
    props.putAll(kafka.config().properties());
    String protocol = props.getOrDefault("security.protocol", "PLAINTEXT");
    return "security.protocol=" + protocol + (protocol.startsWith("SASL_")
        ? ", sasl.mechanism=" + props.getOrDefault("sasl.mechanism", "GSSAPI") : "");
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == e ? String.valueOf(e.getMessage()) : e.getMessage() + ": " + root.getMessage();
  }
}
