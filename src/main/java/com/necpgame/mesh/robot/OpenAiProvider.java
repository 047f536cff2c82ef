package com.necpgame.mesh.robot;

import com.necpgame.mesh.config.MatchConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * An OpenAI-compatible chat-completions client ({@code POST <base_url>/chat/completions}, {@code Authorization:
 * Bearer <key>}): the persona as the {@code system} message, the round as the {@code user} message; the answer is the
 * first choice's {@code message.content}, its tokens {@code usage.prompt_tokens} / {@code completion_tokens}.
 */
public final class OpenAiProvider extends RemoteProvider {

  public OpenAiProvider(Vertx vertx, MatchConfig.Remote remote, MatchConfig.Llm llm) {
    super(vertx, remote, llm, System::currentTimeMillis);
  }

  @Override
  protected String path() {
    return "/chat/completions";
  }

  @Override
  protected JsonObject body(Task task) {
    return new JsonObject().put("model", remote.model()).put("max_tokens", MAX_TOKENS).put("stream", false)
        .put("messages", new JsonArray()
            .add(new JsonObject().put("role", "system").put("content", Persona.of(task.type()).systemPrompt()))
            .add(new JsonObject().put("role", "user").put("content", userMessage(task))));
  }

  @Override
  protected void headers(RequestOptions request) {
    if (!remote.apiKey().isEmpty()) {
      request.putHeader("authorization", "Bearer " + remote.apiKey());
    }
  }

  @Override
  protected Reply reply(JsonObject json) {
    JsonArray choices = json.getJsonArray("choices");
    if (choices == null || choices.isEmpty()) {
      throw new ProviderException("bad_answer", "chat completions answered without choices");
    }
    String text = choices.getJsonObject(0).getJsonObject("message").getString("content");
    if (text == null || text.isBlank()) {
      throw new ProviderException("bad_answer", "chat completions answered an empty message");
    }
    JsonObject usage = json.getJsonObject("usage", new JsonObject());
    return new Reply(text.strip(), usage.getLong("prompt_tokens", 0L), usage.getLong("completion_tokens", 0L));
  }
}
