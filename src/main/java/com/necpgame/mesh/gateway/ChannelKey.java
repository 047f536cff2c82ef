package com.necpgame.mesh.gateway;

import com.necpgame.mesh.envelope.Violation;
import com.necpgame.mesh.fanout.ChannelFields;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The {@code key} of a subscribe frame: at most one channel ({@code {"player_id": "p-1"}}), named in
 * {@code websocket.channel_fields}, with a string or integer value. {@code field} is -1 and {@code value} null for
 * a subscription without a key.
 */
record ChannelKey(String name, int field, String value) {

  static final String PLAYER = "player_id";
  private static final ChannelKey NONE = new ChannelKey(null, -1, null);

  /** The key of a frame, or null with the problem added. */
  static ChannelKey parse(Object key, ChannelFields fields, JsonArray problems) {
    if (key == null) {
      return NONE;
    }
    if (!(key instanceof JsonObject object) || object.size() != 1) {
      problems.add(new Violation("/key", "expected one channel and its value, such as {\"player_id\": \"p-1\"}")
          .toJson());
      return null;
    }
    String name = object.fieldNames().iterator().next();
    int field = fields.indexOf(name);
    if (field < 0) {
      problems.add(new Violation("/key/" + name, "unknown channel; expected one of " + fields.names()
          + " (websocket.channel_fields)").toJson());
      return null;
    }
    String value = ChannelFields.keyValue(object.getValue(name));
    if (value == null || value.isEmpty()) {
      problems.add(new Violation("/key/" + name, "expected a non-empty string or an integer").toJson());
      return null;
    }
    return new ChannelKey(name, field, value);
  }

  /** Whether this is the {@code player_id} channel of {@code player}. */
  boolean isPlayer(String player, ChannelFields fields) {
    return field >= 0 && field == fields.indexOf(PLAYER) && player.equals(value);
  }
}
