package com.necpgame.mesh.fanout;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * One record of a streamed topic as every socket gets it: its frame ({@code {"type":"event","topic",..,"event":..}}
 * or a {@code skipped} frame for a value that is not a JSON object) encoded once, as the WebSocket text frame that
 * goes on the wire ({@link #buffer()}), and what the hub matches on read from the envelope once: its event type and the
 * values of the channel fields ({@link ChannelFields}).
 */
public final class Frame {

  final String topic;
  final int partition;
  final long offset;
  /**
   * The whole WebSocket frame, its header, then the JSON from {@link #payloadAt}, in direct memory (freed with the
   * frame, by the garbage collector): every socket's write is a view of it, nothing is copied. Never changed.
   */
  private final ByteBuffer wire;
  /** {@link #wire} as Netty's buffer, which a write's release leaves alone (the frame is written many times). */
  private final ByteBuf shared;
  private final int payloadAt;
  /** Null when the value is not a JSON object or has no event type. */
  final String eventType;
  /** The value of each channel field, in {@link ChannelFields} order; null where the envelope has none. */
  final String[] addressed;
  /** {@link System#currentTimeMillis()} when the tail read it: its age in the history. */
  final long readAt;
  /** A {@code skipped} frame: the value was not a JSON object. */
  final boolean skipped;

  Frame(String topic, int partition, long offset, byte[] json, String eventType, String[] addressed, long readAt,
      boolean skipped) {
    this.skipped = skipped;
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    byte[] bytes = wire(json);
    this.wire = ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
    this.shared = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(wire));
    this.payloadAt = bytes.length - json.length;
    this.eventType = eventType;
    this.addressed = addressed;
    this.readAt = readAt;
  }

  /**
   * The WebSocket text frame (server to client: FIN, opcode 1, no mask, the payload's length, then the UTF-8 JSON) for
   * one socket's write: a view of the memory every socket's write shares, so the frame is encoded once, not per socket.
   */
  public ByteBuf buffer() {
    return shared.duplicate();
  }

  /** The frame's length on the wire, in bytes. */
  public int size() {
    return wire.capacity();
  }

  /** The frame's JSON text. */
  public String json() {
    byte[] json = new byte[size() - payloadAt];
    wire.get(payloadAt, json);
    return new String(json, StandardCharsets.UTF_8);
  }

  /** {@code json} as one final WebSocket text frame from the server (RFC 6455 5.2: servers do not mask). */
  public static byte[] wire(byte[] json) {
    int n = json.length;
    int header = n < 126 ? 2 : n < 65_536 ? 4 : 10;
    byte[] out = new byte[header + n];
    out[0] = (byte) 0x81; // FIN, text
    if (n < 126) {
      out[1] = (byte) n;
    } else if (n < 65_536) {
      out[1] = 126;
      out[2] = (byte) (n >>> 8);
      out[3] = (byte) n;
    } else {
      out[1] = 127;
      for (int i = 0; i < 8; i++) {
        out[2 + i] = (byte) ((long) n >>> (56 - 8 * i));
      }
    }
    System.arraycopy(json, 0, out, header, n);
    return out;
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
      envelope = new JsonObject(json()).getJsonObject("event");
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
