package com.necpgame.mesh.match;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.necpgame.mesh.testsupport.TestKafka;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** The player's side of the match API in the match ITs: requests, waiting for a phase, following on a WebSocket. */
final class MatchClient {

  static final HttpClient HTTP = HttpClient.newHttpClient();

  private MatchClient() {}

  /** The topics of one test (the robots' too), and the config that points the match and robot verticles at them. */
  record Topics(String events, String responses, String orchestration, String commands, String state, String pool,
      String groupPrefix) {
    static Topics create(int partitions) throws Exception {
      return new Topics(TestKafka.createTopic("match-events", partitions),
          TestKafka.createTopic("robot-responses", partitions),
          TestKafka.createTopic("robot-orchestration-events", partitions),
          TestKafka.createTopic("robot-commands", partitions), TestKafka.createTopic("match-state", partitions),
          TestKafka.createTopic("robot-pool-state", 1), TestKafka.unique("match"));
    }

    JsonObject config(long phaseMs) {
      return new JsonObject()
          .put("kafka", new JsonObject().put("consumer", new JsonObject().put("group_prefix", groupPrefix)))
          .put("match", new JsonObject().put("round_ms", phaseMs).put("voting_ms", phaseMs).put("check_ms", 20)
              .put("topics", new JsonObject().put("events", events).put("responses", responses)
                  .put("orchestration", orchestration).put("state", state)))
          .put("robots", new JsonObject().put("check_ms", 50)
              .put("topics", new JsonObject().put("commands", commands).put("pool_state", pool)))
          .put("verticles", new JsonObject().put("matches", new JsonObject().put("enabled", true))
              .put("robots", new JsonObject().put("enabled", true))
              .put("robot-workers", new JsonObject().put("enabled", true)));
    }
  }

  /** A WebSocket on a match and every frame it received (a frame split in parts is joined first). */
  record Follower(WebSocket socket, List<JsonObject> frames) {
    static Follower open(int port, String id) throws Exception {
      List<JsonObject> frames = new CopyOnWriteArrayList<>();
      StringBuilder part = new StringBuilder();
      WebSocket ws = HTTP.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + port + "/matches/" + id
          + "/ws"), new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
              part.append(data);
              if (last) {
                frames.add(new JsonObject(part.toString()));
                part.setLength(0);
              }
              socket.request(1);
              return null;
            }
          }).get(10, TimeUnit.SECONDS);
      return new Follower(ws, frames);
    }

    void send(JsonObject frame) throws Exception {
      socket.sendText(frame.encode(), true).get(10, TimeUnit.SECONDS);
    }

    boolean saw(String phase) {
      return frames.stream().anyMatch(f -> phase.equals(f.getString("phase")));
    }

    void awaitPhase(String phase) throws InterruptedException {
      long deadline = System.currentTimeMillis() + 30_000;
      while (!saw(phase) && System.currentTimeMillis() < deadline) {
        Thread.sleep(50);
      }
    }

    void awaitError(String errorCode) throws InterruptedException {
      long deadline = System.currentTimeMillis() + 30_000;
      while (System.currentTimeMillis() < deadline) {
        if (frames.stream().anyMatch(f -> f.getJsonObject("error") != null
            && errorCode.equals(f.getJsonObject("error").getString("code")))) {
          return;
        }
        Thread.sleep(20);
      }
      throw new AssertionError("no error frame " + errorCode + " in " + frames);
    }
  }

  /** The types of a whole match's events on match-events, in order. */
  static List<String> events(int rounds) {
    List<String> types = new ArrayList<>(List.of("match.created"));
    for (int i = 0; i < rounds; i++) {
      types.addAll(List.of("round.starting", "round.robots_needed", "round.started", "round.voting_started",
          "round.completed"));
    }
    types.add("match.completed");
    return types;
  }

  /** The first participant letter that is not the player's. */
  static String other(JsonObject view) {
    String mine = view.getString("your_identity");
    return view.getJsonArray("participants").stream().map(String::valueOf).filter(l -> !l.equals(mine)).findFirst()
        .orElseThrow();
  }

  static int rawStatus(String url, String type, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("content-type", type)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  static HttpResponse<String> get(String url) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The view once the match is in that round and phase (60 s at most). */
  static JsonObject await(String base, String id, int round, String phase) throws Exception {
    return await(base, id, v -> v.getInteger("round") == round && phase.equals(v.getString("phase")),
        "round " + round + " " + phase);
  }

  /** The view once {@code reached} holds for it (60 s at most). */
  static JsonObject await(String base, String id, Predicate<JsonObject> reached, String what) throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    JsonObject view = null;
    while (System.currentTimeMillis() < deadline) {
      HttpResponse<String> r = get(base + "/matches/" + id);
      if (r.statusCode() == 200) {
        view = new JsonObject(r.body());
        if (reached.test(view)) {
          return view;
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("match " + id + " never reached " + what + " on " + base + "; last " + view);
  }

  static HttpResponse<String> post(String url, String token, JsonObject body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()));
    if (token != null) {
      b.header("x-match-token", token);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static int status(String url, String token, JsonObject body) throws Exception {
    return post(url, token, body).statusCode();
  }

  static JsonObject send(String url, String token, JsonObject body, int expected) throws Exception {
    HttpResponse<String> r = post(url, token, body);
    assertEquals(expected, r.statusCode(), r.body());
    return new JsonObject(r.body());
  }
}
