package com.necpgame.mesh.envelope;

import io.vertx.core.json.JsonObject;

/** One reason an event is invalid: the JSON pointer (RFC 6901) of the field and what is wrong with it. */
public record Violation(String pointer, String message) {

  public JsonObject toJson() {
    return new JsonObject().put("pointer", pointer).put("message", message);
  }
}
