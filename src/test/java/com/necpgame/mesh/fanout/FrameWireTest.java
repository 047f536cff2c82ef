package com.necpgame.mesh.fanout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The frames the hub writes as they are: what a client's WebSocket decoder reads back, at every length encoding. */
class FrameWireTest {

  @Test
  void everyLengthEncodingDecodesToTheSameTextInOneFinalUnmaskedFrame() {
    for (int length : new int[] {0, 1, 125, 126, 127, 65_535, 65_536, 200_000}) {
      int body = Math.max(0, length - 2);
      String json = "\"" + "é".repeat(body / 2) + "x".repeat(body % 2) + "\""; // é is 2 bytes: length bytes in all
      byte[] utf8 = json.getBytes(StandardCharsets.UTF_8);
      byte[] wire = Frame.wire(utf8);
      assertEquals(0x81, wire[0] & 0xff, "FIN and the text opcode");
      assertEquals(0, wire[1] & 0x80, "a server never masks");
      EmbeddedChannel client = new EmbeddedChannel(new WebSocket08FrameDecoder(WebSocketDecoderConfig.newBuilder()
          .expectMaskedFrames(false).allowMaskMismatch(false).maxFramePayloadLength(1 << 20).build()));
      assertTrue(client.writeInbound(Unpooled.wrappedBuffer(wire)), "a whole frame at " + utf8.length + " bytes");
      TextWebSocketFrame frame = client.readInbound();
      assertTrue(frame.isFinalFragment());
      assertEquals(json, frame.text(), "at " + utf8.length + " bytes");
      assertEquals(utf8.length, frame.content().readableBytes());
      frame.release();
      assertNull(client.readInbound(), "nothing after it");
      client.finishAndReleaseAll();
    }
  }

  @Test
  void everySocketsWriteGetsTheWholeFrameAndAWritesReleaseLeavesItForTheNext() {
    byte[] json = "{\"type\":\"event\",\"offset\":1}".getBytes(StandardCharsets.UTF_8);
    Frame frame = new Frame("t", 0, 1, json, null, new String[0], 0, false);
    for (int socket = 0; socket < 3; socket++) {
      ByteBuf write = frame.buffer();
      assertTrue(write.isDirect(), "no copy into direct memory at write time");
      byte[] sent = new byte[write.readableBytes()];
      write.readBytes(sent);
      assertArrayEquals(Frame.wire(json), sent, "socket " + socket);
      write.release(); // what Netty does once the bytes are written
    }
    assertEquals("{\"type\":\"event\",\"offset\":1}", frame.json());
    assertEquals(Frame.wire(json).length, frame.size());
  }
}
