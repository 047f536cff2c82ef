package com.necpgame.mesh.robot;

import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A remote provider with the local one behind it: whatever the remote one fails (error, timeout, open breaker). */
public final class FallbackProvider implements TextProvider {

  private static final Logger LOG = LoggerFactory.getLogger(FallbackProvider.class);

  private final TextProvider primary;
  private final LocalProvider fallback;

  public FallbackProvider(TextProvider primary, LocalProvider fallback) {
    this.primary = primary;
    this.fallback = fallback;
  }

  @Override
  public Future<String> answer(Task task) {
    return primary.answer(task).map(text -> task.kind() == Task.Kind.VOTE ? letter(text, task) : text)
        .recover(e -> {
          LOG.debug("robot {} falls back to the local provider: {}", task.robotId(), e.toString());
          return fallback.answer(task);
        });
  }

  /** A vote's letter from a model's reply: the first letter that names another participant. */
  static String letter(String reply, Task task) {
    for (char c : reply.toCharArray()) {
      String s = String.valueOf(c);
      if (Character.isUpperCase(c) && task.responses().containsKey(s) && !s.equals(task.ownIdentity())) {
        return s;
      }
    }
    throw new IllegalArgumentException("the model's vote names no other participant: " + reply);
  }
}
