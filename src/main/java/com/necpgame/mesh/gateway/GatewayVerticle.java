package com.necpgame.mesh.gateway;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.kafka.EnvelopePublisher;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The HTTP server: health, readiness, events, topics, stats and metrics; JSON errors everywhere. */
public final class GatewayVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(GatewayVerticle.class);
  static final String OPENAPI = "openapi.json";

  private final MeshContext mesh;
  private HttpServer server;

  public GatewayVerticle(MeshContext mesh) {
    this.mesh = mesh;
  }

  @Override
  public Future<?> start() {
    var http = mesh.config().http();
    server = vertx.createHttpServer(new HttpServerOptions().setHost(http.host()).setPort(http.port()));
    return server.requestHandler(router(vertx, context, mesh)).listen()
        .onSuccess(s -> LOG.info("HTTP gateway listening on {}:{}", http.host(), s.actualPort()));
  }

  /** Every route of the API; each is described in {@code openapi.json}, which a test holds to that. */
  static Router router(Vertx vertx, Context context, MeshContext mesh) {
    Router router = Router.router(vertx);
    router.route().handler(BodyHandler.create(false).setBodyLimit(mesh.config().http().maxBodyBytes()));
    new HealthRoutes(vertx, mesh).mount(router);
    new EventRoutes(vertx, mesh, new EnvelopePublisher(mesh.producer(), mesh.metrics(), context)).mount(router);
    new TopicRoutes(vertx, mesh).mount(router);
    new StatsRoutes(vertx, mesh).mount(router);
    Buffer openapi = vertx.fileSystem().readFileBlocking(OPENAPI);
    router.get("/openapi.json").handler(ctx -> ctx.response().putHeader("content-type", "application/json").end(openapi));
    for (int status : new int[] {400, 404, 405, 413, 415, 500}) {
      router.errorHandler(status, ApiErrors::onFailure);
    }
    return router;
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
