package com.necpgame.mesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.Mesh;
import com.necpgame.mesh.testsupport.TestKafka;
import com.necpgame.mesh.testsupport.TestMesh;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS from PEM files ({@code http.tls.*}): a client trusting the certificate is served; plain HTTP to the same port
 * is not. The key pair is made for the test by the JDK's keytool and lives only in the test's temporary directory.
 */
class TlsIT {

  private static final char[] STORE_PASSWORD = "test-only".toCharArray();
  private static Mesh mesh;
  private static int port;
  private static HttpClient https;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    Path store = dir.resolve("test.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "mesh", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
        "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-storetype", "PKCS12",
        "-keystore", store.toString(), "-storepass", new String(STORE_PASSWORD), "-keypass", new String(STORE_PASSWORD))
        .redirectErrorStream(true).start();
    String output = new String(keytool.getInputStream().readAllBytes());
    assertEquals(0, keytool.waitFor(), output);

    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      keys.load(in, STORE_PASSWORD);
    }
    Certificate cert = keys.getCertificate("mesh");
    Path certFile = dir.resolve("cert.pem");
    Path keyFile = dir.resolve("key.pem");
    Files.writeString(certFile, pem("CERTIFICATE", cert.getEncoded()));
    Files.writeString(keyFile, pem("PRIVATE KEY", keys.getKey("mesh", STORE_PASSWORD).getEncoded()));

    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("mesh", cert);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    https = HttpClient.newBuilder().sslContext(ssl).build();

    port = TestMesh.freePort();
    mesh = Mesh.start(TestMesh.config(dir, port, new JsonObject().put("http", new JsonObject().put("tls",
        new JsonObject().put("enabled", true).put("cert_file", certFile.toString())
            .put("key_file", keyFile.toString())))));
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  void servesHttpsWithTheConfiguredCertificate() throws Exception {
    HttpResponse<String> health = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port
        + "/health")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, health.statusCode());
    assertEquals("healthy", new JsonObject(health.body()).getString("status"));
    HttpResponse<String> stats = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port
        + "/stats")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, stats.statusCode(), "anonymous on loopback, as without TLS");
  }

  /** The hub writes its frames to the connection itself: over TLS they must go through its encryption like the rest. */
  @Test
  void webSocketEventsComeOverTls() throws Exception {
    String topic = TestKafka.createTopic("tls-ws", 2);
    BlockingQueue<String> frames = new LinkedBlockingQueue<>();
    WebSocket ws = https.newWebSocketBuilder().buildAsync(URI.create("wss://127.0.0.1:" + port + "/ws"),
        new WebSocket.Listener() {
          private final StringBuilder text = new StringBuilder();

          @Override
          public CompletionStage<?> onText(WebSocket socket, CharSequence data,
              boolean last) {
            text.append(data);
            if (last) {
              frames.add(text.toString());
              text.setLength(0);
            }
            socket.request(1);
            return null;
          }
        }).get(30, TimeUnit.SECONDS);
    ws.sendText(new JsonObject().put("op", "subscribe").put("topics", new JsonArray().add(topic))
        .encode(), true).get(30, TimeUnit.SECONDS);
    assertEquals("subscribed", new JsonObject(frames.poll(30, TimeUnit.SECONDS))
        .getString("type"));
    JsonArray events = new JsonArray();
    for (int i = 0; i < 10; i++) {
      events.add(new JsonObject().put("event_type", "game.kill").put("topic", topic).put("source", "tls-test")
          .put("payload", new JsonObject().put("n", i).put("pad", "x".repeat(i * 3000))));
    }
    HttpResponse<String> published = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port
        + "/events/publish/batch")).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("events", events).encode())).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, published.statusCode(), published.body());
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 10; i++) {
      String frame = frames.poll(30, TimeUnit.SECONDS);
      assertNotNull(frame, "event " + i + " came");
      JsonObject data = new JsonObject(frame).getJsonObject("event").getJsonObject("data");
      assertEquals("x".repeat(data.getInteger("n") * 3000), data.getString("pad"), "whole and intact");
      seen.add(data.getInteger("n"));
    }
    assertEquals(10, seen.size());
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(30, TimeUnit.SECONDS);
  }

  @Test
  void plainHttpIsNotServed() {
    HttpClient plain = HttpClient.newHttpClient();
    Exception e = assertThrows(IOException.class, () -> plain.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + port + "/health")).timeout(java.time.Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString()));
    assertTrue(e != null);
  }

  @Test
  void untrustedClientsFailTheHandshake() {
    assertThrows(IOException.class, () -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("https://127.0.0.1:" + port + "/health")).build(), HttpResponse.BodyHandlers.ofString()));
  }
}
