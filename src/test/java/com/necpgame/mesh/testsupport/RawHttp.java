package com.necpgame.mesh.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * HTTP/1.1 written byte for byte on a socket, for requests no well-behaved client sends (CR/LF in a header, invalid
 * UTF-8, a bad percent-encoding): the request goes out with {@code Connection: close} and the answer is read to its
 * Content-Length, or else to EOF.
 */
public final class RawHttp {

  private RawHttp() {}

  /** An answer: the status (-1 when the server closed without one), the head and the body as text. */
  public record Response(int status, String head, String body) {
    public boolean answered() {
      return status > 0;
    }
  }

  /** {@code method target} with these extra header lines (each without CR/LF at its end) and body. */
  public static byte[] request(String method, String target, String contentType, String[] headers, byte[] body) {
    StringBuilder head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n")
        .append("Host: 127.0.0.1\r\nConnection: close\r\n");
    if (contentType != null) {
      head.append("Content-Type: ").append(contentType).append("\r\n");
    }
    for (String h : headers) {
      head.append(h).append("\r\n");
    }
    if (body != null) {
      head.append("Content-Length: ").append(body.length).append("\r\n");
    }
    head.append("\r\n");
    byte[] h = head.toString().getBytes(StandardCharsets.ISO_8859_1);
    if (body == null) {
      return h;
    }
    byte[] all = new byte[h.length + body.length];
    System.arraycopy(h, 0, all, 0, h.length);
    System.arraycopy(body, 0, all, h.length, body.length);
    return all;
  }

  /** Sends {@code request} and reads the answer; a server that stops reading a large body still gets its answer read. */
  public static Response send(int port, byte[] request, int timeoutMs) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), timeoutMs);
      socket.setSoTimeout(timeoutMs);
      OutputStream out = socket.getOutputStream();
      try {
        for (int i = 0; i < request.length; i += 65536) {
          out.write(request, i, Math.min(65536, request.length - i));
        }
        out.flush();
      } catch (IOException e) {
        // the server answered (e.g. 413) and closed before the whole body was sent: read what it said
      }
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      InputStream in = socket.getInputStream();
      byte[] buf = new byte[16384];
      try {
        for (int n; !complete(answer.toByteArray()) && (n = in.read(buf)) >= 0; ) {
          answer.write(buf, 0, n);
        }
      } catch (SocketTimeoutException e) {
        throw new IOException("no end of answer within " + timeoutMs + " ms; so far: "
            + answer.toString(StandardCharsets.ISO_8859_1), e);
      } catch (IOException e) {
        // reset after the answer: keep what arrived
      }
      return parse(answer.toString(StandardCharsets.UTF_8));
    }
  }

  /** Whether {@code bytes} hold a whole answer with a Content-Length (else the answer ends when the server closes). */
  private static boolean complete(byte[] bytes) {
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    int end = text.indexOf("\r\n\r\n");
    if (end < 0) {
      return false;
    }
    for (String line : text.substring(0, end).split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        return bytes.length >= end + 4 + Long.parseLong(line.substring(15).trim());
      }
    }
    return false;
  }

  private static Response parse(String text) {
    if (!(text.startsWith("HTTP/1.1 ") || text.startsWith("HTTP/1.0 ")) || text.length() < 12) {
      return new Response(-1, text, "");
    }
    int end = text.indexOf("\r\n\r\n");
    String head = end < 0 ? text : text.substring(0, end);
    String body = end < 0 ? "" : text.substring(end + 4);
    return new Response(Integer.parseInt(text.substring(9, 12)), head, body);
  }
}
