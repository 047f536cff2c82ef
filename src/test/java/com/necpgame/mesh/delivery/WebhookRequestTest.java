package com.necpgame.mesh.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.core.net.SocketAddress;
import java.net.InetAddress;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A webhook request goes to the address the policy judged, never to one the HTTP client would look up itself: the
 * server address is that IP without a name (nothing left to resolve, and pooled connections are per address), while
 * the endpoint's host stays the Host header and TLS server name.
 */
class WebhookRequestTest {

  @Test
  void connectsToTheJudgedAddressAndKeepsTheHostForHeaderAndTls() throws Exception {
    InetAddress judged = InetAddress.getByAddress("hooks.example.com", new byte[] {93, (byte) 184, (byte) 215, 14});
    RequestOptions r = WebhookDispatcher.request("https://hooks.example.com/in/bound?token=a%20b&x=1", judged);
    SocketAddress server = (SocketAddress) r.getServer();
    assertEquals("93.184.215.14", server.host());
    assertEquals("93.184.215.14", server.hostAddress());
    assertNull(server.hostName(), "no name left on the connect address for anything to resolve");
    assertEquals(443, server.port());
    assertEquals("hooks.example.com", r.getHost(), "Host header, TLS server name and certificate check");
    assertEquals(443, r.getPort());
    assertTrue(r.isSsl());
    assertEquals("/in/bound?token=a%20b&x=1", r.getURI());
    assertFalse(r.getFollowRedirects());
  }

  @Test
  void defaultsThePortAndPathAndReadsIpv6Literals() throws Exception {
    RequestOptions plain = WebhookDispatcher.request("http://receiver.example", InetAddress.getByName("8.8.4.4"));
    assertEquals(80, ((SocketAddress) plain.getServer()).port());
    assertEquals(80, plain.getPort());
    assertFalse(plain.isSsl());
    assertEquals("/", plain.getURI());

    RequestOptions v6 = WebhookDispatcher.request("http://[2606:4700::1111]:8443/hook",
        InetAddress.getByName("2606:4700::1111"));
    assertEquals("2606:4700:0:0:0:0:0:1111", ((SocketAddress) v6.getServer()).hostAddress());
    assertEquals(8443, ((SocketAddress) v6.getServer()).port());
    assertEquals("[2606:4700::1111]", v6.getHost());
    assertEquals("/hook", v6.getURI());
  }

  @Test
  void overTlsTheEndpointHostIsTheServerNameAndTheCertificateIsCheckedAgainstIt() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      SelfSignedCertificate cert = SelfSignedCertificate.create("hooks.example.test");
      HttpServer server = vertx.createHttpServer(new HttpServerOptions().setSsl(true).setSni(true)
              .setKeyCertOptions(cert.keyCertOptions()))
          .requestHandler(req -> req.response().end(req.connection().indicatedServerName() + " " + req.authority()))
          .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      // as the dispatcher's client, trusting this certificate instead of the JDK's authorities
      HttpClient client = vertx.createHttpClient(new HttpClientOptions().setTrustOptions(cert.trustOptions()));
      InetAddress loopback = InetAddress.getByName("127.0.0.1");
      String answer = client.request(WebhookDispatcher.request("https://hooks.example.test:" + server.actualPort() + "/tls",
              loopback).setMethod(HttpMethod.GET))
          .compose(req -> req.send().compose(resp -> resp.body()))
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).toString();
      assertEquals("hooks.example.test hooks.example.test:" + server.actualPort(), answer,
          "server name, then Host header (the name does not resolve: only the given address is connected to)");

      ExecutionException wrongName = assertThrows(ExecutionException.class, () -> client.request(
              WebhookDispatcher.request("https://wrong.example:" + server.actualPort() + "/tls", loopback)
                  .setMethod(HttpMethod.GET))
          .compose(req -> req.send()).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS));
      assertTrue(String.valueOf(wrongName.getCause()).contains("wrong.example")
              || String.valueOf(wrongName.getCause().getCause()).contains("wrong.example"),
          "the certificate is checked against the endpoint's host, not the address: " + wrongName.getCause());
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
