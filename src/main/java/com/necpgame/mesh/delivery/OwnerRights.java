package com.necpgame.mesh.delivery;

import com.necpgame.mesh.security.StandingRights;
import com.necpgame.mesh.store.SubscriptionRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The subscriptions as delivery reads them, with those whose owner's current rights ({@link StandingRights}) no longer
 * cover them paused in the registry, with the reason, and returned paused: they receive nothing until an owner with
 * the rights, or an admin, sets them active again (which the gateway checks).
 */
final class OwnerRights {

  private static final Logger LOG = LoggerFactory.getLogger(OwnerRights.class);

  private final SubscriptionRegistry registry;
  private final StandingRights rights;

  OwnerRights(SubscriptionRegistry registry, StandingRights rights) {
    this.registry = registry;
    this.rights = rights;
  }

  /** {@link SubscriptionRegistry#changeMark}. */
  Future<String> changeMark() {
    return registry.changeMark();
  }

  /** Every subscription row ({@link SubscriptionRegistry#all}), the revoked ones paused first. */
  Future<List<JsonObject>> all() {
    return registry.all().compose(rows -> {
      List<Future<Boolean>> pauses = new ArrayList<>();
      for (JsonObject row : rows) {
        if (!"active".equals(row.getString("status"))) {
          continue;
        }
        String why = rights.revoked(row.getString("owner"), row.getString("topic_pattern"), row.getString("method"),
            row.getString("endpoint"));
        if (why != null) {
          String id = row.getString("subscription_id");
          row.put("status", "paused").put("paused_reason", why);
          pauses.add(registry.pause(id, why).onSuccess(now -> {
            if (now) {
              LOG.warn("subscription {} paused: {}", id, why);
            }
          }));
        }
      }
      return Future.all(pauses).map(done -> rows);
    });
  }
}
