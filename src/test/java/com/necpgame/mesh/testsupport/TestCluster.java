package com.necpgame.mesh.testsupport;

import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.kafka.EmbeddedBroker;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A three-node KRaft cluster in the test JVM, of its own (not the shared {@link TestKafka} broker): every node both
 * controller and broker, internal topics and new topics with replication factor 3 and {@code min.insync.replicas} 2.
 * {@link #kill(int)} stops a node without a controlled shutdown: it hands no leadership over and does not
 * deregister, so the others learn of it as of a crash (the controller fences it after
 * {@code broker.session.timeout.ms}, 9 s by default, and a new controller is elected if it was the active one). Its
 * data stays and {@link #restart(int)} starts it again on it. Unlike a kill -9 the node flushes its log on the way
 * down, which matters nothing here: acknowledged records are on two replicas already.
 */
public final class TestCluster implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(TestCluster.class);
  public static final int NODES = 3;

  private final Path dir;
  private final String clusterId = Uuid.randomUuid().toString();
  private final int[] ports = new int[NODES + 1];
  private final int[] controllerPorts = new int[NODES + 1];
  private final EmbeddedBroker[] brokers = new EmbeddedBroker[NODES + 1];
  private Admin admin;

  private TestCluster(Path dir) {
    this.dir = dir;
  }

  /** The three nodes, started together: a node's start-up waits for a quorum of controllers. */
  public static TestCluster start(Path dir) throws Exception {
    TestCluster cluster = new TestCluster(dir);
    Set<Integer> used = new HashSet<>();
    for (int node = 1; node <= NODES; node++) {
      cluster.ports[node] = distinctPort(used);
      cluster.controllerPorts[node] = distinctPort(used);
    }
    long started = System.nanoTime();
    try {
      CompletableFuture.allOf(IntStream.rangeClosed(1, NODES)
          .mapToObj(node -> CompletableFuture.runAsync(() -> cluster.startNode(node)))
          .toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      cluster.close();
      throw e;
    }
    LOG.info("three-node test cluster {} started in {} ms", cluster.bootstrapServers(),
        (System.nanoTime() - started) / 1_000_000);
    return cluster;
  }

  private static int distinctPort(Set<Integer> used) throws Exception {
    int port = TestMesh.freePort();
    while (!used.add(port)) {
      port = TestMesh.freePort();
    }
    return port;
  }

  private void startNode(int node) {
    MeshConfig.EmbeddedKafka config = new MeshConfig.EmbeddedKafka("127.0.0.1", ports[node], controllerPorts[node],
        dir.resolve("node-" + node), 1, 64L << 20, 16 << 20);
    Map<String, String> props = new HashMap<>();
    props.put("node.id", String.valueOf(node));
    props.put("controller.quorum.voters", IntStream.rangeClosed(1, NODES)
        .mapToObj(n -> n + "@127.0.0.1:" + controllerPorts[n]).collect(Collectors.joining(",")));
    props.put("offsets.topic.replication.factor", "3");
    props.put("transaction.state.log.replication.factor", "3");
    props.put("transaction.state.log.min.isr", "2");
    props.put("share.coordinator.state.topic.replication.factor", "3");
    props.put("share.coordinator.state.topic.min.isr", "2");
    props.put("default.replication.factor", "3");
    props.put("min.insync.replicas", "2");
    // a crash, not a shutdown: no leadership handed over before the node goes
    props.put("controlled.shutdown.enable", "false");
    props.put("num.io.threads", "2");
    try {
      brokers[node] = EmbeddedBroker.start(config, props, clusterId);
    } catch (Exception e) {
      throw new IllegalStateException("node " + node + " of the test cluster did not start", e);
    }
  }

  /** Every node's client listener, whether it runs or not (clients skip the dead ones). */
  public String bootstrapServers() {
    return IntStream.rangeClosed(1, NODES).mapToObj(n -> "127.0.0.1:" + ports[n]).collect(Collectors.joining(","));
  }

  public synchronized Admin admin() {
    if (admin == null) {
      admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers()));
    }
    return admin;
  }

  /** Stops {@code node} at once, without a controlled shutdown; returns how long stopping took, in ms. */
  public long kill(int node) {
    long started = System.nanoTime();
    brokers[node].close();
    brokers[node] = null;
    long ms = (System.nanoTime() - started) / 1_000_000;
    LOG.info("test cluster node {} killed (stopped without a controlled shutdown in {} ms)", node, ms);
    return ms;
  }

  /** Starts a killed node again on its data; returns when it has caught up with the cluster's metadata. */
  public void restart(int node) {
    startNode(node);
  }

  public TopicPartitionInfo partition(String topic, int partition) throws Exception {
    TopicDescription d = admin().describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
    return d.partitions().get(partition);
  }

  /** The node that leads {@code topic}'s {@code partition} now, or -1 without a leader. */
  public int leaderOf(String topic, int partition) throws Exception {
    TopicPartitionInfo p = partition(topic, partition);
    return p.leader() == null ? -1 : p.leader().id();
  }

  @Override
  public void close() {
    if (admin != null) {
      admin.close();
    }
    // together: a node stopping alone waits for a quorum that the others, stopping one by one, no longer make
    CompletableFuture.allOf(IntStream.rangeClosed(1, NODES).filter(n -> brokers[n] != null)
        .mapToObj(n -> CompletableFuture.runAsync(brokers[n]::close).exceptionally(e -> {
          LOG.warn("stopping node {} of the test cluster: {}", n, e.toString());
          return null;
        })).toArray(CompletableFuture[]::new)).join();
    java.util.Arrays.fill(brokers, null);
  }
}
