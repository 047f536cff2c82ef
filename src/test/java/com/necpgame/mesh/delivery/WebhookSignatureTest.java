package com.necpgame.mesh.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class WebhookSignatureTest {

  private static final Instant SENT = Instant.ofEpochSecond(1700000010L);
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
    assertTrue(WebhookSignature.verify(current, "msg_1", 1700000000L, BODY, header, SENT));
    assertTrue(WebhookSignature.verify(old, "msg_1", 1700000000L, BODY, header, SENT));
    assertFalse(WebhookSignature.verify(WebhookSignature.newSecret(), "msg_1", 1700000000L, BODY, header, SENT),
        "a wrong secret fails");
    assertFalse(WebhookSignature.verify(current, "msg_1", 1700000001L, BODY, header, SENT), "another timestamp fails");
    assertFalse(WebhookSignature.verify(current, "msg_1", 1700000000L, "{}".getBytes(StandardCharsets.UTF_8), header,
        SENT), "another body fails");
  }

  /** A captured request sent again later (or dated ahead to be sent later) is refused, however valid its signature. */
  @Test
  void refusesTimestampsMoreThanFiveMinutesFromNow() {
    String secret = WebhookSignature.newSecret();
    long now = Instant.now().getEpochSecond();
    String fresh = WebhookSignature.header(List.of(secret), "msg_1", now, BODY);
    assertTrue(WebhookSignature.verify(secret, "msg_1", now, BODY, fresh), "a request signed now verifies");
    for (long skew : new long[] {-301, 301, -3600, 86_400}) {
      long stamped = now + skew;
      String replayed = WebhookSignature.header(List.of(secret), "msg_1", stamped, BODY);
      assertFalse(WebhookSignature.verify(secret, "msg_1", stamped, BODY, replayed), "refused at skew " + skew + " s");
    }
    Instant at = Instant.ofEpochSecond(1700000000L);
    for (long skew : new long[] {-300, 300}) {
      String edge = WebhookSignature.header(List.of(secret), "msg_1", 1700000000L + skew, BODY);
      assertTrue(WebhookSignature.verify(secret, "msg_1", 1700000000L + skew, BODY, edge, at), "accepted at " + skew);
    }
  }
}
