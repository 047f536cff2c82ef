package com.necpgame.mesh.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.security.AddressPolicy;
import com.necpgame.mesh.security.Cidr;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code delivery.webhook.allow_loopback} and {@code delivery.webhook.allowed_cidrs}, read at start-up. */
class WebhookAddressesConfigTest {

  /** A mesh on {@code host} with these webhook settings (and a principal, so a non-loopback gateway may start). */
  private static AddressPolicy policy(String host, JsonObject webhook) {
    return ConfigLoader.load(new JsonObject()
        .put("http", new JsonObject().put("host", host))
        .put("security", new JsonObject().put("principals", new JsonObject().put("ops", new JsonObject()
            .put("api_keys", new JsonArray().add("an-api-key-of-test-length")))))
        .put("delivery", new JsonObject().put("webhook", webhook)), Map.of()).delivery().webhookAddresses();
  }

  private static String problemsOf(JsonObject webhook) {
    return String.join("\n", assertThrows(ConfigException.class, () -> policy("127.0.0.1", webhook)).problems());
  }

  @Test
  void autoAllowsLoopbackTargetsOnlyWhileTheGatewayBindsLoopback() {
    assertTrue(policy("127.0.0.1", new JsonObject()).allowLoopback(), "the default is auto: a laptop");
    assertTrue(policy("localhost", new JsonObject()).allowLoopback());
    assertTrue(policy("::1", new JsonObject()).allowLoopback());
    assertFalse(policy("0.0.0.0", new JsonObject()).allowLoopback(), "a mesh others can reach");
    assertFalse(policy("0.0.0.0", new JsonObject().put("allow_loopback", "auto")).allowLoopback());
    assertTrue(policy("0.0.0.0", new JsonObject().put("allow_loopback", true)).allowLoopback());
    assertFalse(policy("127.0.0.1", new JsonObject().put("allow_loopback", false)).allowLoopback());
    assertEquals(List.of(), policy("127.0.0.1", new JsonObject()).allowedCidrs(), "no block is listed by default");
  }

  @Test
  void listedBlocksAreParsedAtStartUp() {
    AddressPolicy policy = policy("0.0.0.0", new JsonObject().put("allowed_cidrs",
        new JsonArray().add("10.20.0.0/16").add("fd00:1::/48").add("192.168.7.9")));
    assertEquals(List.of(Cidr.parse("10.20.0.0/16"), Cidr.parse("fd00:1::/48"), Cidr.parse("192.168.7.9/32")),
        policy.allowedCidrs());
  }

  @Test
  void anInvalidBlockOrSettingStopsStartUpNamingTheKey() {
    String problems = problemsOf(new JsonObject().put("allowed_cidrs", new JsonArray().add("10.0.0.0/8")
        .add("10.0.0.0/33").add("intranet").add(7)));
    assertTrue(problems.contains("delivery.webhook.allowed_cidrs[1]: \"10.0.0.0/33\": the prefix length must be 0-32"),
        problems);
    assertTrue(problems.contains("delivery.webhook.allowed_cidrs[2]: expected an IPv4 or IPv6 block"), problems);
    assertTrue(problems.contains("delivery.webhook.allowed_cidrs[3]: expected a CIDR block"), problems);
    assertFalse(problems.contains("allowed_cidrs[0]"), problems);
    String loopback = problemsOf(new JsonObject().put("allow_loopback", "yes"));
    assertTrue(loopback.contains("delivery.webhook.allow_loopback: expected \"auto\", true or false, got \"yes\""),
        loopback);
    String notAList = problemsOf(new JsonObject().put("allowed_cidrs", "10.0.0.0/8"));
    assertTrue(notAList.contains("delivery.webhook.allowed_cidrs: expected an array"), notAList);
  }
}
