package com.necpgame.mesh.security;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;

/**
 * What a browser may reach of a gateway (a web page is an attacker too: any page the user opens can open a WebSocket
 * to {@code 127.0.0.1} and read its frames, and a DNS-rebound page can call the REST API as the same origin).
 * <ul>
 *   <li>An {@code Origin} is allowed when it is the gateway's own (same scheme, host and port as the request's
 *   {@code Host}) or listed in {@code security.allowed_origins}; a request without {@code Origin} (not a browser,
 *   or a same-origin GET) passes.</li>
 *   <li>A {@code Host} is allowed when its name (any port) is in {@code security.allowed_hosts}; a request without
 *   {@code Host} passes (browsers always send it).</li>
 * </ul>
 */
public final class BrowserPolicy {

  private final List<String> allowedOrigins;
  private final List<String> allowedHosts;

  public BrowserPolicy(List<String> allowedOrigins, List<String> allowedHosts) {
    this.allowedOrigins = allowedOrigins.stream().map(BrowserPolicy::normalOrigin).toList();
    this.allowedHosts = allowedHosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
  }

  /** Whether {@code origin} may use a gateway reached as {@code host} ({@code Host} header) over TLS or not. */
  public boolean originAllowed(String origin, String host, boolean tls) {
    if (origin == null) {
      return true;
    }
    String normal = normalOrigin(origin);
    if (allowedOrigins.contains(normal)) {
      return true;
    }
    return host != null && normal.equals(normalOrigin((tls ? "https://" : "http://") + host));
  }

  /** Whether the {@code Host} header names an allowed host (its port does not matter). */
  public boolean hostAllowed(String host) {
    return host == null || allowedHosts.contains(hostName(host).toLowerCase(Locale.ROOT));
  }

  /** {@code example.com:8080} → {@code example.com}; {@code [::1]:8080} → {@code [::1]}. */
  static String hostName(String host) {
    String h = host.trim();
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      return end < 0 ? h : h.substring(0, end + 1);
    }
    int colon = h.indexOf(':');
    return colon < 0 ? h : h.substring(0, colon);
  }

  /**
   * An origin as scheme://host:port in lower case with its port spelled out, so {@code http://LocalHost} and {@code
   * http://localhost:80} compare equal; what does not parse stays as given (and matches only itself, as {@code null}).
   */
  static String normalOrigin(String origin) {
    try {
      URI uri = new URI(origin.trim());
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (uri.getHost() == null || !(scheme.equals("http") || scheme.equals("https"))) {
        return origin;
      }
      int port = uri.getPort() >= 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
      return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + ":" + port;
    } catch (URISyntaxException e) {
      return origin;
    }
  }
}
