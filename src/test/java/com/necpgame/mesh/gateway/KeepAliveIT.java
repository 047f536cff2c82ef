package com.necpgame.mesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.testsupport.TestMesh;
import com.necpgame.mesh.testsupport.WsClient;
import io.vertx.core.json.JsonObject;
import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dead peers are reaped: the mesh pings every socket, and one that sends nothing back (no frame, no pong) within
 * {@code websocket.idle_timeout_ms} is closed with 1001 "idle"; a client that answers pings stays.
 */
class KeepAliveIT {

  private static Mesh mesh;
  private static int port;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    port = TestMesh.freePort();
    mesh = Mesh.start(TestMesh.config(dir, port, new JsonObject()
        .put("kafka", new JsonObject().put("request_timeout_ms", 60000))
        .put("websocket", new JsonObject().put("ping_interval_ms", 200).put("idle_timeout_ms", 1500))));
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  void aPeerThatNeverAnswersIsClosedAsIdleAfterBeingPinged() throws Exception {
    try (Socket raw = new Socket("127.0.0.1", port)) {
      raw.setSoTimeout(30_000);
      OutputStream out = raw.getOutputStream();
      String key = Base64.getEncoder().encodeToString("0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
      out.write(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      DataInputStream in = new DataInputStream(raw.getInputStream());
      StringBuilder head = new StringBuilder();
      while (!head.toString().endsWith("\r\n\r\n")) {
        head.append((char) in.readUnsignedByte());
      }
      assertTrue(head.toString().startsWith("HTTP/1.1 101"), head.toString());
      long opened = System.currentTimeMillis();
      int pings = 0;
      while (true) { // server frames are not masked; control frames are short
        int opcode = in.readUnsignedByte() & 0x0f;
        int length = in.readUnsignedByte() & 0x7f;
        byte[] payload = new byte[length];
        in.readFully(payload);
        if (opcode == 0x9) {
          pings++; // never answered
        } else if (opcode == 0x8) {
          int code = ((payload[0] & 0xff) << 8) | (payload[1] & 0xff);
          String reason = new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8);
          assertEquals(1001, code);
          assertEquals("idle", reason);
          break;
        }
      }
      long after = System.currentTimeMillis() - opened;
      assertTrue(pings >= 2, "pinged before being closed: " + pings);
      assertTrue(after >= 1400, "not before websocket.idle_timeout_ms: " + after + " ms");
    }
  }

  @Test
  void aClientThatAnswersPingsStaysOpenWhileSilent() throws Exception {
    try (WsClient client = WsClient.connect(port)) {
      assertNull(client.poll(3500), "nothing sent to it, and it was not closed");
      assertNull(client.closedNow());
      client.send(new JsonObject().put("op", "ping"));
      assertEquals("pong", client.next(10).getString("type"));
    }
  }
}
