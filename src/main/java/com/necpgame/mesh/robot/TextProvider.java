package com.necpgame.mesh.robot;

import io.vertx.core.Future;

/** Where a robot's words come from: the local generator, or a remote chat-completions model. */
public interface TextProvider {

  /** The answer text, or for a vote the identity letter; a failed future when the provider could not answer. */
  Future<String> answer(Task task);
}
