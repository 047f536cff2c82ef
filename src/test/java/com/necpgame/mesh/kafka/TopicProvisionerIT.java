package com.necpgame.mesh.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.necpgame.mesh.config.TopicSpec;
import com.necpgame.mesh.testsupport.TestKafka;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;

class TopicProvisionerIT {

  @Test
  void createsDeclaredTopicsAndTheirDeadLettersOnceWithReplicationCappedToTheBrokers() throws Exception {
    String events = TestKafka.unique("declared");
    String state = TestKafka.unique("state");
    List<TopicSpec> specs = TopicProvisioner.withDeadLetters(List.of(
        new TopicSpec(events, 4, Optional.empty(), Map.of("retention.ms", "3600000"), true),
        new TopicSpec(state, 2, Optional.of(3), Map.of("cleanup.policy", "compact"), false)));
    // Replication factor 3 asked of a one-broker cluster: capped, not refused.
    TopicProvisioner provisioner = new TopicProvisioner(TestKafka.admin(), 3, Duration.ofSeconds(30));

    assertEquals(Set.of(events, events + ".dlq", state), Set.copyOf(provisioner.ensure(specs)));
    assertEquals(List.of(), provisioner.ensure(specs), "a second start creates nothing");

    var described = TestKafka.admin().describeTopics(List.of(events, events + ".dlq", state)).allTopicNames()
        .get(30, TimeUnit.SECONDS);
    assertEquals(4, described.get(events).partitions().size());
    assertEquals(4, described.get(events + ".dlq").partitions().size());
    assertEquals(1, described.get(state).partitions().get(0).replicas().size());
    assertEquals("3600000", config(events).get("retention.ms").value());
    assertEquals("compact", config(state).get("cleanup.policy").value());
    assertEquals(String.valueOf(720 * 3_600_000L), config(events + ".dlq").get("retention.ms").value());
  }

  private static Config config(String topic) throws Exception {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    return TestKafka.admin().describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
  }
}
