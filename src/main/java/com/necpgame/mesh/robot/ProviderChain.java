package com.necpgame.mesh.robot;

import com.necpgame.mesh.config.MatchConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fallback chain of {@code llm.providers}: each task goes to the first provider, and to the next whenever one fails
 * (an error, a timeout, an open breaker, a rate limit still running, a vote that names nobody); the last is the local
 * provider, which always answers. Every call is measured in {@link RobotMetrics}.
 */
public final class ProviderChain {

  private static final Logger LOG = LoggerFactory.getLogger(ProviderChain.class);

  /**
   * The answer: its text (a vote: the letter), the provider that gave it and the ones that failed before it, its
   * tokens and estimated cost, and the time from the first call to the answer.
   */
  public record Answer(String text, String provider, List<String> failed, long tokensIn, long tokensOut,
      double costUsd, long latencyMs) {}

  private final List<TextProvider> providers;
  private final RobotMetrics metrics;

  public ProviderChain(List<TextProvider> providers, RobotMetrics metrics) {
    this.providers = List.copyOf(providers);
    this.metrics = metrics;
  }

  /**
   * The chain {@code llm.providers} names, in its order: {@code openai} the OpenAI-compatible provider, {@code
   * anthropic} the Anthropic Messages API, {@code local} the local one (config validation makes it the last). Its
   * remote providers hold HTTP clients and breakers: {@link #close} closes them.
   */
  public static ProviderChain of(Vertx vertx, MatchConfig.Llm llm, RobotMetrics metrics) {
    List<TextProvider> providers = new ArrayList<>();
    for (String name : llm.providers()) {
      providers.add(switch (name) {
        case "openai" -> new OpenAiProvider(vertx, llm.openai(), llm);
        case "anthropic" -> new AnthropicProvider(vertx, llm.anthropic(), llm);
        default -> new LocalProvider(llm.seed());
      });
    }
    return new ProviderChain(providers, metrics);
  }

  public List<TextProvider> providers() {
    return providers;
  }

  /** The remote providers, in chain order. */
  public List<RemoteProvider> remotes() {
    return providers.stream().filter(p -> p instanceof RemoteProvider).map(p -> (RemoteProvider) p).toList();
  }

  /** Closes the remote providers. */
  public void close() {
    remotes().forEach(RemoteProvider::close);
  }

  public Future<Answer> answer(Task task) {
    return attempt(task, 0, new ArrayList<>(), System.nanoTime());
  }

  private Future<Answer> attempt(Task task, int i, List<String> failed, long first) {
    TextProvider p = providers.get(i);
    long started = System.nanoTime();
    return p.answer(task).map(reply -> {
      String text = task.kind() == Task.Kind.VOTE && !(p instanceof LocalProvider) ? letter(reply.text(), task)
          : reply.text();
      double cost = metrics.answered(p.name(), task.type(), System.nanoTime() - started, reply);
      return new Answer(text, p.name(), List.copyOf(failed), reply.tokensIn(), reply.tokensOut(), cost,
          (System.nanoTime() - first) / 1_000_000);
    }).recover(e -> {
      metrics.failed(p.name(), task.type(), System.nanoTime() - started, ProviderException.reasonOf(e));
      failed.add(p.name());
      if (i + 1 >= providers.size()) {
        return Future.failedFuture(e);
      }
      LOG.debug("robot {}: {} failed ({}), {} answers", task.robotId(), p.name(), e.getMessage(),
          providers.get(i + 1).name());
      return attempt(task, i + 1, failed, first);
    });
  }

  /** A vote's letter from a model's reply: the first capital letter that names another participant. */
  static String letter(String reply, Task task) {
    for (char c : reply.toCharArray()) {
      String s = String.valueOf(c);
      if (Character.isUpperCase(c) && task.responses().containsKey(s) && !s.equals(task.ownIdentity())) {
        return s;
      }
    }
    throw new ProviderException("bad_answer", "the model's vote names no other participant");
  }
}
