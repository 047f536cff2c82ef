package com.necpgame.mesh.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.ConnectException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** Found by the fuzz suite: {@code GET /deliveries} showed {@code io.netty...AnnotatedConnectException: ...}. */
class WebhookFailureReasonTest {

  @Test
  void aFailedDeliveryRecordsTheMessageNotTheExceptionClass() {
    assertEquals("Connection refused: /127.0.0.1:1",
        WebhookDispatcher.reason(new ConnectException("Connection refused: /127.0.0.1:1")));
  }

  @Test
  void aFailureWithoutMessageRecordsTheSimpleClassName() {
    assertEquals("TimeoutException", WebhookDispatcher.reason(new TimeoutException()));
  }
}
