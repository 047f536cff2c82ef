package com.necpgame.mesh.gateway;

import com.necpgame.mesh.MeshContext;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The HTTP server: health and readiness now; the REST API and WebSocket hub mount their routes here. */
public final class GatewayVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(GatewayVerticle.class);

  private final MeshContext mesh;
  private HttpServer server;

  public GatewayVerticle(MeshContext mesh) {
    this.mesh = mesh;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    new HealthRoutes(vertx, mesh).mount(router);
    router.route().last().handler(ctx -> ctx.response().setStatusCode(404).putHeader("content-type", "application/json")
        .end(error("not_found", "no route for " + ctx.request().method() + " " + ctx.normalizedPath())));
    var http = mesh.config().http();
    server = vertx.createHttpServer(new HttpServerOptions().setHost(http.host()).setPort(http.port()));
    return server.requestHandler(router).listen()
        .onSuccess(s -> LOG.info("HTTP gateway listening on {}:{}", http.host(), s.actualPort()));
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  static String error(String code, String message) {
    return new JsonObject().put("error", new JsonObject().put("code", code).put("message", message)
        .put("details", new JsonArray())).encode();
  }
}
