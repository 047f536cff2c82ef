package com.necpgame.mesh.crowd;

import com.necpgame.mesh.market.Order;
import com.necpgame.mesh.market.Prices;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
 * {@link #gameInput} takes what game servers publish for the crowd: {@value #SUBSIDY}, applied from the next step.
 */
public final class CrowdStep {

  /** The owner of the crowd's orders. */
  public static final String OWNER = "crowd";
  /** A game server's subsidy: {@code commodity}, optional {@code faction}, {@code rate}, {@code days}. */
  public static final String SUBSIDY = "economy.subsidy.granted";
  /** The longest subsidy, in game days. */
  public static final int MAX_SUBSIDY_DAYS = 365;
  private static final JsonFactory JSON = new JsonFactory();

  /**
   * An event to publish: on the orders topic (then {@code order} is the order its data places) or on the
   * simulation's output topic.
   */
  public record Output(Order order, String eventType, String name, String keyField, JsonObject data) {}

  /** A subsidy read and not applied yet: faction (-1: all), commodity, rate, days. */
  record Granted(int faction, int commodity, double rate, int days) {}

  private final Crowd crowd;
  private final List<String> factions;
  private final List<String> commodities;
  private final long[] prices;
  private final long[] bought;
  private final long[] sold;
  private final long[] fillQuantity;
  private final long[] fillValue;
  private final TreeSet<String> wars;
  /** Subsidies read since the last step, in input order: the next step applies them from its hour. */
  private final List<Granted> granted = new ArrayList<>();
  /** What {@link #summary()} answers: the crowd as of its last step, null before the first. */
  private JsonObject summary;

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

  /**
   * An event of a game server's topic ({@code world.diplomacy.inputs}): a {@value #SUBSIDY}, which the next step
   * applies from its hour for {@code days × 24} hours; other types are not the crowd's and are ignored. A subsidy the
   * crowd cannot take (its data not an object, a commodity or faction this world does not have, a rate not in (0,
   * {@value Crowd#MAX_SUBSIDY_RATE}], days not a whole number in [1, {@value #MAX_SUBSIDY_DAYS}]) throws an
   * IllegalArgumentException saying why, and changes nothing.
   */
  public void gameInput(JsonObject envelope) {
    if (SUBSIDY.equals(envelope.getValue("event_type"))) {
      granted.add(subsidy(envelope.getValue("data")));
    }
  }

  private Granted subsidy(Object data) {
    if (!(data instanceof JsonObject d)) {
      throw new IllegalArgumentException(SUBSIDY + ": data is not an object");
    }
    Object commodity = d.getValue("commodity");
    int c = commodity instanceof String name ? commodities.indexOf(name) : -1;
    if (c < 0) {
      throw new IllegalArgumentException(SUBSIDY + ": commodity " + (commodity == null ? "missing"
          : "\"" + commodity + "\" is not one of " + commodities));
    }
    Object faction = d.getValue("faction");
    int f = faction instanceof String name ? factions.indexOf(name) : -1;
    if (faction != null && f < 0) {
      throw new IllegalArgumentException(SUBSIDY + ": faction \"" + faction + "\" is not one of " + factions);
    }
    Object rate = d.getValue("rate");
    double r = rate instanceof Number number ? number.doubleValue() : Double.NaN;
    if (!(r > 0 && r <= Crowd.MAX_SUBSIDY_RATE)) {
      throw new IllegalArgumentException(SUBSIDY + ": rate must be a number in (0, " + Crowd.MAX_SUBSIDY_RATE
          + "], got " + rate);
    }
    Object days = d.getValue("days");
    double n = days instanceof Number number ? number.doubleValue() : Double.NaN;
    if (!(n >= 1 && n <= MAX_SUBSIDY_DAYS && n == Math.rint(n))) {
      throw new IllegalArgumentException(SUBSIDY + ": days must be a whole number in [1, " + MAX_SUBSIDY_DAYS
          + "], got " + days);
    }
    return new Granted(f, c, r, (int) n);
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
    for (Granted g : granted) {
      crowd.subsidise(g.faction(), g.commodity(), g.rate(), hour + 24L * g.days());
    }
    granted.clear();
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
    summary = summary(hour, signals, out);
    return out;
  }

  /**
   * The crowd as of its last step, for {@code GET /crowd} (null before the first): {@code game_hour, game_day,
   * population, mean_mood, mean_wealth}, per faction {@code members, at_war, war_weariness}, per commodity the
   * schedules at the reference price ({@code reference_price, demand, supply}), the day's {@code mean_price}, the
   * producers' {@code stock}, the {@code unmet_need}, the hour's crowd {@code orders} with their {@code buy_quantity}
   * and {@code sell_quantity}, the factions whose producers are in a {@code shortage}, and the {@code subsidy} of each
   * faction whose producers have one ({@code faction, rate, until_hour}: it ends before that game hour).
   */
  public JsonObject summary() {
    return summary == null ? null : summary.copy();
  }

  private JsonObject summary(long hour, List<Crowd.Signal> signals, List<Output> out) {
    long day = Math.floorDiv(hour, 24);
    int at = 0; // the level of the reference price itself (1.0)
    for (int l = 1; l < Crowd.LEVELS.length; l++) {
      at = Math.abs(Crowd.LEVELS[l] - 1) < Math.abs(Crowd.LEVELS[at] - 1) ? l : at;
    }
    boolean[] atWar = atWar();
    JsonArray factionRows = new JsonArray();
    for (int f = 0; f < factions.size(); f++) {
      factionRows.add(new JsonObject().put("faction", factions.get(f)).put("members", crowd.members(f))
          .put("at_war", atWar[f]).put("war_weariness", round(crowd.weariness(f))));
    }
    JsonArray rows = new JsonArray();
    for (int c = 0; c < signals.size(); c++) {
      Crowd.Signal s = signals.get(c);
      long orders = 0;
      long buy = 0;
      long sell = 0;
      for (Output o : out) {
        if (o.order() != null && s.commodity().equals(o.data().getString("commodity"))) {
          orders++;
          buy += o.order().side() == Order.Side.BUY ? o.order().quantity() : 0;
          sell += o.order().side() == Order.Side.SELL ? o.order().quantity() : 0;
        }
      }
      JsonArray shortages = new JsonArray();
      JsonArray subsidies = new JsonArray();
      for (int f = 0; f < factions.size(); f++) {
        if (crowd.inShortage(f, c, day)) {
          shortages.add(factions.get(f));
        }
        double rate = crowd.subsidy(f, c, hour);
        if (rate > 0) {
          subsidies.add(new JsonObject().put("faction", factions.get(f)).put("rate", rate)
              .put("until_hour", crowd.subsidyUntil(f, c)));
        }
      }
      rows.add(new JsonObject().put("commodity", s.commodity())
          .put("reference_price", Prices.toDecimal(s.referencePrice()))
          .put("mean_price", Prices.toDecimal(Math.round(crowd.meanPrice(c))))
          .put("demand", s.demand()[at]).put("supply", s.supply()[at])
          .put("stock", Math.round(crowd.stock(c))).put("unmet_need", Math.round(crowd.need(c)))
          .put("orders", orders).put("buy_quantity", buy).put("sell_quantity", sell).put("shortage", shortages)
          .put("subsidy", subsidies));
    }
    Crowd.Signal any = signals.isEmpty() ? null : signals.get(0);
    return new JsonObject().put("game_hour", hour).put("game_day", day)
        .put("population", any == null ? 0 : any.agents())
        .put("mean_mood", any == null ? null : Math.round(any.meanMood() * 1000) / 1000.0)
        .put("mean_wealth", any == null ? null : Math.round(any.meanWealth() * 100) / 100.0)
        .put("factions", factionRows).put("commodities", rows);
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

  /**
   * The {@link #summary()} a state record holds ({@link #snapshot()} bytes), null when none: read up to it and no
   * further, so a reader of the view never parses the agents (megabytes at the default population).
   */
  public static JsonObject summaryIn(byte[] state) {
    try (JsonParser p = JSON.createParser(state)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        if ("summary".equals(name)) {
          if (value != JsonToken.START_OBJECT) {
            return null;
          }
          int start = (int) p.currentTokenLocation().getByteOffset();
          p.skipChildren();
          int end = (int) p.currentLocation().getByteOffset();
          return new JsonObject(new String(state, start, end - start, StandardCharsets.UTF_8));
        }
        p.skipChildren();
      }
      return null;
    } catch (IOException e) {
      throw new IllegalArgumentException("not a crowd state record: " + e.getMessage(), e);
    }
  }

  /** The state: the {@link #summary()} first (a reader of the view stops there), then what the crowd steps from. */
  public JsonObject snapshot() {
    return new JsonObject().put("summary", summary).put("prices", longs(prices)).put("bought", longs(bought))
        .put("sold", longs(sold))
        .put("fill_quantity", longs(fillQuantity)).put("fill_value", longs(fillValue))
        .put("wars", new JsonArray(List.copyOf(wars)))
        .put("granted", new JsonArray(granted.stream().map(g -> new JsonArray().add(g.faction()).add(g.commodity())
            .add(Double.doubleToRawLongBits(g.rate())).add(g.days())).toList()))
        .put("crowd", crowd.snapshot());
  }

  public static CrowdStep restore(JsonObject s, List<String> factions) {
    TreeSet<String> wars = new TreeSet<>();
    s.getJsonArray("wars").forEach(w -> wars.add((String) w));
    CrowdStep step = new CrowdStep(Crowd.restore(s.getJsonObject("crowd")), factions,
        unlongs(s.getJsonArray("prices")), unlongs(s.getJsonArray("bought")), unlongs(s.getJsonArray("sold")),
        unlongs(s.getJsonArray("fill_quantity")), unlongs(s.getJsonArray("fill_value")), wars);
    step.summary = s.getJsonObject("summary");
    s.getJsonArray("granted", new JsonArray()).forEach(g -> {
      JsonArray a = (JsonArray) g;
      step.granted.add(new Granted(a.getInteger(0), a.getInteger(1), Double.longBitsToDouble(a.getLong(2)),
          a.getInteger(3)));
    });
    return step;
  }

  private static JsonArray longs(long[] values) {
    return new JsonArray(Arrays.stream(values).boxed().toList());
  }

  private static long[] unlongs(JsonArray a) {
    return a.stream().mapToLong(v -> ((Number) v).longValue()).toArray();
  }
}
