package com.necpgame.mesh;

import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.envelope.EnvelopeValidator;
import com.necpgame.mesh.kafka.KafkaClients;
import com.necpgame.mesh.store.SecretBox;
import io.vertx.sqlclient.Pool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.Producer;

/**
 * What one mesh process shares between its verticles: the config, one Kafka producer and admin client, the
 * database pool, the schema validator, the meters and the box that encrypts secrets stored in the database. Created
 * and closed by {@link Mesh}.
 */
public record MeshContext(
    MeshConfig config,
    KafkaClients kafka,
    Producer<String, byte[]> producer,
    Admin admin,
    Pool pool,
    EnvelopeValidator validator,
    MeshMetrics metrics,
    SecretBox secrets) {

  /** Without stored secrets: parts of a mesh (tests, benchmarks) that never touch the subscription registry. */
  public MeshContext(MeshConfig config, KafkaClients kafka, Producer<String, byte[]> producer, Admin admin, Pool pool,
      EnvelopeValidator validator, MeshMetrics metrics) {
    this(config, kafka, producer, admin, pool, validator, metrics, null);
  }
}
