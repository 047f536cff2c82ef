package com.necpgame.mesh.store;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.IntFunction;

/** How the store writes database values into JSON, and rows into the arrays of an {@code unnest(...)}. */
public final class Rows {

  private Rows() {}

  /** RFC 3339 in UTC, or null. */
  public static String time(OffsetDateTime time) {
    return time == null ? null : time.toInstant().toString();
  }

  /** A row as JSON: each column under its name, in the order selected; times as {@link #time}, arrays as arrays. */
  public static JsonObject json(Row row) {
    JsonObject out = new JsonObject();
    for (int i = 0; i < row.size(); i++) {
      Object value = row.getValue(i);
      out.put(row.getColumnName(i), value instanceof OffsetDateTime t ? time(t)
          : value instanceof Object[] array ? new JsonArray(Arrays.asList(array)) : value);
    }
    return out;
  }

  /** One value of each of {@code items}, as the array parameter of an {@code unnest(...)}. */
  public static <T, V> V[] column(List<T> items, Function<T, V> value, IntFunction<V[]> array) {
    return items.stream().map(value).toArray(array);
  }
}
