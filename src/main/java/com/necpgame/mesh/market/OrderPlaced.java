package com.necpgame.mesh.market;

import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An {@code economy.order.placed} payload read into an order: {@code order_id, commodity, side (buy|sell),
 * limit_price (credits, at most two decimals; absent or null: a market order), quantity, owner, time_in_force (gtc,
 * the default; gth:<game hour>: until that hour's clearing; auction: the next clearing only)}, the same rules as
 * {@code schemas/economy/economy.order.placed.json}.
 *
 * <p>{@link #parse} never throws: when the payload is not valid, {@link #order} is null and {@link #errors} maps the
 * JSON pointer of every invalid field to what is wrong with it, in field order.
 */
public record OrderPlaced(String commodity, Order order, Map<String, String> errors) {

  private static final Pattern COMMODITY = Pattern.compile("[a-z][a-z0-9_]{0,63}");
  private static final Pattern TIME_IN_FORCE = Pattern.compile("gtc|auction|gth:-?[0-9]{1,18}");
  private static final Set<String> FIELDS =
      Set.of("order_id", "commodity", "side", "limit_price", "quantity", "owner", "time_in_force");
  private static final long MAX_PRICE_CENTS = 1_000_000_000_000_000L; // 10^13 credits
  private static final long MAX_QUANTITY = 1_000_000_000_000L;

  public boolean valid() {
    return errors.isEmpty();
  }

  public static OrderPlaced parse(JsonObject data) {
    Map<String, String> errors = new LinkedHashMap<>();
    String id = text(data, "order_id", errors);
    Object c = data.getValue("commodity");
    String commodity = c instanceof String s && COMMODITY.matcher(s).matches() ? s : null;
    if (commodity == null) {
      errors.put("/commodity", "expected a name like iron_ore (lower case letters, digits, _)");
    }
    Object s = data.getValue("side");
    Order.Side side = "buy".equals(s) ? Order.Side.BUY : "sell".equals(s) ? Order.Side.SELL : null;
    if (side == null) {
      errors.put("/side", "expected buy or sell");
    }
    Long limit = limit(data.getValue("limit_price"), errors);
    long quantity = quantity(data.getValue("quantity"), errors);
    String owner = text(data, "owner", errors);
    Object tif = data.getValue("time_in_force", "gtc");
    if (!(tif instanceof String t && TIME_IN_FORCE.matcher(t).matches())) {
      errors.put("/time_in_force", "expected gtc, auction or gth:<game hour>");
      tif = "gtc";
    }
    data.fieldNames().stream().filter(f -> !FIELDS.contains(f)).sorted()
        .forEach(f -> errors.put("/" + f, "unknown field"));
    if (!errors.isEmpty()) {
      return new OrderPlaced(commodity, null, Collections.unmodifiableMap(errors));
    }
    Order order = limit == null ? Order.market(id, owner, side, quantity) : Order.limit(id, owner, side, limit, quantity);
    String t = (String) tif;
    order = t.equals("auction") ? order.thisAuctionOnly() : t.startsWith("gth:") ? order.untilHour(Long.parseLong(t.substring(4)))
        : order;
    return new OrderPlaced(commodity, order, Map.of());
  }

  /** The errors as one line, {@code /quantity: expected ...; /side: ...}. */
  public String describe() {
    StringBuilder out = new StringBuilder();
    errors.forEach((pointer, message) -> out.append(out.length() == 0 ? "" : "; ").append(pointer).append(": ")
        .append(message));
    return out.toString();
  }

  private static String text(JsonObject data, String field, Map<String, String> errors) {
    if (data.getValue(field) instanceof String s && !s.isEmpty() && s.length() <= 200) {
      return s;
    }
    errors.put("/" + field, "expected a string of 1 to 200 characters");
    return null;
  }

  private static Long limit(Object value, Map<String, String> errors) {
    if (value == null) {
      return null;
    }
    try {
      if (value instanceof Number n) {
        long cents = Prices.toCents(n);
        if (cents > 0 && cents <= MAX_PRICE_CENTS) {
          return cents;
        }
      }
    } catch (ArithmeticException | NumberFormatException e) {
      // reported below
    }
    errors.put("/limit_price", "expected a positive number of credits with at most two decimals, or null");
    return null;
  }

  private static long quantity(Object value, Map<String, String> errors) {
    try {
      if (value instanceof Number n) {
        BigDecimal q = n instanceof BigDecimal b ? b : new BigDecimal(n.toString());
        if (q.signum() > 0 && q.stripTrailingZeros().scale() <= 0 && q.compareTo(BigDecimal.valueOf(MAX_QUANTITY)) <= 0) {
          return q.longValueExact();
        }
      }
    } catch (ArithmeticException | NumberFormatException e) {
      // reported below
    }
    errors.put("/quantity", "expected a whole number from 1 to " + MAX_QUANTITY);
    return 0;
  }
}
