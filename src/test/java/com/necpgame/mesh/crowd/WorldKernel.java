package com.necpgame.mesh.crowd;

import com.necpgame.mesh.config.WorldConfig;
import com.necpgame.mesh.diplomacy.Relations;
import com.necpgame.mesh.market.Clearing;
import com.necpgame.mesh.market.Fill;
import com.necpgame.mesh.market.Market;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;

/**
 * The world's three kernels, the crowd ({@link CrowdStep}), the market ({@link Market}) and diplomacy
 * ({@link Relations}), driven hour by hour with no Kafka, each seeing what the running mesh would show it by its cut:
 * at hour h the market clears the orders placed before h (the crowd's of hour h - 1); the crowd steps on the clearings
 * and fills of hour h - 1 and on the diplomacy changes of the days before (published just after a day's tick);
 * diplomacy steps day d at hour 24d on the activity the crowd published before (the crowd publishes day d - 1's at
 * hour 24d, after that cut, so diplomacy reads it at day d + 1) plus any game-server input given. Every output's data
 * goes, in order, into a SHA-256 digest (the exact fields of orders, clearings and fills, the JSON of the rest), so two
 * runs can be compared byte for byte. Orders go into the market and fills to the crowd as values rather than JSON
 * (the verticles' JSON of them is tested on its own), so a simulated year takes seconds.
 */
final class WorldKernel {

  /** One clearing as the figures need it. */
  record Hour(long hour, String commodity, Long price, long volume) {}

  final List<String> commodities;
  final List<String> factions;
  final Market market;
  final Relations relations;
  final CrowdStep crowd;
  private List<Clearing> lastClearings = List.of();
  private List<JsonObject> toCrowdNext = new ArrayList<>();
  private final List<JsonObject> toDiplomacy = new ArrayList<>();
  private final MessageDigest digest;
  private long hour;
  /** Time spent in the crowd's steps alone. */
  long crowdNanos;
  final List<Relations.Transition> transitions = new ArrayList<>();
  private Consumer<Hour> clearings = h -> { };
  private java.util.function.BiConsumer<String, JsonObject> activity = (t, d) -> { };

  WorldKernel onActivity(java.util.function.BiConsumer<String, JsonObject> listener) {
    this.activity = listener;
    return this;
  }

  WorldKernel(WorldConfig world, int population, double shortageRate) {
    this(world, population, world.crowd().seed(), shortageRate);
  }

  WorldKernel(WorldConfig world, int population, long seed, double shortageRate) {
    commodities = List.copyOf(world.commodities().keySet());
    factions = world.factions();
    market = new Market(world.commodities());
    relations = new Relations(factions, world.diplomacy());
    long[] costs = world.commodities().values().stream().mapToLong(Long::longValue).toArray();
    crowd = CrowdStep.fresh(commodities, costs, factions, population, seed, shortageRate);
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  WorldKernel onClearing(Consumer<Hour> listener) {
    this.clearings = listener;
    return this;
  }

  /** A game server's diplomacy input (as on {@code world.diplomacy.inputs}), read at the next daily step. */
  void gameServer(String eventType, JsonObject data) {
    toDiplomacy.add(new JsonObject().put("event_type", eventType).put("data", data));
  }

  /** A game server's event for the crowd (as on {@code world.diplomacy.inputs}), read before its next step. */
  void gameServerToCrowd(String eventType, JsonObject data) {
    crowd.gameInput(new JsonObject().put("event_type", eventType).put("data", data));
  }

  long hour() {
    return hour;
  }

  /** Runs hours up to (excluding) {@code end}. */
  void runTo(long end) {
    while (hour < end) {
      step();
    }
  }

  private void step() {
    long h = hour;
    List<Clearing> seen = lastClearings;
    List<JsonObject> changes = toCrowdNext;
    toCrowdNext = new ArrayList<>();
    lastClearings = market.clearAll(h);
    for (Clearing c : lastClearings) {
      digest("economy.market.cleared|" + c.commodity() + "|" + h + "|" + c.price() + "|" + c.volume());
      for (Fill f : c.fills()) {
        digest(f.buyOrderId() + "|" + f.sellOrderId() + "|" + f.quantity());
      }
      clearings.accept(new Hour(h, c.commodity(), c.price(), c.volume()));
    }
    if (Math.floorMod(h, 24) == 0) {
      for (JsonObject e : toDiplomacy) {
        relations.input(e.getString("event_type"), e.getJsonObject("data"));
      }
      toDiplomacy.clear();
      for (Relations.Transition t : relations.step(Math.floorDiv(h, 24))) {
        transitions.add(t);
        JsonObject data = t.toJson("daily:" + t.day());
        digest("world.diplomacy.changed" + data.encode());
        toCrowdNext.add(new JsonObject().put("event_type", "world.diplomacy.changed").put("data", data));
      }
    }
    for (Clearing c : seen) {
      if (c.price() != null) {
        crowd.cleared(c.commodity(), c.price());
      }
      for (Fill f : c.fills()) {
        crowd.filled(c.commodity(), f.buyer(), f.seller(), f.quantity(), f.price());
      }
    }
    changes.forEach(crowd::input);
    long t0 = System.nanoTime();
    List<CrowdStep.Output> outputs = crowd.step(h);
    crowdNanos += System.nanoTime() - t0;
    for (CrowdStep.Output o : outputs) {
      if (o.order() != null) {
        market.add(o.data().getString("commodity"), o.order());
        digest(o.name() + "|" + o.order().side() + "|" + o.order().limit() + "|" + o.order().quantity());
      } else {
        digest(o.eventType() + o.data().encode());
        if (o.eventType().startsWith("world.faction.")) {
          toDiplomacy.add(new JsonObject().put("event_type", o.eventType()).put("data", o.data()));
          activity.accept(o.eventType(), o.data());
        }
      }
    }
    hour++;
  }

  private void digest(String text) {
    digest.update(text.getBytes(StandardCharsets.UTF_8));
  }

  /** The digest of every output so far. */
  String digest() {
    try {
      return HexFormat.of().formatHex(((MessageDigest) digest.clone()).digest());
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException(e);
    }
  }
}
