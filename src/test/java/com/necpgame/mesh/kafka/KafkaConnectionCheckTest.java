package com.necpgame.mesh.kafka;

import static org.junit.jupiter.api.Assertions.assertTrue;

import javax.net.ssl.SSLHandshakeException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

/** What start-up says when the brokers refuse the mesh's client or do not answer it. */
class KafkaConnectionCheckTest {

  @Test
  void aRefusedHandshakeNamesTheStoresAndTheAlert() {
    String m = KafkaConnectionCheck.explain(new SslAuthenticationException("Failed to process post-handshake messages",
        new SSLHandshakeException("Received fatal alert: bad_certificate")), 10_000);
    assertTrue(m.contains("bad_certificate") && m.contains("ssl.keystore.*") && m.contains("ssl.truststore.*")
        && m.contains("kafka.properties"), m);
  }

  @Test
  void aRefusedLoginNamesTheJaasConfig() {
    String m = KafkaConnectionCheck.explain(new SaslAuthenticationException("invalid credentials"), 10_000);
    assertTrue(m.contains("invalid credentials") && m.contains("sasl.jaas.config"), m);
  }

  @Test
  void noAnswerNamesTheAddressTheTimeoutAndTheProtocol() {
    String m = KafkaConnectionCheck.explain(new TimeoutException("Timed out waiting for a node assignment."), 3000);
    assertTrue(m.contains("3000 ms") && m.contains("kafka.request_timeout_ms") && m.contains("kafka.bootstrap_servers")
        && m.contains("security.protocol"), m);
  }
}
