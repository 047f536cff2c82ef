package com.necpgame.mesh.fanout;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;

/**
 * One record of a streamed topic as every socket gets it: its frame ({@code {"type":"event","topic",..,"event":..}}
 * or a {@code skipped} frame for a value that is not a JSON object) encoded once, and what the hub matches on read
 * from the envelope once: its event type and the values of the channel fields ({@link ChannelFields}).
 */
public final class Frame {

  final String topic;
  final int partition;
  final long offset;
  final byte[] bytes;
  /** Null when the value is not a JSON object or has no event type. */
  final String eventType;
  /** The value of each channel field, in {@link ChannelFields} order; null where the envelope has none. */
  final String[] addressed;
  /** {@link System#currentTimeMillis()} when the tail read it: its age in the history. */
  final long readAt;
  /** A {@code skipped} frame: the value was not a JSON object. */
  final boolean skipped;

  Frame(String topic, int partition, long offset, byte[] bytes, String eventType, String[] addressed, long readAt,
      boolean skipped) {
    this.skipped = skipped;
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.bytes = bytes;
    this.eventType = eventType;
    this.addressed = addressed;
    this.readAt = readAt;
  }

  /** The frame's bytes, UTF-8 JSON: the same array for every socket (never change it). */
  public byte[] bytes() {
    return bytes;
  }

  public long offset() {
    return offset;
  }

  /** Parsed for filters while the frame is dispatched; guarded by its partition's lock. */
  private JsonObject envelope;

  /**
   * The envelope, parsed from the frame when a subscription with a filter first asks while the frame is dispatched
   * (and kept until {@link #forget()}, so the history holds bytes only).
   */
  JsonObject envelope() {
    if (envelope == null) {
      envelope = new JsonObject(new String(bytes, StandardCharsets.UTF_8)).getJsonObject("event");
    }
    return envelope;
  }

  void forget() {
    envelope = null;
  }

  @Override
  public String toString() {
    return topic + "/" + partition + "@" + offset;
  }
}
