package com.necpgame.mesh.security;

import com.necpgame.mesh.config.SecurityConfig.Limits;

/**
 * Who a request is: the principal's name, how it proved it ({@code api_key}, {@code jwt}, {@code anonymous}), its ACL
 * and its token buckets for requests and events (null: unlimited), shared by every connection of that principal in
 * this process; {@code expiresAt} is when the credential stops being valid (epoch seconds of a JWT's {@code exp}; 0:
 * never, as an API key), after which a WebSocket opened with it is closed. {@code player} is the value of the JWT's
 * {@code security.jwt.player_claim} (null: not a player): a player streams only its own {@code player_id} channel
 * of the topics its ACL lets it subscribe to.
 */
public record Principal(String name, String via, Acl acl, TokenBucket requests, TokenBucket events, long expiresAt,
    String player) {

  public Principal(String name, String via, Acl acl, TokenBucket requests, TokenBucket events, long expiresAt) {
    this(name, via, acl, requests, events, expiresAt, null);
  }

  static Principal of(String name, String via, Acl acl, Limits limits, long now) {
    return new Principal(name, via, acl, bucket(limits.requestsPerSecond(), limits.requestBurst(), now),
        bucket(limits.eventsPerSecond(), limits.eventBurst(), now), 0);
  }

  /** The same principal (same buckets) authenticated another way. */
  Principal via(String how) {
    return new Principal(name, how, acl, requests, events, expiresAt, player);
  }

  /** The same principal with a credential valid until {@code epochSeconds}. */
  Principal until(long epochSeconds) {
    return new Principal(name, via, acl, requests, events, epochSeconds, player);
  }

  /** The same principal acting for one player (a JWT that carries the player claim). */
  Principal forPlayer(String playerId) {
    return new Principal(name, via, acl, requests, events, expiresAt, playerId);
  }

  static TokenBucket bucket(double perSecond, double burst, long now) {
    return perSecond <= 0 ? null : new TokenBucket(perSecond, burst, now);
  }
}
