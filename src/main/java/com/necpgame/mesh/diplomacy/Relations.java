package com.necpgame.mesh.diplomacy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The relations of every pair of factions: Love (affinity, -100..100) and Fear (threat, 0..100), and a diplomatic
 * {@link State} with the day it was entered. Stored for the upper triangle only (pair {@code a < b}), so the matrix
 * is symmetric by construction. The day's events are accumulated ({@link #trade}, {@link #combat}, {@link #power})
 * and applied once per game day by {@link #step}, which answers only the state changes.
 *
 * <p>Daily update of a pair, with T the day's trade value between the two, C the day's combat intensity between them
 * and R = |ln(power_a / power_b)| their power imbalance (Richardson's arms-race model, discretised per day: fear grows
 * with the rival's relative strength and with grievances, and decays towards its baseline):
 * <pre>
 *   love' = clamp(love + tradeLove * ln(1 + T) - combatLove * C - loveDecay * (love - loveBaseline), -100, 100)
 *   fear' = clamp(fear + powerFear * R + combatFear * C - fearDecay * (fear - fearBaseline), 0, 100)
 * </pre>
 * Then the state moves by {@link Transitions}: separate enter and exit thresholds (hysteresis), and no change before
 * {@code minDwellDays} in the current state.
 */
public final class Relations {

  /** The model's parameters, with defaults ({@link #DEFAULTS}). */
  public record Params(double tradeLove, double combatLove, double loveDecay, double loveBaseline, double powerFear,
      double combatFear, double fearDecay, double fearBaseline, int minDwellDays, int historyPerPair) {}

  public static final Params DEFAULTS = new Params(4.0, 6.0, 0.05, 0.0, 3.0, 5.0, 0.08, 10.0, 7, 100);

  /** A change of state, published as {@code world.diplomacy.changed}. */
  public record Transition(String a, String b, long day, State from, State to, double love, double fear,
      String reason) {
    public JsonObject toJson(String tickId) {
      return new JsonObject().put("pair", a + "|" + b).put("faction_a", a).put("faction_b", b).put("game_day", day)
          .put("tick_id", tickId).put("from", from.name()).put("to", to.name()).put("love", round(love))
          .put("fear", round(fear)).put("reason", reason);
    }
  }

  private final Params params;
  private final String[] names;
  private final Map<String, Integer> index = new HashMap<>();
  private final int n;
  private final double[] love;
  private final double[] fear;
  private final byte[] state;
  private final long[] since;
  private final double[] power;
  private final double[] trade;
  private final double[] combat;
  private final Map<Integer, ArrayDeque<Transition>> history = new HashMap<>();
  private long lastDay = Long.MIN_VALUE;

  public Relations(List<String> factions, Params params) {
    this.params = params;
    this.names = factions.toArray(String[]::new);
    this.n = names.length;
    for (int i = 0; i < n; i++) {
      if (index.put(names[i], i) != null) {
        throw new IllegalArgumentException("faction " + names[i] + " twice");
      }
    }
    int pairs = n * (n - 1) / 2;
    love = new double[pairs];
    fear = new double[pairs];
    state = new byte[pairs];
    since = new long[pairs];
    power = new double[n];
    trade = new double[pairs];
    combat = new double[pairs];
    Arrays.fill(love, params.loveBaseline());
    Arrays.fill(fear, params.fearBaseline());
    Arrays.fill(state, (byte) State.PEACE.ordinal());
    Arrays.fill(since, Long.MIN_VALUE / 2);
    Arrays.fill(power, 1.0);
  }

  /** The index of pair (i, j), i != j, in the upper triangle. */
  int pair(int i, int j) {
    int a = Math.min(i, j);
    int b = Math.max(i, j);
    return a * (2 * n - a - 1) / 2 + (b - a - 1);
  }

  private int faction(String name) {
    Integer i = index.get(name);
    if (i == null) {
      throw new IllegalArgumentException("unknown faction " + name);
    }
    return i;
  }

  /** Trade of {@code value} between two factions today. */
  public void trade(String a, String b, double value) {
    int i = faction(a);
    int j = faction(b);
    if (i != j && value > 0) {
      trade[pair(i, j)] += value;
    }
  }

  /** Combat of {@code intensity} (for instance kills) between two factions today. */
  public void combat(String a, String b, double intensity) {
    int i = faction(a);
    int j = faction(b);
    if (i != j && intensity > 0) {
      combat[pair(i, j)] += intensity;
    }
  }

  /** A faction's military/economic power as of today (positive). */
  public void power(String faction, double value) {
    if (value > 0) {
      power[faction(faction)] = value;
    }
  }

  /**
   * A diplomacy input: {@code world.faction.trade {faction_a, faction_b, value}}, {@code world.faction.combat
   * {faction_a, faction_b, intensity}} or {@code world.faction.power {faction, power}}; any other type, or a faction
   * this world does not have, is ignored.
   */
  public void input(String eventType, io.vertx.core.json.JsonObject d) {
    String a = d.getString("faction_a");
    String b = d.getString("faction_b");
    boolean pair = a != null && b != null && knows(a) && knows(b);
    switch (eventType) {
      case "world.faction.trade" -> {
        if (pair) {
          trade(a, b, d.getDouble("value", 0.0));
        }
      }
      case "world.faction.combat" -> {
        if (pair) {
          combat(a, b, d.getDouble("intensity", 0.0));
        }
      }
      case "world.faction.power" -> {
        String f = d.getString("faction");
        if (f != null && knows(f)) {
          power(f, d.getDouble("power", 0.0));
        }
      }
      default -> { }
    }
  }

  public boolean knows(String faction) {
    return index.containsKey(faction);
  }

  /** Applies the day's inputs to every pair and evaluates every pair's state; the changes, in pair order. */
  public List<Transition> step(long day) {
    List<Transition> out = new ArrayList<>();
    double[] logPower = new double[n];
    for (int i = 0; i < n; i++) {
      logPower[i] = Math.log(power[i]);
    }
    Params p = params;
    int k = 0;
    for (int i = 0; i < n; i++) {
      for (int j = i + 1; j < n; j++, k++) {
        double c = combat[k];
        double t = trade[k];
        double l = love[k] + (t > 0 ? p.tradeLove() * Math.log1p(t) : 0) - p.combatLove() * c
            - p.loveDecay() * (love[k] - p.loveBaseline());
        double f = fear[k] + p.powerFear() * Math.abs(logPower[i] - logPower[j]) + p.combatFear() * c
            - p.fearDecay() * (fear[k] - p.fearBaseline());
        love[k] = l < -100 ? -100 : l > 100 ? 100 : l;
        fear[k] = f < 0 ? 0 : f > 100 ? 100 : f;
        if (day - since[k] >= p.minDwellDays()) {
          State from = State.values()[state[k]];
          Transitions.Move move = Transitions.next(from, love[k], fear[k]);
          if (move != null) {
            state[k] = (byte) move.to().ordinal();
            since[k] = day;
            Transition tr = new Transition(names[i], names[j], day, from, move.to(), love[k], fear[k], move.reason());
            out.add(tr);
            ArrayDeque<Transition> h = history.computeIfAbsent(k, x -> new ArrayDeque<>());
            if (h.size() == p.historyPerPair()) {
              h.removeFirst();
            }
            h.addLast(tr);
          }
        }
      }
    }
    Arrays.fill(trade, 0);
    Arrays.fill(combat, 0);
    lastDay = day;
    return out;
  }

  public long lastDay() {
    return lastDay;
  }

  public State state(String a, String b) {
    return State.values()[state[pair(faction(a), faction(b))]];
  }

  public double love(String a, String b) {
    return love[pair(faction(a), faction(b))];
  }

  public double fear(String a, String b) {
    return fear[pair(faction(a), faction(b))];
  }

  /** The matrix: factions, and per pair (a < b in faction order) state, love, fear and the day it was entered. */
  public JsonObject matrix() {
    JsonArray pairs = new JsonArray();
    int k = 0;
    for (int i = 0; i < n; i++) {
      for (int j = i + 1; j < n; j++, k++) {
        pairs.add(new JsonObject().put("a", names[i]).put("b", names[j]).put("state", State.values()[state[k]].name())
            .put("love", round(love[k])).put("fear", round(fear[k]))
            .put("since_day", since[k] < Long.MIN_VALUE / 4 ? null : since[k]));
      }
    }
    return new JsonObject().put("game_day", lastDay == Long.MIN_VALUE ? null : lastDay)
        .put("factions", new JsonArray(List.of(names))).put("pairs", pairs);
  }

  /** The changes of one pair, oldest first (at most {@code historyPerPair}). */
  public List<Transition> history(String a, String b) {
    return List.copyOf(history.getOrDefault(pair(faction(a), faction(b)), new ArrayDeque<>()));
  }

  public JsonObject snapshot() {
    JsonObject h = new JsonObject();
    history.keySet().stream().sorted().forEach(k -> {
      JsonArray rows = new JsonArray();
      history.get(k).forEach(t -> rows.add(new JsonArray().add(t.day()).add(t.from().name()).add(t.to().name())
          .add(t.love()).add(t.fear()).add(t.reason())));
      h.put(String.valueOf(k), rows);
    });
    return new JsonObject().put("factions", new JsonArray(List.of(names))).put("last_day", lastDay)
        .put("love", doubles(love)).put("fear", doubles(fear)).put("power", doubles(power))
        .put("trade", doubles(trade)).put("combat", doubles(combat)).put("state", Arrays.toString(state))
        .put("since", new JsonArray(Arrays.stream(since).boxed().toList())).put("history", h);
  }

  public static Relations restore(JsonObject s, Params params) {
    List<String> factions = s.getJsonArray("factions").stream().map(String::valueOf).toList();
    Relations r = new Relations(factions, params);
    r.lastDay = s.getLong("last_day");
    fill(r.love, s.getJsonArray("love"));
    fill(r.fear, s.getJsonArray("fear"));
    fill(r.power, s.getJsonArray("power"));
    fill(r.trade, s.getJsonArray("trade"));
    fill(r.combat, s.getJsonArray("combat"));
    String states = s.getString("state");
    String[] parts = states.substring(1, states.length() - 1).split(", ");
    for (int k = 0; k < r.state.length; k++) {
      r.state[k] = Byte.parseByte(parts[k]);
    }
    JsonArray since = s.getJsonArray("since");
    for (int k = 0; k < r.since.length; k++) {
      r.since[k] = since.getLong(k);
    }
    s.getJsonObject("history").forEach(e -> {
      int k = Integer.parseInt(e.getKey());
      int[] ij = r.unpair(k);
      ArrayDeque<Transition> h = new ArrayDeque<>();
      for (Object row : (JsonArray) e.getValue()) {
        JsonArray t = (JsonArray) row;
        h.add(new Transition(r.names[ij[0]], r.names[ij[1]], t.getLong(0), State.valueOf(t.getString(1)),
            State.valueOf(t.getString(2)), t.getDouble(3), t.getDouble(4), t.getString(5)));
      }
      r.history.put(k, h);
    });
    return r;
  }

  private int[] unpair(int k) {
    for (int i = 0; i < n; i++) {
      int first = pair(i, i + 1);
      int count = n - i - 1;
      if (k < first + count) {
        return new int[] {i, i + 1 + (k - first)};
      }
    }
    throw new IllegalArgumentException("no pair " + k);
  }

  private static JsonArray doubles(double[] values) {
    return new JsonArray(Arrays.stream(values).boxed().toList());
  }

  private static void fill(double[] into, JsonArray from) {
    for (int k = 0; k < into.length; k++) {
      into[k] = from.getDouble(k);
    }
  }

  static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }
}
