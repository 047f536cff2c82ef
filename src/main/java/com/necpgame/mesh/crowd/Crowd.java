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
 * from a seed. Each agent has a faction, wealth, a need (unmet consumption) per commodity, a specialty (the commodity
 * it produces), a stock of it and a mood. The crowd trades every game hour ({@link #step}); its model, with a_c the
 * commodity's production cost (its configured reference price), r_c its last clearing price, x = p / a_c:
 * <pre>
 *   settle    the crowd's fills of the last clearing: solvent buyers of c get bought_c pro rata to their need and
 *             pay the clearing price; producers of c deliver sold_c pro rata to their stock and are paid it
 *   consume   need_ic += w(hour of day) / 24 (x WAR_NEED for ammo, medicine, food at war), at most NEED_CAP days;
 *             w = 1 + 0.4 cos(2 pi (hour - 19) / 24): an evening peak
 *   produce   stock_i += (N / N_c) / 24 * m_fc * (x WAR_OUTPUT at war) * (x SHORTAGE_OUTPUT in a shortage), while
 *             the stock holds less than STOCK_CAP days of it; N / N_c balances production with consumption at cost and
 *             m_fc = clamp(pbar_c / u_fc, 0.5, 2) makes producers follow the day's mean price pbar_c (long run:
 *             p = u_fc); u_fc = (1 - s_fc) a_c is the unit cost of the producers of c in faction f, s_fc the rate of
 *             a subsidy in force for them (0 when none)
 *   income    wealth_i += TAX * (mean wealth of its faction - wealth_i) + GLOBAL_TAX * (mean wealth - wealth_i):
 *             a flat tax its faction pays back equally, and a tenth of it that everyone shares (money is conserved;
 *             a faction is about as rich as its citizens earn less what they spend, and a poor one is not left out)
 *   mood      moves 1/24 of the way each hour to 1 - 0.6 unmet_i - 0.4 [at war], unmet_i = mean need_ic / cap
 *   demand    d_ic = ALPHA * need_ic * phi_i, phi_i = min(1, BUDGET * wealth_i / sum_c ALPHA need_ic r_c)
 *             D_c(p) = sum_i d_ic * min(2, 1 / x), none above RESERVE_HIGH * a_c
 *   supply    S_c(p) = sum_(producers of c) OFFER * stock_i * min(2, p / u_fc), none below RESERVE_LOW * u_fc
 *             (with no subsidy u_fc = a_c: min(2, x), none below RESERVE_LOW * a_c)
 * </pre>
 * The schedules are evaluated at price levels around the last clearing price ({@link #LEVELS}); the call auction finds
 * where they cross, at most a quarter away from the last price each hour, and the reservation prices bound it to
 * [RESERVE_LOW, RESERVE_HIGH] x the cost whatever happens. Each day also has the faction activity the crowd makes
 * ({@link Activity}): the trade between factions' citizens, raids when a faction's scarcity and fear are high, and its
 * power. Shortages: each day, with probability {@code shortageRate}, the producers of one commodity in one faction
 * (both drawn from the seed and the day) produce {@value #SHORTAGE_OUTPUT} of their output for 3 to 10 days.
 * Subsidies ({@link #subsidise}, a game server's input): the state pays a share s of the producers' unit cost, of one
 * commodity, in one faction or all, for some hours; they produce more at a price and offer more at a price and below
 * it, so the price falls towards (1 - s) a_c while it lasts, and comes back to a_c after (the state's payment is the
 * producers' lower cost: production costs no money in this model). A consumer's valuation (demand) keeps a_c.
 * Same seed, same inputs: the same signals and activity, bit for bit (each agent's arithmetic is in a fixed order, and
 * sums go over agents in index order).
 */
public final class Crowd {

  /** Price levels of a schedule, as fractions of the last clearing price. */
  public static final double[] LEVELS = {0.8, 0.9, 0.95, 0.98, 1.0, 1.02, 1.05, 1.1, 1.25};
  /** Commodities an agent of a faction at war needs more of. */
  public static final Set<String> WAR_GOODS = Set.of("ammo", "medicine", "food");
  static final double WAR_NEED = 1.5;
  static final double WAR_OUTPUT = 0.8;
  static final double CONSUMPTION = 1.0;
  static final double NEED_CAP = 2.0;
  static final double STOCK_CAP = 3.0;
  static final double ALPHA = 0.3;
  static final double OFFER = 0.2;
  static final double BUDGET = 0.1;
  static final double TAX = 0.02;
  static final double GLOBAL_TAX = 0.002;
  static final double RESERVE_LOW = 0.3;
  static final double RESERVE_HIGH = 3.0;
  static final double SHORTAGE_OUTPUT = 0.2;
  /** The largest share of the producers' unit cost a subsidy pays. */
  public static final double MAX_SUBSIDY_RATE = 0.9;
  /** A faction raids when its raid pressure (1 for a faction as well off as the crowd) is above this. */
  static final double RAID_THRESHOLD = 1.2;
  /** Combat intensity a day per unit of raid pressure above the threshold. */
  static final double RAID_INTENSITY = 4.0;
  /** War weariness: a faction's raids fall by e for each this many days it has been at war. */
  static final double WEARINESS_DAYS = 7.0;

  /** One commodity's schedules for an hour: quantities demanded and supplied at each price level (cents). */
  public record Signal(String commodity, long gameHour, long referencePrice, long[] prices, long[] demand,
      long[] supply, int agents, double meanMood, double meanWealth) {

    public JsonObject toJson(String tickId) {
      return new JsonObject().put("commodity", commodity).put("game_hour", gameHour)
          .put("game_day", Math.floorDiv(gameHour, 24)).put("tick_id", tickId)
          .put("reference_price", BigDecimal.valueOf(referencePrice, 2))
          .put("price_levels", new JsonArray(Arrays.stream(prices).mapToObj(c -> BigDecimal.valueOf(c, 2)).toList()))
          .put("demand", longs(demand)).put("supply", longs(supply)).put("agents", agents)
          .put("mean_mood", Math.round(meanMood * 1000) / 1000.0)
          .put("mean_wealth", Math.round(meanWealth * 100) / 100.0);
    }
  }

  /** A limit order a signal stands for: one per step of the schedule. */
  public record CrowdOrder(String commodity, boolean buy, long limitCents, long quantity) {}

  /**
   * A day's faction activity: trade value between each pair's citizens relative to what their sizes predict (1: as
   * much), raids (combat intensity, raider first) and each faction's power (what its citizens earned selling, per
   * citizen, relative to the whole crowd's). Pairs are {@code a < b} in faction order.
   */
  public record Activity(long day, List<Pair> trade, List<Pair> raids, double[] power) {}

  /** A value between two factions (indexes). */
  public record Pair(int a, int b, double value) {}

  private final String[] commodities;
  private final long[] costs;
  private final int k;
  private final int n;
  private final int factions;
  private final long seed;
  private final double shortageRate;
  private final int[] faction;
  private final int[] specialty;
  private final double[] wealth;
  private final double[] mood;
  private final double[] need;
  private final double[] stock;
  private final double[] output;
  private final int[] members;
  private final boolean[] warGood;
  // aggregate state, in the snapshot beside the agents
  private final double[] smooth;
  private final double[] needSum;
  private final double[] stockSum;
  private final long[] shortageUntil;
  /** Per faction and commodity: the rate of its producers' subsidy and the hour it ends (excluded; MIN_VALUE none). */
  private final double[] subsidyRate;
  private final long[] subsidyUntil;
  private final double[] tradeToday;
  private final double[] earnedToday;
  private final double[] weariness;
  private long lastHour = Long.MIN_VALUE;

  /**
   * A population of {@code size} agents over {@code factions} factions, drawn from {@code seed}; {@code costs} are the
   * commodities' production costs in cents (their configured reference prices).
   */
  public Crowd(List<String> commodities, long[] costs, int factions, int size, long seed, double shortageRate) {
    this.commodities = commodities.toArray(String[]::new);
    this.costs = costs.clone();
    this.k = this.commodities.length;
    if (costs.length != k) {
      throw new IllegalArgumentException(k + " commodities, " + costs.length + " costs");
    }
    this.n = size;
    this.factions = factions;
    this.seed = seed;
    this.shortageRate = shortageRate;
    faction = new int[n];
    specialty = new int[n];
    wealth = new double[n];
    mood = new double[n];
    need = new double[n * k];
    stock = new double[n];
    output = new double[k];
    members = new int[factions];
    warGood = new boolean[k];
    smooth = new double[k];
    needSum = new double[k];
    stockSum = new double[k];
    shortageUntil = new long[factions * k];
    subsidyRate = new double[factions * k];
    subsidyUntil = new long[factions * k];
    tradeToday = new double[factions * factions];
    earnedToday = new double[factions];
    weariness = new double[factions];
    Arrays.fill(shortageUntil, Long.MIN_VALUE);
    Arrays.fill(subsidyUntil, Long.MIN_VALUE);
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0; i < n; i++) {
      faction[i] = random.nextInt(factions);
      specialty[i] = random.nextInt(k);
      wealth[i] = 50 + random.nextDouble() * 450;
      mood[i] = 0.8 + random.nextDouble() * 0.2;
      for (int c = 0; c < k; c++) {
        need[i * k + c] = random.nextDouble() * 0.3;
      }
      stock[i] = 0.1 + random.nextDouble() * 0.2; // days of output, made units below
    }
    for (int c = 0; c < k; c++) {
      smooth[c] = costs[c];
    }
    derive();
    for (int i = 0; i < n; i++) {
      stock[i] *= output[specialty[i]];
    }
  }

  /** What follows from the agents: members per faction, each commodity's output per producer, the war goods. */
  private void derive() {
    int[] producers = new int[k];
    Arrays.fill(members, 0);
    for (int i = 0; i < n; i++) {
      producers[specialty[i]]++;
      members[faction[i]]++;
    }
    for (int c = 0; c < k; c++) {
      output[c] = producers[c] == 0 ? 0 : CONSUMPTION * n / producers[c];
      warGood[c] = WAR_GOODS.contains(commodities[c]);
    }
  }

  /** How many agents belong to a faction. */
  public int members(int f) {
    return members[f];
  }

  public long lastHour() {
    return lastHour;
  }

  /** The producers' stock of commodity c after the last step (units). */
  public double stock(int c) {
    return stockSum[c];
  }

  /** The solvent agents' unmet need of commodity c after the last step (units). */
  public double need(int c) {
    return needSum[c];
  }

  /** The day's mean price of commodity c the producers follow (cents, smoothed over a day). */
  public double meanPrice(int c) {
    return smooth[c];
  }

  /** A faction's war weariness (days at war, decaying in peace). */
  public double weariness(int f) {
    return weariness[f];
  }

  /** The commodities, in the order of every array here. */
  public List<String> commodities() {
    return List.of(commodities);
  }

  /** Whether the producers of a commodity in a faction are in a shortage on a day. */
  public boolean inShortage(int f, int c, long day) {
    return shortageUntil[f * k + c] >= day;
  }

  /** Starts a shortage now: the producers of commodity c in faction f produce little up to {@code lastDay}. */
  public void shortage(int f, int c, long lastDay) {
    shortageUntil[f * k + c] = Math.max(shortageUntil[f * k + c], lastDay);
  }

  /** The rate of the subsidy the producers of commodity c in faction f have at an hour (0: none). */
  public double subsidy(int f, int c, long hour) {
    return subsidyUntil[f * k + c] > hour ? subsidyRate[f * k + c] : 0;
  }

  /** The hour the subsidy of the producers of commodity c in faction f ends (excluded); MIN_VALUE: none ever. */
  public long subsidyUntil(int f, int c) {
    return subsidyUntil[f * k + c];
  }

  /**
   * Subsidises the producers of commodity c in faction f (in every faction when f is negative): the state pays
   * {@code rate} (0 < rate <= {@value #MAX_SUBSIDY_RATE}) of their unit cost in the hours before {@code until}. It
   * replaces a subsidy they had.
   */
  public void subsidise(int f, int c, double rate, long until) {
    if (!(rate > 0 && rate <= MAX_SUBSIDY_RATE) || c < 0 || c >= k || f >= factions) {
      throw new IllegalArgumentException("no subsidy of " + rate + " for commodity " + c + " of faction " + f);
    }
    for (int g = f < 0 ? 0 : f; g <= (f < 0 ? factions - 1 : f); g++) {
      subsidyRate[g * k + c] = rate;
      subsidyUntil[g * k + c] = until;
    }
  }

  /**
   * One game hour. {@code prices} are the last clearing prices in cents, in commodity order; {@code bought[c]} and
   * {@code sold[c]} what the crowd's orders bought and sold since the last step, at {@code fillPrices[c]} (cents, 0 if
   * none); {@code atWar[f]} whether faction f is at war with anyone. The signals are in commodity order.
   */
  public List<Signal> step(long hour, long[] prices, long[] bought, long[] sold, long[] fillPrices, boolean[] atWar) {
    long day = Math.floorDiv(hour, 24);
    int hourOfDay = (int) Math.floorMod(hour, 24);
    if (hourOfDay == 0 || lastHour == Long.MIN_VALUE) {
      drawShortages(day);
    }
    double[] buyShare = new double[k];
    double[] sellShare = new double[k];
    for (int c = 0; c < k; c++) {
      buyShare[c] = needSum[c] > 0 ? Math.min(1, bought[c] / needSum[c]) : 0;
      sellShare[c] = stockSum[c] > 0 ? Math.min(1, sold[c] / stockSum[c]) : 0;
      double p = fillPrices[c] > 0 ? fillPrices[c] : prices[c];
      smooth[c] += (p - smooth[c]) / 24;
    }
    double[] spent = new double[factions];
    double[] earned = new double[factions];
    double[] dividend = new double[factions];
    double all = 0;
    for (int i = 0; i < n; i++) {
      dividend[faction[i]] += wealth[i];
      all += wealth[i];
    }
    for (int f = 0; f < factions; f++) {
      dividend[f] = (members[f] == 0 ? 0 : TAX * dividend[f] / members[f]) + GLOBAL_TAX * all / n;
    }
    double consume = CONSUMPTION * (1 + 0.4 * Math.cos(2 * Math.PI * (hourOfDay - 19) / 24.0)) / 24;
    double[] grow = new double[factions * k]; // per faction and commodity, at its producers' unit cost
    boolean[] subsidised = new boolean[k];
    for (int f = 0; f < factions; f++) {
      for (int c = 0; c < k; c++) {
        double s = subsidy(f, c, hour);
        subsidised[c] |= s > 0;
        double m = smooth[c] / ((1 - s) * costs[c]);
        grow[f * k + c] = output[c] / 24 * (m < 0.5 ? 0.5 : m > 2 ? 2 : m);
      }
    }
    double[] stockOf = new double[factions * k]; // the stock of a subsidised commodity's producers per faction
    double[] demandSum = new double[k];
    Arrays.fill(needSum, 0);
    Arrays.fill(stockSum, 0);
    double moodSum = 0;
    double wealthSum = 0;
    for (int i = 0; i < n; i++) {
      int f = faction[i];
      int s = specialty[i];
      boolean war = atWar[f];
      int base = i * k;
      double w = wealth[i];
      // settle the last clearing's fills: among the solvent, as their demand was
      for (int c = 0; c < k && w > 0; c++) {
        double q = need[base + c] * buyShare[c];
        if (q > 0) {
          double pay = q * fillPrices[c] / 100.0;
          need[base + c] -= q;
          w -= pay;
          spent[f] += pay;
        }
      }
      double delivered = stock[i] * sellShare[s];
      if (delivered > 0) {
        double paid = delivered * fillPrices[s] / 100.0;
        stock[i] -= delivered;
        w += paid;
        earned[f] += paid;
      }
      // produce, earn, consume
      double made = grow[f * k + s] * (war ? WAR_OUTPUT : 1) * (shortageUntil[f * k + s] >= day ? SHORTAGE_OUTPUT : 1);
      if (stock[i] < STOCK_CAP * output[s]) {
        stock[i] += made;
      }
      w += dividend[f] - (TAX + GLOBAL_TAX) * w;
      wealth[i] = w;
      double unmet = 0;
      double cost = 0;
      for (int c = 0; c < k; c++) {
        double x = need[base + c] + consume * (war && warGood[c] ? WAR_NEED : 1);
        x = x > NEED_CAP ? NEED_CAP : x;
        need[base + c] = x;
        unmet += x;
        cost += ALPHA * x * prices[c] / 100.0;
      }
      unmet /= k * NEED_CAP;
      double target = 1 - 0.6 * unmet - (war ? 0.4 : 0);
      mood[i] += (target - mood[i]) / 24;
      double budget = BUDGET * (w > 0 ? w : 0);
      double phi = cost <= budget ? 1 : budget / cost;
      for (int c = 0; c < k; c++) {
        demandSum[c] += ALPHA * need[base + c] * phi;
        needSum[c] += w > 0 ? need[base + c] : 0;
      }
      stockSum[s] += stock[i];
      if (subsidised[s]) {
        stockOf[f * k + s] += stock[i];
      }
      moodSum += mood[i];
      wealthSum += w;
    }
    trade(spent, earned);
    for (int f = 0; f < factions; f++) {
      earnedToday[f] += earned[f];
      weariness[f] += atWar[f] ? 1 / 24.0 : -weariness[f] / (24 * WEARINESS_DAYS);
    }
    lastHour = hour;
    List<Signal> out = new ArrayList<>(k);
    for (int c = 0; c < k; c++) {
      out.add(signal(c, hour, prices[c], demandSum[c], stockSum[c] * OFFER, subsidised[c] ? stockOf : null,
          moodSum / n, wealthSum / n));
    }
    return out;
  }

  /**
   * The schedules of commodity c at the levels around its last price {@code ref}; {@code stockOf} the producers' stock
   * per faction when some have a subsidy (then each faction's offer follows its own unit cost), else null.
   */
  private Signal signal(int c, long hour, long ref, double demand, double supply, double[] stockOf, double meanMood,
      double meanWealth) {
    int levels = LEVELS.length;
    long[] prices = new long[levels];
    long[] d = new long[levels];
    long[] s = new long[levels];
    for (int l = 0; l < levels; l++) {
      prices[l] = Math.max(l == 0 ? 1 : prices[l - 1] + 1, Math.round(ref * LEVELS[l]));
      double x = prices[l] / (double) costs[c];
      d[l] = x > RESERVE_HIGH ? 0 : Math.round(demand * (x < 0.5 ? 2 : 1 / x));
      s[l] = x < RESERVE_LOW ? 0 : Math.round(supply * (x > 2 ? 2 : x));
      if (stockOf != null) {
        double sum = 0;
        for (int f = 0; f < factions; f++) {
          double u = prices[l] / ((1 - subsidy(f, c, hour)) * costs[c]);
          sum += u < RESERVE_LOW ? 0 : OFFER * stockOf[f * k + c] * (u > 2 ? 2 : u);
        }
        s[l] = Math.round(sum);
      }
    }
    for (int l = 1; l < levels; l++) { // rounding must not break monotony
      d[l] = Math.min(d[l], d[l - 1]);
      s[l] = Math.max(s[l], s[l - 1]);
    }
    return new Signal(commodities[c], hour, ref, prices, d, s, n, meanMood, meanWealth);
  }

  /** The hour's trade between factions: what each spent meets what each earned, in proportion. */
  private void trade(double[] spent, double[] earned) {
    double total = 0;
    for (int f = 0; f < factions; f++) {
      total += earned[f];
    }
    if (total <= 0) {
      return;
    }
    for (int f = 0; f < factions; f++) {
      for (int g = f + 1; g < factions; g++) {
        tradeToday[f * factions + g] += (spent[f] * earned[g] + spent[g] * earned[f]) / total;
      }
    }
  }

  private void drawShortages(long day) {
    SplittableRandom r = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (day + 1)));
    if (r.nextDouble() < shortageRate) {
      int f = r.nextInt(factions);
      int c = r.nextInt(k);
      shortage(f, c, day + 2 + r.nextInt(8));
    }
  }

  /**
   * The faction activity of the day that just ended, and a new day: trade (relative to the pair's share of the
   * population), raids by the factions whose scarcity times (1 + fear) is above {@link #RAID_THRESHOLD}, on the
   * most powerful other faction, and power.
   */
  public Activity activity(long day) {
    double[] scarcity = new double[factions];
    double[] fear = new double[factions];
    for (int i = 0; i < n; i++) {
      int f = faction[i];
      int base = i * k;
      double unmet = 0;
      for (int c = 0; c < k; c++) {
        unmet += need[base + c];
      }
      scarcity[f] += unmet / (k * NEED_CAP);
      fear[f] += 1 - mood[i];
    }
    double allEarned = 0;
    double totalTrade = 0;
    for (int f = 0; f < factions; f++) {
      allEarned += earnedToday[f];
      for (int g = f + 1; g < factions; g++) {
        totalTrade += tradeToday[f * factions + g];
      }
    }
    List<Pair> trade = new ArrayList<>();
    double[] power = new double[factions];
    for (int f = 0; f < factions; f++) {
      power[f] = members[f] == 0 || earnedToday[f] <= 0 || allEarned <= 0 ? 1
          : (earnedToday[f] / members[f]) / (allEarned / n);
      for (int g = f + 1; g < factions; g++) {
        double expected = totalTrade * 2.0 * members[f] * members[g] / ((double) n * n - sumSquares());
        double t = tradeToday[f * factions + g];
        if (t > 0 && expected > 0) {
          trade.add(new Pair(f, g, t / expected));
        }
      }
    }
    double meanScarcity = 0;
    double meanFear = 0;
    for (int f = 0; f < factions; f++) {
      meanScarcity += scarcity[f] / n;
      meanFear += fear[f] / n;
    }
    List<Pair> raids = new ArrayList<>();
    for (int f = 0; f < factions; f++) {
      if (members[f] == 0 || meanScarcity <= 0) {
        continue;
      }
      double pressure = (scarcity[f] / members[f] / meanScarcity) * (1 + fear[f] / members[f]) / (1 + meanFear)
          / power[f];
      if (pressure > RAID_THRESHOLD) {
        int target = -1;
        for (int g = 0; g < factions; g++) {
          if (g != f && members[g] > 0 && (target < 0 || power[g] > power[target])) {
            target = g;
          }
        }
        double intensity = RAID_INTENSITY * (pressure - RAID_THRESHOLD) * Math.exp(-weariness[f] / WEARINESS_DAYS);
        if (target >= 0 && intensity > 0) {
          raids.add(new Pair(f, target, intensity));
        }
      }
    }
    Arrays.fill(tradeToday, 0);
    Arrays.fill(earnedToday, 0);
    return new Activity(day, trade, raids, power);
  }

  private double sumSquares() {
    double s = 0;
    for (int m : members) {
      s += (double) m * m;
    }
    return s;
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

  /** Every attribute of every agent, exactly (doubles as their bits), and the crowd's aggregate state. */
  public JsonObject snapshot() {
    ByteBuffer b = ByteBuffer.allocate(n * (4 + 4 + 8 + 8 + 8 + 8 * k));
    for (int i = 0; i < n; i++) {
      b.putInt(faction[i]).putInt(specialty[i]).putDouble(wealth[i]).putDouble(mood[i]).putDouble(stock[i]);
      for (int c = 0; c < k; c++) {
        b.putDouble(need[i * k + c]);
      }
    }
    return new JsonObject().put("commodities", new JsonArray(List.of(commodities)))
        .put("costs", new JsonArray(Arrays.stream(costs).boxed().toList())).put("factions", factions)
        .put("size", n).put("seed", seed).put("shortage_rate", shortageRate).put("last_hour", lastHour)
        .put("smooth", bits(smooth)).put("need_sum", bits(needSum)).put("stock_sum", bits(stockSum))
        .put("trade_today", bits(tradeToday)).put("earned_today", bits(earnedToday))
        .put("weariness", bits(weariness))
        .put("shortage_until", new JsonArray(Arrays.stream(shortageUntil).boxed().toList()))
        .put("subsidy_rate", bits(subsidyRate))
        .put("subsidy_until", new JsonArray(Arrays.stream(subsidyUntil).boxed().toList()))
        .put("agents", Base64.getEncoder().encodeToString(b.array()));
  }

  public static Crowd restore(JsonObject s) {
    List<String> names = s.getJsonArray("commodities").stream().map(String::valueOf).toList();
    long[] costs = s.getJsonArray("costs").stream().mapToLong(v -> ((Number) v).longValue()).toArray();
    Crowd c = new Crowd(names, costs, s.getInteger("factions"), s.getInteger("size"), s.getLong("seed"),
        s.getDouble("shortage_rate"));
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
    c.lastHour = s.getLong("last_hour");
    unbits(c.smooth, s.getJsonArray("smooth"));
    unbits(c.needSum, s.getJsonArray("need_sum"));
    unbits(c.stockSum, s.getJsonArray("stock_sum"));
    unbits(c.tradeToday, s.getJsonArray("trade_today"));
    unbits(c.earnedToday, s.getJsonArray("earned_today"));
    unbits(c.weariness, s.getJsonArray("weariness"));
    JsonArray until = s.getJsonArray("shortage_until");
    for (int j = 0; j < c.shortageUntil.length; j++) {
      c.shortageUntil[j] = until.getLong(j);
    }
    if (s.containsKey("subsidy_rate")) { // a state saved before subsidies existed has none
      unbits(c.subsidyRate, s.getJsonArray("subsidy_rate"));
      JsonArray subsidyUntil = s.getJsonArray("subsidy_until");
      for (int j = 0; j < c.subsidyUntil.length; j++) {
        c.subsidyUntil[j] = subsidyUntil.getLong(j);
      }
    }
    c.derive();
    return c;
  }

  /** Doubles as their exact bits, so a restored crowd steps identically. */
  private static JsonArray bits(double[] values) {
    return new JsonArray(Arrays.stream(values).mapToObj(v -> Double.doubleToRawLongBits(v)).toList());
  }

  private static void unbits(double[] into, JsonArray from) {
    for (int j = 0; j < into.length; j++) {
      into[j] = Double.longBitsToDouble(from.getLong(j));
    }
  }

  private static JsonArray longs(long[] values) {
    return new JsonArray(Arrays.stream(values).boxed().toList());
  }
}
