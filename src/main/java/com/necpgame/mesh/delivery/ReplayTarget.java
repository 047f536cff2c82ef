package com.necpgame.mesh.delivery;

import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Where a replay sends the records that matched. Called on the replay's own thread, never an event loop; it returns
 * once the target holds every record of the batch (or throws, and the batch counts as not delivered). Another kind of
 * target (a subscription, a WebSocket) is one more implementation.
 */
public interface ReplayTarget {

  /** Header on every replayed record: the id of the replay job that produced it. */
  String HEADER_REPLAY_ID = "replay.id";
  /** Headers saying where the replayed record was read. */
  String HEADER_SOURCE_TOPIC = "replay.source.topic";
  String HEADER_SOURCE_PARTITION = "replay.source.partition";
  String HEADER_SOURCE_OFFSET = "replay.source.offset";

  void deliver(String replayId, List<ConsumerRecord<String, byte[]>> batch) throws Exception;
}
