package com.necpgame.mesh.robot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.config.ConfigLoader;
import com.necpgame.mesh.config.MatchConfig;
import com.necpgame.mesh.envelope.EnvelopeValidator;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Anthropic and OpenAI providers and their fallback chain against {@link LlmStubs}, local servers speaking each
 * API's wire format: recorded answers, the APIs' error and rate-limit answers, silence; the metrics per provider and
 * persona, and the {@code robot.response_complete} / {@code robot.health_check} events checked against their schemas.
 */
class RemoteProvidersTest {

  private static final EnvelopeValidator VALIDATOR = EnvelopeValidator.load(Optional.empty());
  private static final String PERSONA = "curious-student";

  private LlmStubs stubs;
  private Vertx vertx;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<ProviderChain> opened = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    stubs = new LlmStubs();
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() throws Exception {
    opened.forEach(ProviderChain::close);
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    stubs.close();
  }

  /** The llm settings with both stubs as endpoints, and these overrides. */
  private MatchConfig.Llm llm(JsonObject overrides) {
    JsonObject llm = new JsonObject().put("base_url", stubs.openai.baseUrl()).put("api_key", LlmStubs.OPENAI_KEY)
        .put("anthropic", new JsonObject().put("base_url", stubs.anthropic.baseUrl())
            .put("api_key", LlmStubs.ANTHROPIC_KEY)).put("timeout_ms", 15_000).put("max_retries", 1);
    return ConfigLoader.load(new JsonObject().put("llm", llm.mergeIn(overrides)), Map.of()).games().llm();
  }

  private ProviderChain chain(MatchConfig.Llm llm) {
    ProviderChain chain = ProviderChain.of(vertx, llm, new RobotMetrics(registry, llm));
    opened.add(chain);
    return chain;
  }

  private ProviderChain chain(String... providers) {
    return chain(llm(new JsonObject().put("providers", new JsonArray(List.of(providers)))));
  }

  private static Task task(Task.Kind kind) {
    return new Task(kind, "robot-1", PERSONA, "match-1", 2, "What did you have for breakfast?",
        List.of("my earlier answer"), "B", Map.of("A", "x", "B", "y", "C", "z"));
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private double errors(String provider, String reason) {
    Counter c = registry.find("event_bus_robot_errors_total").tags("provider", provider, "persona", PERSONA,
        "reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  private double counter(String name, String provider, String... tags) {
    Counter c = registry.find(name).tags("provider", provider, "persona", PERSONA).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void anthropicAnswersInItsWireFormatWithTokensCostAndAResponseCompleteEvent() throws Exception {
    ProviderChain chain = chain("anthropic", "local");
    ProviderChain.Answer a = await(chain.answer(task(Task.Kind.RESPONSE)));
    assertEquals("honestly? cold pizza, standing at the fridge.", a.text());
    assertEquals("anthropic", a.provider());
    assertEquals(List.of(), a.failed());
    assertEquals(61, a.tokensIn());
    assertEquals(12, a.tokensOut());
    assertEquals(61 / 1000.0 * 0.0008 + 12 / 1000.0 * 0.004, a.costUsd(), 1e-12);

    assertEquals(LlmStubs.ANTHROPIC_KEY, stubs.anthropic.lastHeaders.get("x-api-key"));
    assertEquals("2023-06-01", stubs.anthropic.lastHeaders.get("anthropic-version"));
    JsonObject body = stubs.anthropic.bodies.get(0);
    assertEquals("claude-3-5-haiku-latest", body.getString("model"));
    assertEquals(120, body.getInteger("max_tokens"));
    assertEquals(false, body.getBoolean("stream"));
    assertTrue(body.getString("system").contains("curious university student"), body.getString("system"));
    JsonObject message = body.getJsonArray("messages").getJsonObject(0);
    assertEquals("user", message.getString("role"));
    assertTrue(message.getString("content").contains("my earlier answer"), "the robot's memory goes with it");

    assertEquals(61, counter("event_bus_robot_tokens_total", "anthropic", "direction", "input"));
    assertEquals(12, counter("event_bus_robot_tokens_total", "anthropic", "direction", "output"));
    assertEquals(a.costUsd(), counter("event_bus_robot_cost_usd_total", "anthropic"), 1e-12);
    Timer latency = registry.find("event_bus_robot_response_duration_seconds")
        .tags("provider", "anthropic", "persona", PERSONA, "status", "success").timer();
    assertEquals(1, latency.count());

    stubs.anthropic.mode.set("vote");
    assertEquals("C", await(chain.answer(task(Task.Kind.VOTE))).text(), "the letter of the model's vote");

    JsonObject command = new JsonObject().put("event_type", "generate.response").put("data", new JsonObject()
        .put("command_id", "generate.response:match-1:2:robot-1"));
    JsonObject complete = envelope(RobotCommands.responseComplete("robot-responses", command,
        task(Task.Kind.RESPONSE), a, Instant.now()));
    assertEquals("robot.response_complete", complete.getString("event_type"));
    assertEquals("anthropic", complete.getJsonObject("data").getString("provider"));
    assertEquals(61, complete.getJsonObject("data").getInteger("tokens_in"));
  }

  @Test
  void anthropicRateLimitFallsBackToTheNextProviderAndItsRetryAfterIsHonoured() throws Exception {
    stubs.anthropic.mode.set("rate-limited"); // 429 rate_limit_error, retry-after: 1
    ProviderChain chain = chain("anthropic", "openai", "local");
    ProviderChain.Answer first = await(chain.answer(task(Task.Kind.RESPONSE)));
    assertEquals("openai", first.provider());
    assertEquals(List.of("anthropic"), first.failed());
    assertEquals("ugh, cereal again. no time for anything else", first.text());
    assertEquals(1, stubs.anthropic.calls.get(), "a rate limit is not tried again at once");

    stubs.anthropic.mode.set("ok");
    long asked = System.currentTimeMillis();
    ProviderChain.Answer during = await(chain.answer(task(Task.Kind.RESPONSE)));
    if (System.currentTimeMillis() - asked < 900) { // the second call came within the retry-after second
      assertEquals("openai", during.provider());
      assertEquals(1, stubs.anthropic.calls.get(), "no call to Anthropic before its retry-after passed");
      assertEquals(2, errors("anthropic", "rate_limited"), "the rate limit and the call it held back are counted");
    }
    long deadline = System.currentTimeMillis() + 10_000;
    ProviderChain.Answer after;
    do {
      Thread.sleep(100);
      after = await(chain.answer(task(Task.Kind.RESPONSE)));
    } while (!after.provider().equals("anthropic") && System.currentTimeMillis() < deadline);
    assertEquals("anthropic", after.provider(), "Anthropic answers again once its retry-after passed");
    assertTrue(System.currentTimeMillis() - asked >= 900, "not before the retry-after second passed");
  }

  @Test
  void anthropicOverloadIsTriedAgainAndThenAnswers() throws Exception {
    stubs.anthropic.mode.set("overloaded-once"); // one 529 overloaded_error, then an answer
    ProviderChain.Answer a = await(chain("anthropic", "local").answer(task(Task.Kind.RESPONSE)));
    assertEquals("anthropic", a.provider());
    assertEquals(2, stubs.anthropic.calls.get());
  }

  @Test
  void anthropicBadRequestAndBadKeyFallBackToLocalWithoutRetrying() throws Exception {
    LocalProvider local = new LocalProvider(llm(new JsonObject()).seed());
    stubs.anthropic.mode.set("bad-request");
    ProviderChain chain = chain("anthropic", "local");
    ProviderChain.Answer a = await(chain.answer(task(Task.Kind.RESPONSE)));
    assertEquals("local", a.provider());
    assertEquals(local.respond(task(Task.Kind.RESPONSE)), a.text());
    assertEquals(0, a.costUsd());
    assertEquals(1, stubs.anthropic.calls.get(), "a 400 is not tried again");
    assertEquals(1, errors("anthropic", "bad_request"));

    stubs.anthropic.mode.set("unauthorized");
    assertEquals("local", await(chain.answer(task(Task.Kind.RESPONSE))).provider());
    assertEquals(2, stubs.anthropic.calls.get(), "a 401 is not tried again");
    assertEquals(1, errors("anthropic", "auth"));
    ExecutionException probe = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> await(chain.providers().get(0).probe()));
    assertEquals("auth", assertInstanceOf(ProviderException.class, probe.getCause()).reason());
  }

  @Test
  void openAiAnswersInItsWireFormat() throws Exception {
    ProviderChain chain = chain("openai", "local");
    ProviderChain.Answer a = await(chain.answer(task(Task.Kind.RESPONSE)));
    assertEquals("ugh, cereal again. no time for anything else", a.text());
    assertEquals(58, a.tokensIn());
    assertEquals(11, a.tokensOut());
    assertEquals(58 / 1000.0 * 0.00015 + 11 / 1000.0 * 0.0006, a.costUsd(), 1e-12);
    assertEquals("Bearer " + LlmStubs.OPENAI_KEY, stubs.openai.lastHeaders.get("authorization"));
    JsonObject body = stubs.openai.bodies.get(0);
    assertEquals("gpt-4o-mini", body.getString("model"));
    assertEquals(false, body.getBoolean("stream"));
    assertEquals("system", body.getJsonArray("messages").getJsonObject(0).getString("role"));
    stubs.openai.mode.set("vote");
    assertEquals("C", await(chain.answer(task(Task.Kind.VOTE))).text());
  }

  @Test
  void openAiServerErrorsAreTriedAgainThenTheLocalProviderAnswers() throws Exception {
    stubs.openai.mode.set("server-error");
    ProviderChain.Answer a = await(chain("openai", "local").answer(task(Task.Kind.VOTE)));
    assertEquals("local", a.provider());
    assertEquals(new LocalProvider(llm(new JsonObject()).seed()).vote(task(Task.Kind.VOTE)), a.text());
    assertEquals(2, stubs.openai.calls.get(), "llm.max_retries 1: tried twice");
    assertEquals(1, errors("openai", "server_error"));
  }

  @Test
  void openAiRateLimitIsHonouredAndCounted() throws Exception {
    stubs.openai.mode.set("rate-limited");
    ProviderChain chain = chain("openai", "local");
    assertEquals("local", await(chain.answer(task(Task.Kind.RESPONSE))).provider());
    stubs.openai.mode.set("ok");
    long asked = System.currentTimeMillis();
    ProviderChain.Answer during = await(chain.answer(task(Task.Kind.RESPONSE)));
    if (System.currentTimeMillis() - asked < 900) {
      assertEquals("local", during.provider());
      assertEquals(1, stubs.openai.calls.get(), "no call before the retry-after passed");
    }
    assertTrue(errors("openai", "rate_limited") >= 1);
  }

  @Test
  void aSilentProviderTimesOutAndTheLocalOneAnswers() throws Exception {
    stubs.openai.mode.set("silent");
    ProviderChain chain = chain(llm(new JsonObject().put("providers", new JsonArray().add("openai").add("local"))
        .put("timeout_ms", 300).put("max_retries", 0)));
    ProviderChain.Answer a = await(chain.answer(task(Task.Kind.RESPONSE)));
    assertEquals("local", a.provider());
    assertEquals(1, errors("openai", "timeout"));
  }

  @Test
  void theBreakerOpensAfterRepeatedFailuresAndStopsCalling() throws Exception {
    stubs.openai.mode.set("server-error");
    ProviderChain chain = chain(llm(new JsonObject().put("providers", new JsonArray().add("openai").add("local"))
        .put("breaker_max_failures", 3).put("max_retries", 0)));
    for (int i = 0; i < 3; i++) {
      await(chain.answer(task(Task.Kind.RESPONSE)));
    }
    assertEquals(CircuitBreakerState.OPEN, ((RemoteProvider) chain.providers().get(0)).state());
    int before = stubs.openai.calls.get();
    assertEquals("local", await(chain.answer(task(Task.Kind.RESPONSE))).provider());
    assertEquals(before, stubs.openai.calls.get(), "an open breaker does not call the server");
    assertEquals(1, errors("openai", "breaker_open"));
  }

  @Test
  void everyProviderIsProbedAndEachProbeIsAHealthCheckEvent() throws Exception {
    ProviderChain chain = chain("anthropic", "openai", "local");
    for (TextProvider p : chain.providers()) {
      await(p.probe());
      JsonObject check = envelope(RobotCommands.healthCheck("robot-orchestration-events", "node-1", p.name(), null,
          3, p instanceof RemoteProvider r ? r.state().name().toLowerCase() : null, Instant.now()));
      assertEquals("healthy", check.getJsonObject("data").getString("status"));
    }
    assertEquals(1, stubs.anthropic.probes.get());
    assertEquals(1, stubs.openai.probes.get());
    assertEquals(0, stubs.anthropic.calls.get() + stubs.openai.calls.get(), "a probe spends no tokens");
    assertEquals(LlmStubs.ANTHROPIC_KEY, stubs.anthropic.lastHeaders.get("x-api-key"));

    // A refused probe's event, its 401 quoting the key as OpenAI's does. (Anthropic's stub: the same probe to the OpenAI
    // stub went unanswered for its 15 s timeout in two fresh-clone CI runs and never locally; not understood yet, see
    // issue 19's note.)
    stubs.anthropic.mode.set("unauthorized");
    Throwable failure = awaitFailure(chain("anthropic", "local").providers().get(0).probe());
    assertFalse(failure.getMessage().contains(LlmStubs.ANTHROPIC_KEY), failure.getMessage());
    JsonObject check = envelope(RobotCommands.healthCheck("robot-orchestration-events", "node-1", "anthropic", failure,
        3, "closed", Instant.now())).getJsonObject("data");
    assertEquals("unhealthy", check.getString("status"));
    assertEquals("auth", check.getString("reason"));
    assertFalse(check.encode().contains(LlmStubs.ANTHROPIC_KEY), "the key is never in an event: " + check.encode());
  }

  @Test
  void readsRetryAfterInSecondsOrAsAnHttpDate() {
    long now = java.time.ZonedDateTime.parse("Sat, 05 Dec 2026 21:00:00 GMT",
        java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
    assertEquals(1000, RemoteProvider.retryAfterMs("1", now));
    assertEquals(2500, RemoteProvider.retryAfterMs(" 2.5 ", now));
    assertEquals(30_000, RemoteProvider.retryAfterMs("Sat, 05 Dec 2026 21:00:30 GMT", now));
    assertEquals(0, RemoteProvider.retryAfterMs("Sat, 05 Dec 2026 20:59:00 GMT", now), "a time passed: no wait");
    assertEquals(0, RemoteProvider.retryAfterMs(null, now));
    assertEquals(0, RemoteProvider.retryAfterMs("soon", now));
  }

  private static Throwable awaitFailure(Future<?> f) throws Exception {
    try {
      await(f);
    } catch (ExecutionException e) {
      return e.getCause();
    }
    throw new AssertionError("expected a failure");
  }

  /** The record's envelope, checked against its schema. */
  private static JsonObject envelope(ProducerRecord<String, byte[]> r) {
    JsonObject e = new JsonObject(new String(r.value(), StandardCharsets.UTF_8));
    assertTrue(VALIDATOR.validate(e).isEmpty(), e.encode() + " " + VALIDATOR.validate(e));
    return e;
  }
}
