package com.necpgame.mesh.diplomacy;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.config.WorldConfig;
import com.necpgame.mesh.envelope.Envelope;
import com.necpgame.mesh.envelope.EventIds;
import com.necpgame.mesh.kafka.CompactedView;
import com.necpgame.mesh.kafka.EnvelopeRecords;
import com.necpgame.mesh.kafka.KafkaWorker;
import com.necpgame.mesh.kafka.StepLoop;
import com.necpgame.mesh.tick.GameClock;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Daily diplomacy: one process (the owner of the daily ticks in the group {@code world.diplomacy.group}) feeds the
 * day's {@code world.faction.trade / combat / power} events from {@code world.diplomacy.inputs} (game servers) and from
 * the simulation's output topic (the crowd's faction activity) into {@link Relations},
 * evaluates every pair, and publishes the changes as {@code world.diplomacy.changed}, exactly once per day
 * ({@link StepLoop}). Every process follows the committed state to answer {@link #MATRIX} and {@link #HISTORY};
 * {@code start()} completes when the loop is ready and that state was read.
 */
public final class DiplomacyVerticle extends VerticleBase {

  public static final String MATRIX = "mesh.diplomacy.matrix";
  /** Request {@code {a, b}}; reply the pair's current relation and its changes. */
  public static final String HISTORY = "mesh.diplomacy.history";
  static final String KEY = "diplomacy";

  private final MeshContext mesh;
  private final WorldConfig world;
  private volatile Relations latest;
  private KafkaWorker loop;
  private CompactedView view;

  public DiplomacyVerticle(MeshContext mesh) {
    this.mesh = mesh;
    this.world = mesh.config().world();
  }

  @Override
  public Future<?> start() {
    latest = new Relations(world.factions(), world.diplomacy());
    GameClock clock = world.tick().clock();
    WorldConfig.DailyStep daily = world.diplomacyStep();
    StepLoop.Settings settings = new StepLoop.Settings(KEY, daily.group(), StepLoop.Ownership.TICKS,
        inputs(world), new StepLoop.Ticks(world.tick().dailyTopic(), "world.tick.daily", "game_day",
            clock.gameEpoch(), Duration.ofDays(1), clock::realAt), world.stateTopic(), daily.graceMs(),
        daily.maxCatchUpDays());
    loop = new KafkaWorker(KEY, mesh.metrics(), new StepLoop(settings,
        StepLoop.clients(mesh.kafka(), world.stateTopic(), WorldConfig.MAX_STATE_RECORD_BYTES),
        (key, saved) -> new Step(saved == null ? new Relations(world.factions(), world.diplomacy())
            : Relations.restore(json(saved), world.diplomacy())),
        mesh.metrics().simulationTimer("diplomacy_evaluate"))).start();
    view = new CompactedView(mesh.kafka(), world.stateTopic(), r -> {
      if (KEY.equals(r.key()) && r.value() != null) {
        latest = Relations.restore(json(StepLoop.snapshotOf(r.value())), world.diplomacy());
      }
    }, mesh.metrics()).start();
    vertx.eventBus().consumer(MATRIX, m -> m.reply(latest.matrix()));
    vertx.eventBus().<JsonObject>consumer(HISTORY, m -> {
      Relations r = latest;
      String a = m.body().getString("a");
      String b = m.body().getString("b");
      if (!r.knows(a) || !r.knows(b) || a.equals(b)) {
        m.fail(404, "no pair " + a + "/" + b + "; factions: " + world.factions());
        return;
      }
      JsonArray changes = new JsonArray();
      r.history(a, b).forEach(t -> changes.add(t.toJson("daily:" + t.day())));
      m.reply(new JsonObject().put("faction_a", a).put("faction_b", b).put("state", r.state(a, b).name())
          .put("love", Relations.round(r.love(a, b))).put("fear", Relations.round(r.fear(a, b)))
          .put("game_day", r.lastDay() == Long.MIN_VALUE ? null : r.lastDay()).put("changes", changes));
    });
    return Future.all(Future.fromCompletionStage(loop.ready(), context),
        Future.fromCompletionStage(view.caughtUp(), context));
  }

  /**
   * The topics diplomacy reads: those {@code world.diplomacy.inputs} matches (game servers') and the simulation's own
   * output topic, where the crowd publishes its faction activity. The crowd reads the same topics (a game server's
   * subsidies).
   */
  public static java.util.regex.Pattern inputs(WorldConfig world) {
    return java.util.regex.Pattern.compile("(?:" + world.diplomacyInputs().pattern() + ")|"
        + java.util.regex.Pattern.quote(world.outputTopic()));
  }

  private static JsonObject json(byte[] bytes) {
    return new JsonObject(new String(bytes, StandardCharsets.UTF_8));
  }

  /** The daily step: inputs into the model, changes out. */
  private final class Step implements StepLoop.Model {
    private final Relations relations;

    Step(Relations relations) {
      this.relations = relations;
    }

    @Override
    public void input(JsonObject envelope) {
      JsonObject d = envelope.getJsonObject("data");
      if (d == null) {
        return;
      }
      relations.input(envelope.getString("event_type"), d);
    }

    @Override
    public List<ProducerRecord<String, byte[]>> step(long day, Instant gameTime, Instant cut) {
      String tickId = "daily:" + day;
      String correlation = EventIds.of(tickId).toString();
      List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
      for (Relations.Transition t : relations.step(day)) {
        JsonObject data = t.toJson(tickId);
        JsonObject envelope = Envelope.derived("world.diplomacy.changed", data.getString("pair") + ":" + day,
            "event-mesh.diplomacy", cut, correlation, data);
        out.add(EnvelopeRecords.record(world.outputTopic(), "data.pair", envelope));
      }
      return out;
    }

    @Override
    public byte[] snapshot() {
      return relations.snapshot().encode().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public long last() {
      return relations.lastDay();
    }
  }

  @Override
  public Future<?> stop() {
    return vertx.executeBlocking(() -> {
      loop.close();
      view.close();
      return null;
    });
  }
}
