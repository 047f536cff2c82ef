package com.necpgame.mesh.robot;

import com.necpgame.mesh.config.MatchConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The Anthropic Messages API ({@code POST <base_url>/messages}, headers {@code x-api-key} and {@code
 * anthropic-version}): {@code model}, {@code max_tokens}, the persona as {@code system}, the round as the one {@code
 * user} message; the answer is the text of its {@code content[]} blocks of type {@code text}, its tokens {@code
 * usage.input_tokens} / {@code output_tokens}. Errors come as {@code {"type":"error","error":{"type","message"}}}:
 * 429 {@code rate_limit_error} with {@code retry-after}, 529 {@code overloaded_error}, 400 {@code
 * invalid_request_error}, 401 {@code authentication_error}.
 */
public final class AnthropicProvider extends RemoteProvider {

  public AnthropicProvider(Vertx vertx, MatchConfig.Remote remote, MatchConfig.Llm llm) {
    super(vertx, remote, llm, System::currentTimeMillis);
  }

  @Override
  protected String path() {
    return "/messages";
  }

  @Override
  protected JsonObject body(Task task) {
    return new JsonObject().put("model", remote.model()).put("max_tokens", MAX_TOKENS).put("stream", false)
        .put("system", Persona.of(task.type()).systemPrompt())
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", userMessage(task))));
  }

  @Override
  protected void headers(RequestOptions request) {
    request.putHeader("anthropic-version", remote.version());
    if (!remote.apiKey().isEmpty()) {
      request.putHeader("x-api-key", remote.apiKey());
    }
  }

  @Override
  protected Reply reply(JsonObject json) {
    JsonArray content = json.getJsonArray("content");
    StringBuilder text = new StringBuilder();
    if (content != null) {
      for (Object o : content) {
        JsonObject block = (JsonObject) o;
        if ("text".equals(block.getString("type")) && block.getString("text") != null) {
          text.append(block.getString("text"));
        }
      }
    }
    if (text.toString().isBlank()) {
      throw new ProviderException("bad_answer", "messages answered without text (stop_reason "
          + json.getString("stop_reason") + ")");
    }
    JsonObject usage = json.getJsonObject("usage", new JsonObject());
    return new Reply(text.toString().strip(), usage.getLong("input_tokens", 0L), usage.getLong("output_tokens", 0L));
  }
}
