package com.necpgame.mesh.crowd;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A population of citizens in struct-of-arrays form (one primitive array per attribute, an agent is an index), made
 * from a seed. Each agent has a faction, wealth, a need per commodity, a specialty (the commodity it produces) and a
 * mood. Each game day {@link #step} does, for every agent:
 * <ol>
 *   <li>needs grow by the commodity's daily consumption (x{@value #WAR_NEED} for {@link #WAR_GOODS} when its faction is at
 *   war);</li>
 *   <li>it produces {@value #OUTPUT} units of its specialty (x{@value #WAR_OUTPUT} at war) and earns
 *   {@value #WAGE} credits; mood moves towards 1, by -{@value #WAR_MOOD} a day at war;</li>
 *   <li>at each price level p of a commodity (the reference price times {@link #LEVELS}) it would buy
 *   {@code need * min(1, ref / p)}, no more than a fifth of its wealth buys at p (so demand falls as p rises), and its
 *   producers would sell {@code stock * min(1, p / ref)} (supply rises with p);</li>
 *   <li>at the reference price it then buys what it demands there and pays for it, which lowers its need; producers
 *   are paid for what they sell there.</li>
 * </ol>
 * The sums over all agents are each commodity's demand and supply schedules ({@link Signal}). Same seed, same prices
 * and wars: the same signals, bit for bit (each agent's arithmetic is in a fixed order, and sums go over agents in
 * index order).
 */
public final class Crowd {

  /** Price levels of a schedule, as fractions of the reference price. */
  public static final double[] LEVELS = {0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0};
  /** Commodities an agent of a faction at war needs more of. */
  public static final Set<String> WAR_GOODS = Set.of("ammo", "medicine", "food");
  static final double WAR_NEED = 1.5;
  static final double WAR_OUTPUT = 0.8;
  static final double WAR_MOOD = 0.05;
  static final double OUTPUT = 3.0;
  static final double WAGE = 20.0;
  static final double CONSUMPTION = 1.0;

  /** One commodity's schedules for a day: quantities demanded and supplied at each price level (cents). */
  public record Signal(String commodity, long gameDay, long referencePrice, long[] prices, long[] demand,
      long[] supply, int agents, double meanMood, double meanWealth) {

    public JsonObject toJson(String tickId) {
      return new JsonObject().put("commodity", commodity).put("game_day", gameDay).put("tick_id", tickId)
          .put("reference_price", BigDecimal.valueOf(referencePrice, 2))
          .put("price_levels", new JsonArray(Arrays.stream(prices).mapToObj(c -> BigDecimal.valueOf(c, 2)).toList()))
          .put("demand", longs(demand)).put("supply", longs(supply)).put("agents", agents)
          .put("mean_mood", Math.round(meanMood * 1000) / 1000.0)
          .put("mean_wealth", Math.round(meanWealth * 100) / 100.0);
    }
  }

  /** A limit order a signal stands for: one per step of the schedule. */
  public record CrowdOrder(String commodity, boolean buy, long limitCents, long quantity) {}

  private final String[] commodities;
  private final int k;
  private final int n;
  private final int factions;
  private final int[] faction;
  private final int[] specialty;
  private final double[] wealth;
  private final double[] mood;
  private final double[] need;
  private final double[] stock;

  /** A population of {@code size} agents over {@code factions} factions, drawn from {@code seed}. */
  public Crowd(List<String> commodities, int factions, int size, long seed) {
    this.commodities = commodities.toArray(String[]::new);
    this.k = this.commodities.length;
    this.n = size;
    this.factions = factions;
    faction = new int[n];
    specialty = new int[n];
    wealth = new double[n];
    mood = new double[n];
    need = new double[n * k];
    stock = new double[n];
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0; i < n; i++) {
      faction[i] = random.nextInt(factions);
      specialty[i] = random.nextInt(k);
      wealth[i] = 50 + random.nextDouble() * 450;
      mood[i] = 0.5 + random.nextDouble() * 0.5;
      for (int c = 0; c < k; c++) {
        need[i * k + c] = random.nextDouble() * 3;
      }
    }
  }

  /** How many agents belong to a faction. */
  public int members(int f) {
    int count = 0;
    for (int x : faction) {
      count += x == f ? 1 : 0;
    }
    return count;
  }

  /**
   * One day. {@code references} are the last clearing prices in cents, in commodity order; {@code atWar[f]} whether
   * faction f is at war with anyone. The signals are in commodity order.
   */
  public List<Signal> step(long day, long[] references, boolean[] atWar) {
    int levels = LEVELS.length;
    double[] demand = new double[k * levels];
    double[] supply = new double[k * levels];
    double[] boughtAtRef = new double[k];
    double moodSum = 0;
    double wealthSum = 0;
    boolean[] warGood = new boolean[k];
    for (int c = 0; c < k; c++) {
      warGood[c] = WAR_GOODS.contains(commodities[c]);
    }
    int refLevel = 3; // LEVELS[3] == 1.0
    for (int i = 0; i < n; i++) {
      boolean war = atWar[faction[i]];
      stock[i] += OUTPUT * (war ? WAR_OUTPUT : 1.0);
      wealth[i] += WAGE;
      mood[i] += war ? -WAR_MOOD : (1 - mood[i]) * 0.02;
      mood[i] = mood[i] < 0 ? 0 : mood[i];
      int base = i * k;
      double budget = wealth[i] * 0.2;
      for (int c = 0; c < k; c++) {
        double q0 = need[base + c] + CONSUMPTION * (war && warGood[c] ? WAR_NEED : 1.0);
        need[base + c] = q0;
        double ref = references[c];
        int row = c * levels;
        double spent = 0;
        for (int l = 0; l < levels; l++) {
          double p = ref * LEVELS[l] / 100.0; // credits
          double q = q0 * (LEVELS[l] <= 1 ? 1 : 1 / LEVELS[l]);
          double affordable = budget / p;
          q = q < affordable ? q : affordable;
          demand[row + l] += q;
          if (l == refLevel) {
            spent = q * p;
            boughtAtRef[c] += q;
            need[base + c] = q0 - q;
          }
        }
        wealth[i] -= spent;
        if (specialty[i] == c) {
          for (int l = 0; l < levels; l++) {
            supply[row + l] += stock[i] * (LEVELS[l] >= 1 ? 1 : LEVELS[l]);
          }
        }
      }
      moodSum += mood[i];
      wealthSum += wealth[i];
    }
    // producers sell what the crowd bought at the reference, shared in proportion to their stock
    double[] stockOf = new double[k];
    for (int i = 0; i < n; i++) {
      stockOf[specialty[i]] += stock[i];
    }
    for (int i = 0; i < n; i++) {
      int c = specialty[i];
      if (stockOf[c] > 0) {
        double sold = Math.min(stock[i], boughtAtRef[c] * stock[i] / stockOf[c]);
        stock[i] -= sold;
        wealth[i] += sold * references[c] / 100.0;
      }
    }
    List<Signal> out = new ArrayList<>(k);
    for (int c = 0; c < k; c++) {
      long[] prices = new long[levels];
      long[] d = new long[levels];
      long[] s = new long[levels];
      for (int l = 0; l < levels; l++) {
        prices[l] = Math.max(1, Math.round(references[c] * LEVELS[l]));
        d[l] = Math.round(demand[c * levels + l]);
        s[l] = Math.round(supply[c * levels + l]);
      }
      for (int l = 1; l < levels; l++) { // rounding must not break monotony
        d[l] = Math.min(d[l], d[l - 1]);
        s[l] = Math.max(s[l], s[l - 1]);
      }
      out.add(new Signal(commodities[c], day, references[c], prices, d, s, n, moodSum / n, wealthSum / n));
    }
    return out;
  }

  /**
   * The schedules as limit orders: a buy of each step down the demand curve at the step's price (the marginal
   * quantity demanded there but not at the next higher price), and a sell of each step up the supply curve.
   */
  public static List<CrowdOrder> orders(Signal s) {
    List<CrowdOrder> out = new ArrayList<>();
    int levels = s.prices().length;
    for (int l = 0; l < levels; l++) {
      long buy = s.demand()[l] - (l + 1 < levels ? s.demand()[l + 1] : 0);
      if (buy > 0) {
        out.add(new CrowdOrder(s.commodity(), true, s.prices()[l], buy));
      }
      long sell = s.supply()[l] - (l > 0 ? s.supply()[l - 1] : 0);
      if (sell > 0) {
        out.add(new CrowdOrder(s.commodity(), false, s.prices()[l], sell));
      }
    }
    return out;
  }

  /** Every attribute of every agent, exactly (doubles as their bits). */
  public JsonObject snapshot() {
    ByteBuffer b = ByteBuffer.allocate(n * (4 + 4 + 8 + 8 + 8 + 8 * k));
    for (int i = 0; i < n; i++) {
      b.putInt(faction[i]).putInt(specialty[i]).putDouble(wealth[i]).putDouble(mood[i]).putDouble(stock[i]);
      for (int c = 0; c < k; c++) {
        b.putDouble(need[i * k + c]);
      }
    }
    return new JsonObject().put("commodities", new JsonArray(List.of(commodities))).put("factions", factions)
        .put("size", n).put("agents", Base64.getEncoder().encodeToString(b.array()));
  }

  public static Crowd restore(JsonObject s) {
    Crowd c = new Crowd(s.getJsonArray("commodities").stream().map(String::valueOf).toList(), s.getInteger("factions"),
        s.getInteger("size"), 0);
    ByteBuffer b = ByteBuffer.wrap(Base64.getDecoder().decode(s.getString("agents")));
    for (int i = 0; i < c.n; i++) {
      c.faction[i] = b.getInt();
      c.specialty[i] = b.getInt();
      c.wealth[i] = b.getDouble();
      c.mood[i] = b.getDouble();
      c.stock[i] = b.getDouble();
      for (int j = 0; j < c.k; j++) {
        c.need[i * c.k + j] = b.getDouble();
      }
    }
    return c;
  }

  private static JsonArray longs(long[] values) {
    return new JsonArray(Arrays.stream(values).boxed().toList());
  }
}
