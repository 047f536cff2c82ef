package com.necpgame.mesh.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class BrowserPolicyTest {

  private final BrowserPolicy policy = new BrowserPolicy(List.of("https://Console.Example:8443"),
      List.of("localhost", "127.0.0.1", "[::1]"));

  @Test
  void theGatewaysOwnOriginAndListedOnesAreAllowed() {
    assertTrue(policy.originAllowed(null, "127.0.0.1:8080", false), "no Origin: not a browser");
    assertTrue(policy.originAllowed("http://127.0.0.1:8080", "127.0.0.1:8080", false));
    assertTrue(policy.originAllowed("http://LOCALHOST", "localhost:80", false), "default port, any case");
    assertTrue(policy.originAllowed("https://gw.example", "gw.example", true));
    assertTrue(policy.originAllowed("https://console.example:8443", "127.0.0.1:8080", false), "listed");
  }

  @Test
  void foreignOriginsAreRefused() {
    assertFalse(policy.originAllowed("https://evil.example", "127.0.0.1:8080", false));
    assertFalse(policy.originAllowed("http://127.0.0.1:9999", "127.0.0.1:8080", false), "another port");
    assertFalse(policy.originAllowed("https://127.0.0.1:8080", "127.0.0.1:8080", false), "another scheme");
    assertFalse(policy.originAllowed("null", "127.0.0.1:8080", false), "sandboxed page or file");
    assertFalse(policy.originAllowed("https://console.example", "127.0.0.1:8080", false), "listed port only");
    assertFalse(policy.originAllowed("http://127.0.0.1:8080", null, false), "no Host to be the same origin as");
  }

  @Test
  void hostsAreCheckedByNameWithAnyPort() {
    assertTrue(policy.hostAllowed("127.0.0.1:8080"));
    assertTrue(policy.hostAllowed("LocalHost"));
    assertTrue(policy.hostAllowed("[::1]:8080"));
    assertTrue(policy.hostAllowed(null), "no Host: not a browser");
    assertFalse(policy.hostAllowed("evil.example:8080"), "DNS rebinding");
    assertFalse(policy.hostAllowed("localhost.evil.example"));
    assertFalse(policy.hostAllowed("[::2]:8080"));
    assertEquals("[::1]", BrowserPolicy.hostName("[::1]:80"));
  }
}
