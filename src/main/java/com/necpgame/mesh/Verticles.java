package com.necpgame.mesh;

import com.necpgame.mesh.crowd.CrowdVerticle;
import com.necpgame.mesh.delivery.DeliveryVerticle;
import com.necpgame.mesh.delivery.ReplayVerticle;
import com.necpgame.mesh.diplomacy.DiplomacyVerticle;
import com.necpgame.mesh.gateway.GatewayVerticle;
import com.necpgame.mesh.kafka.KafkaBridgeVerticle;
import com.necpgame.mesh.market.MarketVerticle;
import com.necpgame.mesh.match.MatchVerticle;
import com.necpgame.mesh.robot.RobotVerticle;
import com.necpgame.mesh.robot.RobotWorkerVerticle;
import com.necpgame.mesh.store.EventStoreVerticle;
import com.necpgame.mesh.tick.TickVerticle;
import io.vertx.core.Deployable;
import io.vertx.core.json.JsonObject;
import java.util.function.Function;

/**
 * Every verticle this build can deploy, in deployment order: registering one is a line here. Its name is its key
 * under {@code verticles} in config (and in {@code MESH_VERTICLES}); its defaults there are enabled, with the
 * instances given here ({@link #PER_CORE}: one per core). A verticle that runs one loop per process and shares the
 * work with other processes through Kafka is {@code perProcess}: config may enable or disable it, not multiply it.
 */
public enum Verticles {
  BRIDGE("bridge", KafkaBridgeVerticle::new, 1, false),
  STORE("store", EventStoreVerticle::new, 1, false),
  DELIVERY("delivery", DeliveryVerticle::new, 1, false),
  REPLAY("replay", ReplayVerticle::new, 1, false),
  TICK("tick", TickVerticle::new, 1, true),
  MARKET("market", MarketVerticle::new, 1, true),
  DIPLOMACY("diplomacy", DiplomacyVerticle::new, 1, true),
  CROWD("crowd", CrowdVerticle::new, 1, true),
  MATCHES("matches", MatchVerticle::new, 1, true),
  ROBOTS("robots", RobotVerticle::new, 1, true),
  ROBOT_WORKERS("robot-workers", RobotWorkerVerticle::new, 1, true),
  GATEWAY("gateway", GatewayVerticle::new, Verticles.PER_CORE, false);

  /** Instances meaning one per core. */
  public static final int PER_CORE = 0;

  private final String key;
  private final Function<MeshContext, Deployable> factory;
  private final int instances;
  private final boolean perProcess;

  Verticles(String key, Function<MeshContext, Deployable> factory, int instances, boolean perProcess) {
    this.key = key;
    this.factory = factory;
    this.instances = instances;
    this.perProcess = perProcess;
  }

  /** The name in config. */
  public String key() {
    return key;
  }

  public boolean perProcess() {
    return perProcess;
  }

  public Deployable create(MeshContext mesh) {
    return factory.apply(mesh);
  }

  /** The {@code verticles} block of the default config: every verticle enabled, with its default instances. */
  public static JsonObject defaults() {
    JsonObject all = new JsonObject();
    for (Verticles v : values()) {
      all.put(v.key, new JsonObject().put("enabled", true).put("instances", v.instances));
    }
    return all;
  }
}
