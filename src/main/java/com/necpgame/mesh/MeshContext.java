package com.necpgame.mesh;

import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.envelope.EnvelopeValidator;
import com.necpgame.mesh.kafka.KafkaClients;
import io.vertx.sqlclient.Pool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.Producer;

/**
 * What one mesh process shares between its verticles: the config, one Kafka producer and admin client, the
 * database pool, the schema validator and the meters. Created and closed by {@link Mesh}.
 */
public record MeshContext(
    MeshConfig config,
    KafkaClients kafka,
    Producer<String, byte[]> producer,
    Admin admin,
    Pool pool,
    EnvelopeValidator validator,
    MeshMetrics metrics) {}
