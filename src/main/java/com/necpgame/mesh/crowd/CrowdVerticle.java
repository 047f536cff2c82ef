package com.necpgame.mesh.crowd;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.config.WorldConfig;
import com.necpgame.mesh.envelope.Envelope;
import com.necpgame.mesh.envelope.EventIds;
import com.necpgame.mesh.kafka.EnvelopeRecords;
import com.necpgame.mesh.kafka.KafkaWorker;
import com.necpgame.mesh.kafka.StepLoop;
import com.necpgame.mesh.market.Prices;
import com.necpgame.mesh.tick.GameClock;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The daily crowd: one process (the owner of the daily ticks in the group {@code world.crowd.group}) reads the day's
 * clearing prices and diplomacy changes from the simulation topic, steps the {@link Crowd}, publishes each
 * commodity's {@code world.crowd.signal}, and places the schedules as limit orders ({@code owner: crowd}, good for the
 * game day's clearings) on the orders topic, exactly once per day ({@link StepLoop}). Agents react to the wars
 * declared up to the day before. {@code start()} completes when the loop is ready.
 */
public final class CrowdVerticle extends VerticleBase {

  static final String KEY = "crowd";

  private final MeshContext mesh;
  private final WorldConfig world;
  private final List<String> commodities;
  private KafkaWorker loop;

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
        Pattern.compile(Pattern.quote(world.outputTopic())), new StepLoop.Ticks(world.tick().dailyTopic(),
            "world.tick.daily", "game_day", clock.gameEpoch(), Duration.ofDays(1), clock::realAt), world.stateTopic(),
        daily.graceMs(), daily.maxCatchUpDays());
    loop = new KafkaWorker(KEY, mesh.metrics(), new StepLoop(settings,
        StepLoop.clients(mesh.kafka(), world.stateTopic(), WorldConfig.MAX_STATE_RECORD_BYTES),
        (key, saved) -> saved == null ? new Step(new Crowd(commodities, world.factions().size(),
            world.crowd().population(), world.crowd().seed()),
            world.commodities().values().stream().mapToLong(Long::longValue).toArray(), new TreeSet<>(), Long.MIN_VALUE)
            : restore(new JsonObject(new String(saved, StandardCharsets.UTF_8))),
        mesh.metrics().simulationTimer("crowd_step"))).start();
    return Future.fromCompletionStage(loop.ready(), context);
  }

  private Step restore(JsonObject s) {
    long[] prices = s.getJsonArray("prices").stream().mapToLong(v -> ((Number) v).longValue()).toArray();
    TreeSet<String> wars = new TreeSet<>();
    s.getJsonArray("wars").forEach(w -> wars.add((String) w));
    return new Step(Crowd.restore(s.getJsonObject("crowd")), prices, wars, s.getLong("last_day"));
  }

  /** The crowd with what it knows: the last price of each commodity and the pairs at war. */
  private final class Step implements StepLoop.Model {
    private final Crowd crowd;
    private final long[] prices;
    private final TreeSet<String> wars;
    private long lastDay;

    Step(Crowd crowd, long[] prices, TreeSet<String> wars, long lastDay) {
      this.crowd = crowd;
      this.prices = prices;
      this.wars = wars;
      this.lastDay = lastDay;
    }

    @Override
    public void input(JsonObject envelope) {
      JsonObject d = envelope.getJsonObject("data");
      if (d == null) {
        return;
      }
      switch (envelope.getString("event_type")) {
        case "economy.market.cleared" -> {
          int c = commodities.indexOf(d.getString("commodity"));
          if (c >= 0 && d.getValue("price") != null) {
            prices[c] = Prices.toCents(d.getValue("price"));
          }
        }
        case "world.diplomacy.changed" -> {
          String pair = d.getString("pair");
          if ("WAR".equals(d.getString("to"))) {
            wars.add(pair);
          } else if ("WAR".equals(d.getString("from"))) {
            wars.remove(pair);
          }
        }
        default -> { }
      }
    }

    @Override
    public List<ProducerRecord<String, byte[]>> step(long day, Instant gameTime, Instant cut) {
      boolean[] atWar = new boolean[world.factions().size()];
      for (String pair : wars) {
        for (String f : pair.split("\\|")) {
          int i = world.factions().indexOf(f);
          if (i >= 0) {
            atWar[i] = true;
          }
        }
      }
      String tickId = "daily:" + day;
      String correlation = EventIds.of(tickId).toString();
      List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
      String expires = "gth:" + (24 * (day + 1));
      for (Crowd.Signal s : crowd.step(day, prices, atWar)) {
        out.add(EnvelopeRecords.record(world.outputTopic(), "data.commodity", envelope("world.crowd.signal",
            s.commodity() + ":" + day, s.toJson(tickId), cut, correlation)));
        List<Crowd.CrowdOrder> orders = Crowd.orders(s);
        for (int i = 0; i < orders.size(); i++) {
          Crowd.CrowdOrder o = orders.get(i);
          String id = "ord." + o.commodity() + ".crowd-" + day + "-" + i;
          JsonObject data = new JsonObject().put("order_id", id).put("commodity", o.commodity())
              .put("side", o.buy() ? "buy" : "sell").put("limit_price", BigDecimal.valueOf(o.limitCents(), 2))
              .put("quantity", o.quantity()).put("owner", "crowd").put("time_in_force", expires);
          out.add(EnvelopeRecords.record(world.market().ordersTopic(), "data.commodity",
              envelope("economy.order.placed", id, data, cut, correlation)));
        }
      }
      lastDay = day;
      return out;
    }

    private JsonObject envelope(String type, String name, JsonObject data, Instant at, String correlation) {
      return Envelope.derived(type, name, "event-mesh.crowd", at, correlation, data);
    }

    @Override
    public byte[] snapshot() {
      JsonArray p = new JsonArray(Arrays.stream(prices).boxed().toList());
      return new JsonObject().put("last_day", lastDay).put("prices", p).put("wars", new JsonArray(List.copyOf(wars)))
          .put("crowd", crowd.snapshot()).encode().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public long last() {
      return lastDay;
    }
  }

  @Override
  public Future<?> stop() {
    return vertx.executeBlocking(() -> {
      loop.close();
      return null;
    });
  }
}
