package com.necpgame.mesh.market;

import com.necpgame.mesh.envelope.Envelope;
import com.necpgame.mesh.envelope.EventIds;
import com.necpgame.mesh.kafka.EnvelopeRecords;
import com.necpgame.mesh.kafka.StepLoop;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The market of one orders partition, as the {@link StepLoop} steps it: its {@link Market}, the last game hour cleared,
 * and each commodity's last clearing. Turns order events into book changes and clearings into envelopes on the output
 * topic whose ids, times and correlation ids follow from the hour alone, so clearing the same inputs again gives the
 * same bytes. Its state record (a JSON document) carries a small {@code view} that every process follows to answer
 * {@code GET /market/...}, and each commodity's clearings of the last {@link MarketVerticle#HISTORY_HOURS} game hours
 * ({@code GET /market/history}): {@code [game_hour, price in cents or null, volume]}, oldest first.
 */
final class MarketShard implements StepLoop.Model {

  private static final Logger LOG = LoggerFactory.getLogger(MarketShard.class);
  static final String SOURCE = "event-mesh.market";
  private static final int VIEW_LEVELS = 5;

  private final String key;
  private final String outputTopic;
  private final Market market;
  private final JsonObject lastClearings;
  /** Commodity -> its clearings of the last {@link MarketVerticle#HISTORY_HOURS} hours, [hour, cents, volume]. */
  private final JsonObject history;
  private long lastHour;

  private MarketShard(String key, String outputTopic, Market market, JsonObject lastClearings, JsonObject history,
      long lastHour) {
    this.key = key;
    this.outputTopic = outputTopic;
    this.market = market;
    this.lastClearings = lastClearings;
    this.history = history;
    this.lastHour = lastHour;
  }

  static MarketShard fresh(String key, Map<String, Long> references, String outputTopic) {
    return new MarketShard(key, outputTopic, new Market(references), new JsonObject(), new JsonObject(),
        Long.MIN_VALUE);
  }

  /** The shard its state record saved (a record written before the history was kept restores with none). */
  static MarketShard restore(byte[] state, String outputTopic) {
    JsonObject s = new JsonObject(new String(state, StandardCharsets.UTF_8));
    return new MarketShard(s.getString("shard"), outputTopic, Market.restore(s.getJsonObject("market")),
        s.getJsonObject("last_clearings"), s.getJsonObject("history", new JsonObject()), s.getLong("last_hour"));
  }

  @Override
  public long last() {
    return lastHour;
  }

  /** An event from the orders topic: an order placed or cancelled; anything else, or an invalid order, is skipped. */
  @Override
  public void input(JsonObject envelope) {
    JsonObject data = envelope.getJsonObject("data");
    switch (envelope.getString("event_type")) {
      case "economy.order.placed" -> {
        String problem = market.place(data);
        if (problem != null) {
          LOG.debug("market {}: order {} skipped: {}", key, envelope.getValue("event_id"), problem);
        }
      }
      case "economy.order.cancelled" -> market.cancel(data);
      default -> LOG.debug("market {}: {} is not an order event", key, envelope.getString("event_type"));
    }
  }

  /** Clears the hour: {@code economy.market.cleared} per commodity with orders, then its fills as trades. */
  List<JsonObject> clear(long hour, Instant gameTime, Instant cut) {
    String tickId = "hourly:" + hour;
    String correlation = EventIds.of(tickId).toString();
    List<JsonObject> out = new ArrayList<>();
    for (Clearing c : market.clearAll(hour)) {
      JsonObject cleared = c.toJson(tickId);
      out.add(envelope("economy.market.cleared", c.commodity() + ":" + hour, cleared, cut, correlation));
      for (int i = 0; i < c.fills().size(); i++) {
        out.add(envelope("economy.trade.executed", c.commodity() + ":" + hour + ":" + i,
            c.fills().get(i).toJson(c.commodity(), hour, tickId), cut, correlation));
      }
      if (c.price() != null) {
        lastClearings.put(c.commodity(), cleared.copy().put("game_time", gameTime.toString()));
      }
      JsonArray kept = history.getJsonArray(c.commodity());
      if (kept == null) {
        history.put(c.commodity(), kept = new JsonArray());
      }
      kept.add(new JsonArray().add(hour).add(c.price()).add(c.volume()));
    }
    forget(hour - MarketVerticle.HISTORY_HOURS);
    lastHour = hour;
    return out;
  }

  /** Drops the clearings of hour {@code last} and before, and the commodities left with none. */
  private void forget(long last) {
    for (String c : List.copyOf(history.fieldNames())) {
      JsonArray kept = history.getJsonArray(c);
      while (!kept.isEmpty() && kept.getJsonArray(0).getLong(0) <= last) {
        kept.remove(0);
      }
      if (kept.isEmpty()) {
        history.remove(c);
      }
    }
  }

  @Override
  public List<ProducerRecord<String, byte[]>> step(long hour, Instant gameTime, Instant cut) {
    return clear(hour, gameTime, cut).stream()
        .map(e -> EnvelopeRecords.record(outputTopic, "data.commodity", e)).toList();
  }

  private static JsonObject envelope(String type, String name, JsonObject data, Instant at, String correlation) {
    return Envelope.derived(type, name, SOURCE, at, correlation, data);
  }

  /** The state record: the market, the last hour and clearings, and the view of every commodity it has. */
  @Override
  public byte[] snapshot() {
    JsonObject commodities = new JsonObject();
    Map<String, Object> names = new TreeMap<>(lastClearings.getMap());
    JsonObject snapshot = market.snapshot();
    snapshot.getJsonObject("books").fieldNames().forEach(c -> names.put(c, null));
    for (String c : names.keySet()) {
      Long reference = market.reference(c);
      commodities.put(c, new JsonObject()
          .put("reference_price", reference == null ? null : Prices.toDecimal(reference))
          .put("book", market.summary(c, VIEW_LEVELS).toJson())
          .put("last_clearing", lastClearings.getJsonObject(c)));
    }
    return new JsonObject().put("shard", key).put("last_hour", lastHour)
        .put("view", new JsonObject().put("last_hour", lastHour).put("commodities", commodities))
        .put("last_clearings", lastClearings).put("history", history).put("market", snapshot).encode()
        .getBytes(StandardCharsets.UTF_8);
  }

  /** The {@code view} of a state record, with the shard's {@code history} (empty in a record written before it). */
  static JsonObject view(byte[] state) {
    JsonObject s = new JsonObject(new String(state, StandardCharsets.UTF_8));
    return s.getJsonObject("view").put("history", s.getJsonObject("history", new JsonObject()));
  }
}
