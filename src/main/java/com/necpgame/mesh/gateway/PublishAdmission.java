package com.necpgame.mesh.gateway;

import com.necpgame.mesh.gateway.Publications.Admission;
import com.necpgame.mesh.gateway.Publications.Refusal;
import com.necpgame.mesh.security.Principal;
import com.necpgame.mesh.security.Security;
import com.necpgame.mesh.security.TokenBucket;
import java.util.function.LongConsumer;

/**
 * The ACL and rate limits applied to each event a principal publishes: its {@code publish} globs and the topics
 * reserved to the mesh ({@link Access#write}: 403, audited), its event bucket and the topic's producer limit ({@code
 * security.topic_limits}). Over HTTP an event over a limit is refused with 429 and a Retry-After; over a WebSocket it
 * is taken into debt and the socket is not read until the debt is paid, so a fast publisher is slowed down rather than
 * disconnected.
 */
final class PublishAdmission {

  private PublishAdmission() {}

  static Admission http(Security security, Principal principal, String remote) {
    return topic -> {
      Refusal denied = Access.write(security, principal, topic, "publish", remote);
      if (denied != null) {
        return denied;
      }
      long wait = Math.max(SecurityHandler.wait(principal.events(), 1),
          SecurityHandler.wait(security.topicBucket(topic), 1));
      if (wait > 0) {
        security.refused("rate_limited", "publish");
      }
      return wait == 0 ? null : new Refusal(429, "rate_limited", "over the rate limit of principal "
          + principal.name() + " or topic " + topic + "; retry later", null, SecurityHandler.retryAfterSeconds(wait));
    };
  }

  /** {@code pause} is told the nanoseconds a socket must not be read for, whenever an event left a debt. */
  static Admission webSocket(Security security, Principal principal, String remote, LongConsumer pause) {
    return topic -> {
      Refusal denied = Access.write(security, principal, topic, "publish", remote);
      if (denied != null) {
        return denied;
      }
      long wait = Math.max(debt(principal.events()), debt(security.topicBucket(topic)));
      if (wait > 0) {
        security.refused("rate_limited", "websocket_pause");
        pause.accept(wait);
      }
      return null;
    };
  }

  private static long debt(TokenBucket bucket) {
    return bucket == null ? 0 : bucket.take(1, System.nanoTime());
  }
}
