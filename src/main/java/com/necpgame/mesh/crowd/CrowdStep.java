package com.necpgame.mesh.crowd;

import com.necpgame.mesh.market.Order;
import com.necpgame.mesh.market.Prices;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * The crowd with what it knows, as the hourly step sees it, with no Kafka: the last clearing price of each commodity,
 * the crowd's own fills since its last step, and the pairs at war. {@link #input} takes the simulation's events
 * ({@code economy.market.cleared}, {@code economy.trade.executed}, {@code world.diplomacy.changed}); {@link #step}
 * answers what the hour publishes: each commodity's {@code world.crowd.signal}, the schedules as limit orders
 * ({@code owner: crowd}, good for the next hour's clearing: {@code gth:<hour + 1>}), and at the first hour of a day
 * the faction activity of the day before ({@code world.faction.trade / combat / power}), the inputs diplomacy reads.
 */
public final class CrowdStep {

  /** The owner of the crowd's orders. */
  public static final String OWNER = "crowd";

  /**
   * An event to publish: on the orders topic (then {@code order} is the order its data places) or on the
   * simulation's output topic.
   */
  public record Output(Order order, String eventType, String name, String keyField, JsonObject data) {}

  private final Crowd crowd;
  private final List<String> factions;
  private final List<String> commodities;
  private final long[] prices;
  private final long[] bought;
  private final long[] sold;
  private final long[] fillQuantity;
  private final long[] fillValue;
  private final TreeSet<String> wars;

  private CrowdStep(Crowd crowd, List<String> factions, long[] prices, long[] bought, long[] sold, long[] fillQuantity,
      long[] fillValue, TreeSet<String> wars) {
    this.crowd = crowd;
    this.factions = List.copyOf(factions);
    this.commodities = crowd.commodities();
    this.prices = prices;
    this.bought = bought;
    this.sold = sold;
    this.fillQuantity = fillQuantity;
    this.fillValue = fillValue;
    this.wars = wars;
  }

  /** A fresh crowd; {@code costs} (cents) are the commodities' production costs and first prices. */
  public static CrowdStep fresh(List<String> commodities, long[] costs, List<String> factions, int population,
      long seed, double shortageRate) {
    int k = commodities.size();
    return new CrowdStep(new Crowd(commodities, costs, factions.size(), population, seed, shortageRate), factions,
        costs.clone(), new long[k], new long[k], new long[k], new long[k], new TreeSet<>());
  }

  public Crowd crowd() {
    return crowd;
  }

  /** The last hour stepped, or MIN_VALUE. */
  public long last() {
    return crowd.lastHour();
  }

  /** An event of the simulation's output topic; others are ignored. */
  public void input(JsonObject envelope) {
    JsonObject d = envelope.getJsonObject("data");
    if (d == null) {
      return;
    }
    switch (envelope.getString("event_type")) {
      case "economy.market.cleared" -> {
        if (d.getValue("price") != null) {
          cleared(d.getString("commodity"), Prices.toCents(d.getValue("price")));
        }
      }
      case "economy.trade.executed" -> filled(d.getString("commodity"), d.getString("buyer"), d.getString("seller"),
          d.getLong("quantity"), Prices.toCents(d.getValue("price")));
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

  /** A clearing price of a commodity (cents). */
  public void cleared(String commodity, long price) {
    int c = commodities.indexOf(commodity);
    if (c >= 0) {
      prices[c] = price;
    }
  }

  /** A trade: what the crowd bought or sold of it counts. */
  public void filled(String commodity, String buyer, String seller, long quantity, long price) {
    int c = commodities.indexOf(commodity);
    boolean buys = OWNER.equals(buyer);
    boolean sells = OWNER.equals(seller);
    if (c >= 0 && (buys || sells)) {
      bought[c] += buys ? quantity : 0;
      sold[c] += sells ? quantity : 0;
      fillQuantity[c] += quantity;
      fillValue[c] += quantity * price;
    }
  }

  /** Whether a faction is at war with anyone, as the crowd knows. */
  public boolean[] atWar() {
    boolean[] atWar = new boolean[factions.size()];
    for (String pair : wars) {
      for (String f : pair.split("\\|")) {
        int i = factions.indexOf(f);
        if (i >= 0) {
          atWar[i] = true;
        }
      }
    }
    return atWar;
  }

  /** Steps the hour: what it publishes, in a fixed order. */
  public List<Output> step(long hour) {
    boolean first = crowd.lastHour() == Long.MIN_VALUE;
    int k = commodities.size();
    long[] fillPrices = new long[k];
    for (int c = 0; c < k; c++) {
      fillPrices[c] = fillQuantity[c] == 0 ? 0 : Math.round(fillValue[c] / (double) fillQuantity[c]);
    }
    List<Crowd.Signal> signals = crowd.step(hour, prices, bought, sold, fillPrices, atWar());
    Arrays.fill(bought, 0);
    Arrays.fill(sold, 0);
    Arrays.fill(fillQuantity, 0);
    Arrays.fill(fillValue, 0);
    List<Output> out = new ArrayList<>();
    String tickId = "hourly:" + hour;
    for (Crowd.Signal s : signals) {
      out.add(new Output(null, "world.crowd.signal", s.commodity() + ":" + hour, "data.commodity",
          s.toJson(tickId)));
      List<Crowd.CrowdOrder> orders = Crowd.orders(s);
      for (int i = 0; i < orders.size(); i++) {
        Crowd.CrowdOrder o = orders.get(i);
        String id = "ord." + o.commodity() + ".crowd-h" + hour + "-" + i;
        Order order = Order.limit(id, OWNER, o.buy() ? Order.Side.BUY : Order.Side.SELL, o.limitCents(), o.quantity())
            .untilHour(hour + 1);
        out.add(new Output(order, "economy.order.placed", id, "data.commodity", order.toPlacedJson(o.commodity())));
      }
    }
    if (!first && Math.floorMod(hour, 24) == 0) {
      out.addAll(activity(crowd.activity(Math.floorDiv(hour, 24) - 1)));
    }
    return out;
  }

  private List<Output> activity(Crowd.Activity a) {
    List<Output> out = new ArrayList<>();
    String day = ":" + a.day();
    for (Crowd.Pair p : a.trade()) {
      String fa = factions.get(p.a());
      String fb = factions.get(p.b());
      out.add(new Output(null, "world.faction.trade", fa + "|" + fb + day, "data.faction_a", new JsonObject()
          .put("faction_a", fa).put("faction_b", fb).put("value", round(p.value()))));
    }
    for (Crowd.Pair p : a.raids()) {
      String fa = factions.get(p.a());
      String fb = factions.get(p.b());
      out.add(new Output(null, "world.faction.combat", fa + ">" + fb + day, "data.faction_a", new JsonObject()
          .put("faction_a", fa).put("faction_b", fb).put("intensity", round(p.value()))));
    }
    for (int f = 0; f < a.power().length; f++) {
      out.add(new Output(null, "world.faction.power", factions.get(f) + day, "data.faction", new JsonObject()
          .put("faction", factions.get(f)).put("power", round(a.power()[f]))));
    }
    out.removeIf(o -> o.data().getDouble(o.data().containsKey("value") ? "value"
        : o.data().containsKey("intensity") ? "intensity" : "power") <= 0);
    return out;
  }

  /** Four decimals: what the event carries (and the model reads back). */
  private static double round(double v) {
    return Math.round(v * 10_000) / 10_000.0;
  }

  public JsonObject snapshot() {
    return new JsonObject().put("prices", longs(prices)).put("bought", longs(bought)).put("sold", longs(sold))
        .put("fill_quantity", longs(fillQuantity)).put("fill_value", longs(fillValue))
        .put("wars", new JsonArray(List.copyOf(wars))).put("crowd", crowd.snapshot());
  }

  public static CrowdStep restore(JsonObject s, List<String> factions) {
    TreeSet<String> wars = new TreeSet<>();
    s.getJsonArray("wars").forEach(w -> wars.add((String) w));
    return new CrowdStep(Crowd.restore(s.getJsonObject("crowd")), factions, unlongs(s.getJsonArray("prices")),
        unlongs(s.getJsonArray("bought")), unlongs(s.getJsonArray("sold")), unlongs(s.getJsonArray("fill_quantity")),
        unlongs(s.getJsonArray("fill_value")), wars);
  }

  private static JsonArray longs(long[] values) {
    return new JsonArray(Arrays.stream(values).boxed().toList());
  }

  private static long[] unlongs(JsonArray a) {
    return a.stream().mapToLong(v -> ((Number) v).longValue()).toArray();
  }
}
