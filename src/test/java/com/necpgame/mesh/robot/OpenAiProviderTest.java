package com.necpgame.mesh.robot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.config.MatchConfig;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The chat-completions client against a local server speaking the protocol: recorded answers, errors, silence. */
class OpenAiProviderTest {

  /** A recorded chat-completions answer (the shape api.openai.com returns). */
  private static final String RECORDED = """
      {"id":"chatcmpl-9x","object":"chat.completion","created":1732000000,"model":"gpt-4o-mini",
       "choices":[{"index":0,"message":{"role":"assistant","content":"  ugh, cereal again. no time for anything else  "},
       "logprobs":null,"finish_reason":"stop"}],
       "usage":{"prompt_tokens":61,"completion_tokens":11,"total_tokens":72}}""";

  private Vertx vertx;
  private HttpServer server;
  private final AtomicReference<String> mode = new AtomicReference<>("ok");
  private final AtomicInteger calls = new AtomicInteger();
  private final AtomicReference<JsonObject> lastBody = new AtomicReference<>();
  private final AtomicReference<String> lastAuth = new AtomicReference<>();

  @BeforeEach
  void startServer() throws Exception {
    vertx = Vertx.vertx();
    server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      calls.incrementAndGet();
      lastAuth.set(req.getHeader("authorization"));
      if (!req.path().equals("/v1/chat/completions")) {
        req.response().setStatusCode(404).end();
        return;
      }
      lastBody.set(body.toJsonObject());
      switch (mode.get()) {
        case "ok" -> req.response().putHeader("content-type", "application/json").end(RECORDED);
        case "vote" -> req.response().putHeader("content-type", "application/json").end(new JsonObject()
            .put("choices", new JsonArray().add(new JsonObject().put("message", new JsonObject()
                .put("role", "assistant").put("content", "I think it's C.")))).encode());
        case "error" -> req.response().setStatusCode(500).end("{\"error\":{\"message\":\"overloaded\"}}");
        default -> { } // silent: never answers
      }
    })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private MatchConfig.Llm config(int maxFailures) {
    return new MatchConfig.Llm("openai", URI.create("http://127.0.0.1:" + server.actualPort() + "/v1"), "gpt-4o-mini",
        "sk-test", 300, 0, maxFailures, 60_000, 7);
  }

  private static Task task(Task.Kind kind) {
    return new Task(kind, "robot-1", "curious-student", "match-1", 1, "What did you have for breakfast?",
        List.of("earlier answer"), "B", Map.of("A", "x", "B", "y", "C", "z"));
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void answersWithTheModelsMessage() throws Exception {
    OpenAiProvider remote = new OpenAiProvider(vertx, config(5));
    assertEquals("ugh, cereal again. no time for anything else", await(remote.answer(task(Task.Kind.RESPONSE))));
    assertEquals("Bearer sk-test", lastAuth.get());
    JsonObject body = lastBody.get();
    assertEquals("gpt-4o-mini", body.getString("model"));
    assertEquals("system", body.getJsonArray("messages").getJsonObject(0).getString("role"));
    assertTrue(body.getJsonArray("messages").getJsonObject(1).getString("content").contains("earlier answer"));
    mode.set("vote");
    assertEquals("C", await(new FallbackProvider(remote, new LocalProvider(7)).answer(task(Task.Kind.VOTE))));
  }

  @Test
  void fallsBackToTheLocalProviderOnAServerError() throws Exception {
    mode.set("error");
    LocalProvider local = new LocalProvider(7);
    FallbackProvider provider = new FallbackProvider(new OpenAiProvider(vertx, config(5)), local);
    assertEquals(local.respond(task(Task.Kind.RESPONSE)), await(provider.answer(task(Task.Kind.RESPONSE))));
    assertEquals(1, calls.get());
  }

  @Test
  void fallsBackToTheLocalProviderOnATimeout() throws Exception {
    mode.set("silent");
    LocalProvider local = new LocalProvider(7);
    FallbackProvider provider = new FallbackProvider(new OpenAiProvider(vertx, config(5)), local);
    assertEquals(local.vote(task(Task.Kind.VOTE)), await(provider.answer(task(Task.Kind.VOTE))));
  }

  @Test
  void opensTheBreakerAfterRepeatedFailuresAndStopsCalling() throws Exception {
    mode.set("error");
    OpenAiProvider remote = new OpenAiProvider(vertx, config(3));
    FallbackProvider provider = new FallbackProvider(remote, new LocalProvider(7));
    for (int i = 0; i < 3; i++) {
      await(provider.answer(task(Task.Kind.RESPONSE)));
    }
    assertEquals(CircuitBreakerState.OPEN, remote.state());
    int before = calls.get();
    assertTrue(await(provider.answer(task(Task.Kind.RESPONSE))).length() > 0, "still answers, locally");
    assertEquals(before, calls.get(), "an open breaker does not call the server");
  }
}
