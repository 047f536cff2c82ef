package com.necpgame.mesh.robot;

import io.vertx.core.Future;

/** Where a robot's words come from: the local generator, or a remote chat model. */
public interface TextProvider {

  /** What a provider answered: the text (for a vote, the model's reply), and the tokens it read and wrote. */
  record Reply(String text, long tokensIn, long tokensOut) {}

  /** {@code local}, {@code openai} or {@code anthropic}: the name in {@code llm.providers} and in the metrics. */
  String name();

  /** The answer, or a failed future (a {@link ProviderException} for an answer refused) when it could not answer. */
  Future<Reply> answer(Task task);

  /** An active health probe: succeeds when the provider answers now. */
  Future<Void> probe();
}
