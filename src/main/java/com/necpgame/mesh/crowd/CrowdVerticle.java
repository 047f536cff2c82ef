package com.necpgame.mesh.crowd;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.config.WorldConfig;
import com.necpgame.mesh.diplomacy.DiplomacyVerticle;
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
 * The hourly crowd: one process (the owner of the hourly ticks in the group {@code world.crowd.group}) reads the
 * clearings, the crowd's fills and the diplomacy changes from the simulation topic, and game servers' subsidies from
 * the topics diplomacy reads theirs from ({@code world.diplomacy.inputs}; a subsidy it cannot take is dead-lettered
 * with the reason, as {@link StepLoop} does with any input its model throws on), steps the {@link CrowdStep} every
 * game hour from the first tick it sees, and publishes each commodity's {@code world.crowd.signal}, the schedules as
 * limit orders ({@code owner: crowd}, good for the next hour's clearing) on the orders topic and, at the first hour of
 * a day, the faction activity of the day before, exactly once per hour ({@link StepLoop}). Agents react to the wars
 * declared up to the hour before. Every process follows the committed state to answer {@link #SUMMARY} ({@code GET
 * /crowd}). {@code start()} completes when the loop is ready and that state was read.
 */
public final class CrowdVerticle extends VerticleBase {

  /** Reply the crowd as of its last step ({@link CrowdStep#summary()}); {@code game_hour} null before the first. */
  public static final String SUMMARY = "mesh.crowd.summary";
  static final String KEY = "crowd";

  private final MeshContext mesh;
  private final WorldConfig world;
  private final List<String> commodities;
  private KafkaWorker loop;
  private CompactedView view;
  private volatile JsonObject summary;

  public CrowdVerticle(MeshContext mesh) {
    this.mesh = mesh;
    this.world = mesh.config().world();
    this.commodities = List.copyOf(world.commodities().keySet());
  }

  @Override
  public Future<?> start() {
    GameClock clock = world.tick().clock();
    WorldConfig.DailyStep daily = world.crowdStep();
    StepLoop.Settings settings = new StepLoop.Settings(KEY, daily.group(), StepLoop.Ownership.TICKS,
        DiplomacyVerticle.inputs(world), new StepLoop.Ticks(world.tick().hourlyTopic(),
            "world.tick.hourly", "game_hour", clock.gameEpoch(), Duration.ofHours(1), clock::realAt),
        world.stateTopic(), daily.graceMs(), daily.maxCatchUpDays() * 24);
    long[] costs = world.commodities().values().stream().mapToLong(Long::longValue).toArray();
    loop = new KafkaWorker(KEY, mesh.metrics(), new StepLoop(settings,
        StepLoop.clients(mesh.kafka(), world.stateTopic(), WorldConfig.MAX_STATE_RECORD_BYTES),
        (key, saved) -> new Step(saved == null ? CrowdStep.fresh(commodities, costs, world.factions(),
            world.crowd().population(), world.crowd().seed(), world.crowd().shortageRate())
            : CrowdStep.restore(new JsonObject(new String(saved, StandardCharsets.UTF_8)), world.factions())),
        mesh.metrics().simulationTimer("crowd_step"))).start();
    view = new CompactedView(mesh.kafka(), world.stateTopic(), r -> {
      if (KEY.equals(r.key()) && r.value() != null) {
        summary = CrowdStep.summaryIn(StepLoop.snapshotOf(r.value()));
      }
    }, mesh.metrics()).start();
    vertx.eventBus().consumer(SUMMARY, m -> m.reply(summary != null ? summary : new JsonObject()
        .put("game_hour", null).put("game_day", null).put("population", world.crowd().population())
        .put("mean_mood", null).put("mean_wealth", null).put("factions", new JsonArray())
        .put("commodities", new JsonArray())));
    return Future.all(Future.fromCompletionStage(loop.ready(), context),
        Future.fromCompletionStage(view.caughtUp(), context));
  }

  /** The hourly step: the simulation's events in, the crowd's out. */
  private final class Step implements StepLoop.Model {
    private final CrowdStep crowd;

    Step(CrowdStep crowd) {
      this.crowd = crowd;
    }

    @Override
    public void input(JsonObject envelope) {
      crowd.input(envelope);
    }

    /**
     * Of a game server's topic, only subsidies (and records without a type header, which must be decoded to tell):
     * the crowd neither decodes the game's other events nor dead-letters what diplomacy, reading the same topics,
     * dead-letters already.
     */
    @Override
    public boolean reads(String topic, String eventType) {
      return topic.equals(world.outputTopic()) || eventType == null || CrowdStep.SUBSIDY.equals(eventType);
    }

    /** The simulation's own events from its output topic; from a game server's topic, only what it may send. */
    @Override
    public void input(String topic, JsonObject envelope) {
      if (topic.equals(world.outputTopic())) {
        crowd.input(envelope);
      } else {
        crowd.gameInput(envelope);
      }
    }

    @Override
    public List<ProducerRecord<String, byte[]>> step(long hour, Instant gameTime, Instant cut) {
      String correlation = EventIds.of("hourly:" + hour).toString();
      List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
      for (CrowdStep.Output o : crowd.step(hour)) {
        JsonObject envelope = Envelope.derived(o.eventType(), o.name(), "event-mesh.crowd", cut, correlation, o.data());
        out.add(EnvelopeRecords.record(o.order() != null ? world.market().ordersTopic() : world.outputTopic(), o.keyField(),
            envelope));
      }
      return out;
    }

    @Override
    public byte[] snapshot() {
      return crowd.snapshot().encode().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public long last() {
      return crowd.last();
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
