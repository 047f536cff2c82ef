package com.necpgame.mesh.robot;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Local stand-ins for the two remote APIs, speaking their documented wire formats (streaming off): the Anthropic
 * Messages API ({@code POST /v1/messages} with {@code x-api-key} and {@code anthropic-version}; errors {@code
 * {"type":"error","error":{"type","message"}}}: 400 invalid_request_error, 401 authentication_error, 429
 * rate_limit_error with {@code retry-after}, 529 overloaded_error) and OpenAI chat completions ({@code POST
 * /v1/chat/completions} with a bearer token; errors {@code {"error":{"message","type","param","code"}}}), each with
 * {@code GET /v1/models}. Each answers by its {@link #mode}; a request the real API would refuse (no key, no version,
 * no max_tokens) is refused the same way.
 */
final class LlmStubs implements AutoCloseable {

  static final String ANTHROPIC_KEY = "sk-ant-test-key";
  static final String OPENAI_KEY = "sk-test-key";

  /** A Messages API answer as documented (ids and counts of this test's own). */
  static final String ANTHROPIC_MESSAGE = """
      {"id":"msg_013Zva2CMHLNnXjNJJKqJ2EF","type":"message","role":"assistant","model":"claude-3-5-haiku-20241022",
       "content":[{"type":"text","text":"  honestly? cold pizza, standing at the fridge.  "}],
       "stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":61,"output_tokens":12}}""";

  /** A chat-completions answer as api.openai.com returns it. */
  static final String OPENAI_COMPLETION = """
      {"id":"chatcmpl-9x","object":"chat.completion","created":1732000000,"model":"gpt-4o-mini",
       "choices":[{"index":0,"message":{"role":"assistant","content":"  ugh, cereal again. no time for anything else  "},
       "logprobs":null,"finish_reason":"stop"}],
       "usage":{"prompt_tokens":58,"completion_tokens":11,"total_tokens":69}}""";

  final Stub anthropic;
  final Stub openai;
  private final Vertx vertx;

  LlmStubs() throws Exception {
    vertx = Vertx.vertx();
    anthropic = new Stub(true);
    openai = new Stub(false);
  }

  final class Stub {
    final AtomicReference<String> mode = new AtomicReference<>("ok");
    /** Answering calls (not probes) that reached the server. */
    final AtomicInteger calls = new AtomicInteger();
    final AtomicInteger probes = new AtomicInteger();
    final CopyOnWriteArrayList<JsonObject> bodies = new CopyOnWriteArrayList<>();
    final Map<String, String> lastHeaders = new ConcurrentHashMap<>();
    final HttpServer server;
    private final boolean isAnthropic;

    private Stub(boolean isAnthropic) throws Exception {
      this.isAnthropic = isAnthropic;
      server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> handle(req, body)))
          .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    String baseUrl() {
      return "http://127.0.0.1:" + server.actualPort() + "/v1";
    }

    private void handle(HttpServerRequest req, Buffer body) {
      req.headers().forEach(h -> lastHeaders.put(h.getKey().toLowerCase(), h.getValue()));
      String answerPath = isAnthropic ? "/v1/messages" : "/v1/chat/completions";
      if (req.path().equals("/v1/models") && req.method().name().equals("GET")) {
        probes.incrementAndGet();
        String refused = refusedHeaders(req);
        if (refused != null || mode.get().equals("unauthorized")) {
          error(req, 401, "authentication_error", refused != null ? refused : badKey(req), null);
        } else {
          json(req, 200, new JsonObject().put("data", new JsonArray().add(new JsonObject()
              .put("id", isAnthropic ? "claude-3-5-haiku-20241022" : "gpt-4o-mini"))).encode());
        }
        return;
      }
      if (!req.path().equals(answerPath) || !req.method().name().equals("POST")) {
        error(req, 404, "not_found_error", "Not found", null);
        return;
      }
      calls.incrementAndGet();
      JsonObject request = body.toJsonObject();
      bodies.add(request);
      String refused = refusedHeaders(req);
      if (refused != null) {
        error(req, refused.contains("version") ? 400 : 401, refused.contains("version") ? "invalid_request_error"
            : "authentication_error", refused, null);
        return;
      }
      if (isAnthropic && (request.getInteger("max_tokens") == null || request.getString("model") == null)) {
        error(req, 400, "invalid_request_error", "max_tokens: Field required", null);
        return;
      }
      String m = mode.get();
      if (m.equals("overloaded-once")) {
        mode.set("ok");
        m = "overloaded";
      }
      switch (m) {
        case "ok" -> json(req, 200, isAnthropic ? ANTHROPIC_MESSAGE : OPENAI_COMPLETION);
        case "vote" -> json(req, 200, isAnthropic
            ? new JsonObject().put("type", "message").put("role", "assistant").put("content", new JsonArray()
                .add(new JsonObject().put("type", "text").put("text", "Probably C, the short one.")))
                .put("usage", new JsonObject().put("input_tokens", 90).put("output_tokens", 8)).encode()
            : new JsonObject().put("choices", new JsonArray().add(new JsonObject().put("message", new JsonObject()
                .put("role", "assistant").put("content", "I think it's C.")))).encode());
        case "rate-limited" -> error(req, 429, isAnthropic ? "rate_limit_error" : "requests", "Number of request "
            + "tokens has exceeded your per-minute rate limit", "1");
        case "overloaded" -> error(req, isAnthropic ? 529 : 503, isAnthropic ? "overloaded_error" : "server_error",
            "Overloaded", null);
        case "server-error" -> error(req, 500, isAnthropic ? "api_error" : "server_error",
            "The server had an error while processing your request.", null);
        case "bad-request" -> error(req, 400, "invalid_request_error", "messages: at least one message is required",
            null);
        case "unauthorized" -> error(req, 401, isAnthropic ? "authentication_error" : "invalid_request_error",
            badKey(req), null);
        default -> { } // silent: never answers
      }
    }

    /** A refusal of the key, quoting it as OpenAI's does ("Incorrect API key provided: sk-..."). */
    private String badKey(HttpServerRequest req) {
      String given = isAnthropic ? req.getHeader("x-api-key")
          : String.valueOf(req.getHeader("authorization")).replaceFirst("^Bearer ", "");
      return "Incorrect API key provided: " + given;
    }

    /** What the real API says to a request without its key (or, for Anthropic, its version header). */
    private String refusedHeaders(HttpServerRequest req) {
      if (isAnthropic) {
        if (!ANTHROPIC_KEY.equals(req.getHeader("x-api-key"))) {
          return "invalid x-api-key";
        }
        return req.getHeader("anthropic-version") == null ? "anthropic-version: header is required" : null;
      }
      return ("Bearer " + OPENAI_KEY).equals(req.getHeader("authorization")) ? null
          : "Incorrect API key provided";
    }

    private void error(HttpServerRequest req, int status, String type, String message, String retryAfter) {
      JsonObject error = new JsonObject().put("type", type).put("message", message);
      JsonObject body = isAnthropic
          ? new JsonObject().put("type", "error").put("error", error).put("request_id", "req_011CSHoEeqs5C35K2UUqR7Fy")
          : new JsonObject().put("error", error.put("param", (String) null).put("code", status == 429
              ? "rate_limit_exceeded" : null));
      if (retryAfter != null) {
        req.response().putHeader("retry-after", retryAfter);
      }
      json(req, status, body.encode());
    }

    private void json(HttpServerRequest req, int status, String body) {
      req.response().setStatusCode(status).putHeader("content-type", "application/json").end(body);
    }
  }

  @Override
  public void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
