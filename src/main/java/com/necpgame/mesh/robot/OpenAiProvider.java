package com.necpgame.mesh.robot;

import com.necpgame.mesh.config.MatchConfig;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An OpenAI-compatible chat-completions client ({@code POST <base_url>/chat/completions}): the persona as the system
 * message, the round (prompt, earlier answers, or the answers to vote on) as the user message. Each call has a
 * timeout and retries; a circuit breaker stops calling after repeated failures. The API key is sent as a bearer token
 * and never logged.
 */
public final class OpenAiProvider implements TextProvider, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(OpenAiProvider.class);

  private final MatchConfig.Llm config;
  private final HttpClient http;
  private final CircuitBreaker breaker;

  public OpenAiProvider(Vertx vertx, MatchConfig.Llm config) {
    this.config = config;
    this.http = vertx.createHttpClient(new HttpClientOptions().setSsl("https".equals(config.baseUrl().getScheme())));
    this.breaker = CircuitBreaker.create("llm " + config.baseUrl().getHost(), vertx, new CircuitBreakerOptions()
        .setMaxFailures(config.breakerMaxFailures()).setResetTimeout(config.breakerResetMs()).setTimeout(-1)
        .setMaxRetries(config.maxRetries()));
    breaker.openHandler(v -> LOG.warn("LLM breaker for {} opened: robots use the local provider for {} ms",
        config.baseUrl().getHost(), config.breakerResetMs()))
        .closeHandler(v -> LOG.info("LLM breaker for {} closed", config.baseUrl().getHost()));
  }

  public CircuitBreakerState state() {
    return breaker.state();
  }

  @Override
  public Future<String> answer(Task task) {
    JsonObject body = new JsonObject().put("model", config.model()).put("max_tokens", 120)
        .put("messages", new JsonArray()
            .add(new JsonObject().put("role", "system").put("content", Persona.of(task.type()).systemPrompt()))
            .add(new JsonObject().put("role", "user").put("content", userMessage(task))));
    String path = config.baseUrl().getPath().replaceAll("/$", "") + "/chat/completions";
    int port = config.baseUrl().getPort() > 0 ? config.baseUrl().getPort()
        : "https".equals(config.baseUrl().getScheme()) ? 443 : 80;
    RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setHost(config.baseUrl().getHost())
        .setPort(port).setURI(path).setIdleTimeout(config.timeoutMs())
        .putHeader("content-type", "application/json");
    if (!config.apiKey().isEmpty()) {
      request.putHeader("authorization", "Bearer " + config.apiKey());
    }
    Buffer payload = body.toBuffer();
    return breaker.execute(promise -> http.request(request)
        .compose(req -> req.send(payload))
        .compose(resp -> resp.body().map(b -> {
          if (resp.statusCode() / 100 != 2) {
            throw new IllegalStateException("chat completions answered " + resp.statusCode());
          }
          return content(b);
        }))
        .timeout(config.timeoutMs(), TimeUnit.MILLISECONDS)
        .onComplete(promise));
  }

  /** The first choice's message content; an answer without one is a failure. */
  static String content(Buffer body) {
    JsonObject json = new JsonObject(body);
    JsonArray choices = json.getJsonArray("choices");
    if (choices == null || choices.isEmpty()) {
      throw new IllegalStateException("chat completions answered without choices");
    }
    String text = choices.getJsonObject(0).getJsonObject("message").getString("content");
    if (text == null || text.isBlank()) {
      throw new IllegalStateException("chat completions answered an empty message");
    }
    return text.strip();
  }

  static String userMessage(Task task) {
    StringBuilder m = new StringBuilder();
    if (!task.history().isEmpty()) {
      m.append("Your earlier answers in this game:\n");
      task.history().forEach(h -> m.append("- ").append(h).append('\n'));
    }
    if (task.kind() == Task.Kind.RESPONSE) {
      m.append("Round ").append(task.round()).append(". Answer this: ").append(task.prompt());
    } else {
      m.append("Round ").append(task.round()).append(". The question was: ").append(task.prompt())
          .append("\nYou are ").append(task.ownIdentity()).append(". The answers were:\n");
      task.responses().forEach((identity, text) -> m.append(identity).append(": ").append(text).append('\n'));
      m.append("Which one is the real human? Reply with the letter only, not your own.");
    }
    return m.toString();
  }

  @Override
  public void close() {
    breaker.close();
    http.close();
  }
}
