package com.necpgame.mesh.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class WebhookSignatureTest {

  private static final byte[] BODY = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);

  /** The worked example of the Standard Webhooks specification (and Svix's documentation). */
  @Test
  void matchesTheStandardWebhooksExample() {
    assertEquals("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", WebhookSignature.sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, BODY));
  }

  @Test
  void duringARotationBothSecretsVerify() {
    String old = WebhookSignature.newSecret();
    String current = WebhookSignature.newSecret();
    assertNotEquals(old, current);
    assertTrue(current.startsWith("whsec_"));
    assertEquals(32, Base64.getDecoder().decode(current.substring(6)).length);
    String header = WebhookSignature.header(Arrays.asList(current, old, null), "msg_1", 1700000000L, BODY);
    assertEquals(2, header.split(" ").length);
    assertTrue(WebhookSignature.verify(current, "msg_1", 1700000000L, BODY, header));
    assertTrue(WebhookSignature.verify(old, "msg_1", 1700000000L, BODY, header));
    assertFalse(WebhookSignature.verify(WebhookSignature.newSecret(), "msg_1", 1700000000L, BODY, header),
        "a wrong secret fails");
    assertFalse(WebhookSignature.verify(current, "msg_1", 1700000001L, BODY, header), "another timestamp fails");
    assertFalse(WebhookSignature.verify(current, "msg_1", 1700000000L, "{}".getBytes(StandardCharsets.UTF_8), header),
        "another body fails");
  }
}
