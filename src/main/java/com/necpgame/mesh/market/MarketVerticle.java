package com.necpgame.mesh.market;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.config.WorldConfig;
import com.necpgame.mesh.kafka.CompactedView;
import com.necpgame.mesh.kafka.KafkaWorker;
import com.necpgame.mesh.kafka.StepLoop;
import com.necpgame.mesh.tick.GameClock;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The hourly market: a {@link StepLoop} over the orders topic, whose partitions the consumer group
 * {@code world.market.group} gives this process are its shards ({@link MarketShard}), stepped by the hourly ticks.
 * Every process follows every shard's published state, so {@code GET /market/...} answers on any process, over the
 * event bus ({@link #BOOK}, {@link #PRICES}, {@link #HISTORY}). {@code start()} completes when the loop is ready and
 * the state was read.
 */
public final class MarketVerticle extends VerticleBase {

  /** Request a commodity's name; reply its book summary and last clearing, or fail 404. */
  public static final String BOOK = "mesh.market.book";
  /** Reply the last clearing price of every commodity. */
  public static final String PRICES = "mesh.market.prices";
  /**
   * Request {@code {hours, commodity?}}; reply each commodity's clearings of the last {@code hours} game hours (of the
   * last hour any shard cleared), or fail 404 for an unknown commodity.
   */
  public static final String HISTORY = "mesh.market.history";
  /** How many game hours of clearings each shard keeps in its state (two game days: the console's charts). */
  public static final int HISTORY_HOURS = 48;

  private final MeshContext mesh;
  private final WorldConfig world;
  /** The {@code view} of each shard's latest state: commodity -> {book, last_clearing}, and the shard's last hour. */
  private final Map<String, JsonObject> views = new ConcurrentHashMap<>();
  private KafkaWorker loop;
  private CompactedView follower;

  public MarketVerticle(MeshContext mesh) {
    this.mesh = mesh;
    this.world = mesh.config().world();
  }

  @Override
  public Future<?> start() {
    WorldConfig.Market market = world.market();
    GameClock clock = world.tick().clock();
    follower = new CompactedView(mesh.kafka(), market.stateTopic(), this::onState, mesh.metrics()).start();
    StepLoop.Settings settings = new StepLoop.Settings("market", market.group(),
        StepLoop.Ownership.INPUT_PARTITIONS, Pattern.compile(Pattern.quote(market.ordersTopic())),
        new StepLoop.Ticks(world.tick().hourlyTopic(), "world.tick.hourly", "game_hour", clock.gameEpoch(),
            Duration.ofHours(1), clock::realAt), market.stateTopic(), market.graceMs(), market.maxCatchUpHours());
    loop = new KafkaWorker("market", mesh.metrics(), new StepLoop(settings,
        StepLoop.clients(mesh.kafka(), market.stateTopic(), market.maxStateBytes()),
        (key, saved) -> saved == null ? MarketShard.fresh(key, world.commodities(), world.outputTopic())
            : MarketShard.restore(saved, world.outputTopic()),
        mesh.metrics().simulationTimer("market_clear"))).start();
    vertx.eventBus().<String>consumer(BOOK, m -> {
      JsonObject book = book(m.body());
      if (book == null) {
        m.fail(404, "no commodity " + m.body() + "; known: " + world.commodities().keySet());
      } else {
        m.reply(book);
      }
    });
    vertx.eventBus().consumer(PRICES, m -> m.reply(prices()));
    vertx.eventBus().<JsonObject>consumer(HISTORY, m -> {
      String commodity = m.body().getString("commodity");
      if (commodity != null && !world.commodities().containsKey(commodity)) {
        m.fail(404, "no commodity " + commodity + "; known: " + world.commodities().keySet());
      } else {
        m.reply(history(commodity, m.body().getInteger("hours", HISTORY_HOURS)));
      }
    });
    return Future.all(Future.fromCompletionStage(loop.ready(), context),
        Future.fromCompletionStage(follower.caughtUp(), context));
  }

  private void onState(ConsumerRecord<String, byte[]> r) {
    if (r.value() == null) {
      views.remove(r.key());
    } else {
      views.put(r.key(), MarketShard.view(StepLoop.snapshotOf(r.value())));
    }
  }

  /** Commodity -> {hour, book, last_clearing} over every shard. */
  private Map<String, JsonObject> commodities() {
    Map<String, JsonObject> all = new TreeMap<>();
    for (JsonObject view : views.values()) {
      JsonObject commodities = view.getJsonObject("commodities");
      commodities.fieldNames().forEach(c -> all.put(c, commodities.getJsonObject(c).copy()
          .put("as_of_hour", view.getLong("last_hour"))));
    }
    return all;
  }

  private JsonObject book(String commodity) {
    if (!world.commodities().containsKey(commodity)) {
      return null;
    }
    JsonObject known = commodities().get(commodity);
    JsonObject out = new JsonObject().put("commodity", commodity)
        .put("initial_reference_price", world.commodities().get(commodity) / 100.0);
    return known == null ? out.put("as_of_hour", null).put("book", null).put("last_clearing", null)
        : out.mergeIn(known);
  }

  private JsonObject prices() {
    JsonArray prices = new JsonArray();
    Map<String, JsonObject> known = commodities();
    world.commodities().forEach((c, cents) -> {
      JsonObject view = known.getOrDefault(c, new JsonObject().put("reference_price", cents / 100.0));
      JsonObject last = Objects.requireNonNullElse(view.getJsonObject("last_clearing"), new JsonObject());
      prices.add(new JsonObject().put("commodity", c).put("price", last.getValue("price"))
          .put("volume", last.getValue("volume")).put("game_hour", last.getValue("game_hour"))
          .put("reference_price", view.getValue("reference_price")));
    });
    return new JsonObject().put("prices", prices);
  }

  /**
   * {@code {as_of_hour, hours, commodities: {name: [{game_hour, game_time, price, volume}]}}}: every configured
   * commodity (or the one asked), its clearings after {@code as_of_hour - hours}, oldest first; price null in an hour
   * with orders that did not trade.
   */
  private JsonObject history(String only, int hours) {
    Long asOf = null;
    Map<String, JsonArray> kept = new TreeMap<>();
    for (JsonObject view : views.values()) {
      Long last = view.getLong("last_hour");
      asOf = last == null || last == Long.MIN_VALUE ? asOf : asOf == null ? last : Math.max(asOf, last);
      JsonObject history = view.getJsonObject("history", new JsonObject());
      history.fieldNames().forEach(c -> kept.put(c, history.getJsonArray(c)));
    }
    GameClock clock = world.tick().clock();
    JsonObject commodities = new JsonObject();
    for (String c : world.commodities().keySet()) {
      if (only != null && !only.equals(c)) {
        continue;
      }
      JsonArray points = new JsonArray();
      for (Object o : kept.getOrDefault(c, new JsonArray())) {
        JsonArray p = (JsonArray) o;
        long hour = p.getLong(0);
        if (asOf != null && hour > asOf - hours) {
          points.add(new JsonObject().put("game_hour", hour)
              .put("game_time", clock.gameEpoch().plus(Duration.ofHours(hour)).toString())
              .put("price", p.getValue(1) == null ? null : Prices.toDecimal(p.getLong(1))).put("volume", p.getLong(2)));
        }
      }
      commodities.put(c, points);
    }
    return new JsonObject().put("as_of_hour", asOf).put("hours", hours).put("commodities", commodities);
  }

  @Override
  public Future<?> stop() {
    return vertx.executeBlocking(() -> {
      loop.close();
      follower.close();
      return null;
    });
  }
}
