package com.necpgame.mesh.testsupport;

import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.kafka.EmbeddedBroker;
import java.nio.file.Path;

/**
 * An embedded broker of one test's own, on fixed ports and a log directory of its own, so the test can stop it and
 * start it again where clients look for it, with the data it had: a broker outage. The JVM's shared broker
 * ({@link TestKafka}) is never stopped.
 */
public final class OwnBroker implements AutoCloseable {

  private final MeshConfig.EmbeddedKafka config;
  private EmbeddedBroker broker;

  private OwnBroker(MeshConfig.EmbeddedKafka config) {
    this.config = config;
  }

  /** Starts a broker on two free ports with its log under {@code dir}. */
  public static OwnBroker start(Path dir) throws Exception {
    int kafkaPort = TestMesh.freePort();
    int controllerPort = TestMesh.freePort();
    while (controllerPort == kafkaPort) {
      controllerPort = TestMesh.freePort();
    }
    OwnBroker own = new OwnBroker(new MeshConfig.EmbeddedKafka("127.0.0.1", kafkaPort, controllerPort, dir, 1,
        64L << 20, 16 << 20));
    own.start();
    return own;
  }

  public String bootstrapServers() {
    return config.host() + ":" + config.port();
  }

  /** Starts the broker again on the same ports and directory; nothing when it runs. */
  public synchronized void start() throws Exception {
    if (broker == null) {
      broker = EmbeddedBroker.start(config);
    }
  }

  /** Stops the broker (a clean shutdown: its data stays); nothing when it is stopped. */
  public synchronized void stop() {
    if (broker != null) {
      EmbeddedBroker stopping = broker;
      broker = null;
      stopping.close();
    }
  }

  public synchronized boolean running() {
    return broker != null;
  }

  @Override
  public void close() {
    stop();
  }
}
