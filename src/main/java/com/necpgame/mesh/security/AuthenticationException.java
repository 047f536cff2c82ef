package com.necpgame.mesh.security;

/** Credentials missing or not accepted (401). The message says why without repeating the credentials. */
public final class AuthenticationException extends RuntimeException {

  private final String claimed;

  AuthenticationException(String message, String claimed) {
    super(message, null, false, false);
    this.claimed = claimed;
  }

  /** The principal the caller claimed to be, when known (a valid JWT for an unknown subject), else null. */
  public String claimed() {
    return claimed;
  }
}
