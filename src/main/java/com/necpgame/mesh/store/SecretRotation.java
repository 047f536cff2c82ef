package com.necpgame.mesh.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * Re-encrypts the webhook signing secrets not sealed with the active key: plain text written before encryption, and
 * values of a key being rotated out. Run at start-up, after the migrations; each row is changed only if it still
 * holds what was read, so processes starting together, or a rotation through the API meanwhile, lose nothing. Once
 * it has run with the new key active on every process, an old key can leave {@code security.secrets.keys}.
 */
public final class SecretRotation {

  private SecretRotation() {}

  /** The number of subscriptions whose secrets were re-encrypted. */
  public static Future<Integer> run(Pool pool, SecretBox box) {
    return pool.query("SELECT subscription_id, signing_secret, previous_signing_secret FROM event_subscriptions "
        + "WHERE signing_secret IS NOT NULL OR previous_signing_secret IS NOT NULL").execute().compose(rows -> {
          List<Tuple> changes = new ArrayList<>();
          for (Row row : rows) {
            String id = row.getString("subscription_id");
            String current = row.getString("signing_secret");
            String previous = row.getString("previous_signing_secret");
            if (!box.current(current) || !box.current(previous)) {
              changes.add(Tuple.of(id, box.seal(box.open(current, id), id), box.seal(box.open(previous, id), id),
                  current, previous));
            }
          }
          if (changes.isEmpty()) {
            return Future.succeededFuture(0);
          }
          return pool.preparedQuery("UPDATE event_subscriptions SET signing_secret = $2, previous_signing_secret = $3 "
              + "WHERE subscription_id = $1 AND signing_secret IS NOT DISTINCT FROM $4 "
              + "AND previous_signing_secret IS NOT DISTINCT FROM $5").executeBatch(changes)
              .map(done -> changes.size());
        });
  }
}
