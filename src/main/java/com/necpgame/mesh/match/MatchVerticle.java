package com.necpgame.mesh.match;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.config.MatchConfig;
import com.necpgame.mesh.envelope.EventIds;
import com.necpgame.mesh.kafka.GroupLoop;
import com.necpgame.mesh.kafka.StateTopic;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Wires the {@link MatchService} of this process: its state read back from {@code match-state}, a {@link GroupLoop}
 * over robot assignments and answers, and the human's requests over the event bus ({@link #CREATE}, {@link #GET},
 * {@link #RESPOND}, {@link #VOTE}); every change of a match is published to {@code mesh.match.changed.<id>}.
 */
public final class MatchVerticle extends VerticleBase {

  public static final String CREATE = "mesh.match.create";
  public static final String GET = "mesh.match.get";
  public static final String RESPOND = "mesh.match.respond";
  public static final String VOTE = "mesh.match.vote";
  public static final String CHANGED = "mesh.match.changed.";

  private final MeshContext mesh;
  private final MatchConfig.Match config;
  private final Map<String, JsonObject> views = new ConcurrentHashMap<>();
  private MatchService service;
  private GroupLoop loop;

  public MatchVerticle(MeshContext mesh) {
    this.mesh = mesh;
    this.config = mesh.config().games().match();
  }

  @Override
  public Future<?> start() {
    Context ctx = context;
    service = new MatchService(config, System::currentTimeMillis, (id, view) -> {
      views.put(id, view);
      ctx.runOnContext(v -> vertx.eventBus().publish(CHANGED + id, view));
    });
    return vertx.executeBlocking(() -> new StateTopic(mesh.kafka(), config.stateTopic()).load(null)).map(saved -> {
      service.restore(saved);
      loop = new GroupLoop(mesh.kafka(), mesh.producer(), List.of(config.orchestrationTopic(), config.responsesTopic()),
          config.group(), config.checkMs(), GroupLoop.Handler.of(service::input, service::tick)).start();
      vertx.eventBus().<JsonObject>consumer(CREATE, this::create);
      vertx.eventBus().<String>consumer(GET, m -> {
        JsonObject view = views.get(m.body());
        if (view == null) {
          m.fail(404, "no match " + m.body());
        } else {
          m.reply(view);
        }
      });
      vertx.eventBus().<JsonObject>consumer(RESPOND, m -> act(m, true));
      vertx.eventBus().<JsonObject>consumer(VOTE, m -> act(m, false));
      return null;
    });
  }

  /** {@code {player_id}}: a new match; reply {@code {match_id, token}} once its first events are written. */
  private void create(Message<JsonObject> m) {
    String id = "match-" + EventIds.newId();
    String token = UUID.randomUUID().toString() + UUID.randomUUID();
    String player = m.body().getString("player_id");
    loop.submit(out -> {
      service.create(id, player, hash(token), out);
      context.runOnContext(v -> m.reply(new JsonObject().put("match_id", id).put("token", token)
          .put("match", views.get(id))));
    });
  }

  /** {@code {match_id, token, round, text | identity}}: fails 404, 401 (token), 409 (not now) or replies the view. */
  private void act(Message<JsonObject> m, boolean response) {
    JsonObject b = m.body();
    String id = b.getString("match_id");
    loop.submit(out -> {
      Match match = service.match(id);
      int code;
      String message;
      if (match == null) {
        code = views.containsKey(id) ? 409 : 404;
        message = views.containsKey(id) ? "match " + id + " is over" : "no match " + id;
      } else if (!match.tokenHash().equals(hash(b.getString("token", "")))) {
        code = 403;
        message = "the token is not the one of this match's player";
      } else if (response ? service.humanResponse(id, b.getInteger("round"), b.getString("text"), out)
          : service.humanVote(id, b.getInteger("round"), b.getString("identity"), out)) {
        code = 0;
        message = null;
      } else {
        code = 409;
        message = "not accepted now: the match is in round " + match.round() + ", phase "
            + match.phase().name().toLowerCase() + (response ? " (one answer per round, while responding)"
            : " (one vote per round, while voting, for another participant)");
      }
      context.runOnContext(v -> {
        if (code == 0) {
          m.reply(views.get(id));
        } else {
          m.fail(code, message);
        }
      });
    });
  }

  static String hash(String token) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public Future<?> stop() {
    return vertx.executeBlocking(() -> {
      if (loop != null) {
        loop.close();
      }
      return null;
    });
  }
}
