package com.necpgame.mesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.MeshMetrics;
import com.necpgame.mesh.config.ConfigLoader;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** openapi.json describes exactly the routes the gateway serves: no route undocumented, no documented path missing. */
class OpenApiTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close();
  }

  @Test
  void everyRouteIsDocumentedAndEveryDocumentedOperationIsRouted() {
    MeshContext mesh = new MeshContext(ConfigLoader.load(new JsonObject(), Map.of()), null, null, null, null, null,
        new MeshMetrics());
    Router router = GatewayVerticle.router(vertx, vertx.getOrCreateContext(), mesh);
    Set<String> routed = new TreeSet<>();
    for (Route route : router.getRoutes()) {
      if (route.getPath() != null && route.methods() != null) {
        route.methods().forEach(m -> routed.add(m.name() + " " + route.getPath().replaceAll(":(\\w+)", "{$1}")));
      }
    }
    JsonObject doc = new JsonObject(vertx.fileSystem().readFileBlocking(GatewayVerticle.OPENAPI));
    Set<String> documented = new TreeSet<>();
    doc.getJsonObject("paths").forEach(path -> ((JsonObject) path.getValue()).fieldNames()
        .forEach(method -> documented.add(method.toUpperCase() + " " + path.getKey())));
    assertEquals(documented, routed);
    assertEquals("3.1.0", doc.getString("openapi"));
  }
}
