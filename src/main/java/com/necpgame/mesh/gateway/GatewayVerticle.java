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
import io.vertx.ext.web.RoutingContext;
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
    int maxMessage = (int) Math.min(Integer.MAX_VALUE, http.maxBodyBytes());
    server = vertx.createHttpServer(new HttpServerOptions().setHost(http.host()).setPort(http.port())
        .setMaxWebSocketMessageSize(maxMessage).setMaxWebSocketFrameSize(maxMessage));
    return server.requestHandler(router(vertx, context, mesh)).listen()
        .onSuccess(s -> LOG.info("HTTP gateway listening on {}:{}", http.host(), s.actualPort()));
  }

  /** Every route of the API; each is described in {@code openapi.json}, which a test holds to that. */
  static Router router(Vertx vertx, Context context, MeshContext mesh) {
    Router router = Router.router(vertx);
    EnvelopePublisher publisher = new EnvelopePublisher(mesh.producer(), mesh.metrics(), context);
    Publications publications = new Publications(vertx, mesh, publisher);
    router.get("/ws").handler(ctx -> webSocket(ctx, mesh, publications));
    MatchRoutes matches = new MatchRoutes(vertx);
    matches.mountSocket(router);
    router.route().handler(BodyHandler.create(false).setBodyLimit(mesh.config().http().maxBodyBytes()));
    new HealthRoutes(vertx, mesh).mount(router);
    new EventRoutes(mesh, publications).mount(router);
    new TopicRoutes(vertx, mesh).mount(router);
    new SubscriptionRoutes(vertx, mesh).mount(router);
    new ReplayRoutes(vertx, mesh).mount(router);
    new DlqRoutes(vertx, mesh).mount(router);
    new StatsRoutes(vertx, mesh).mount(router);
    new MarketRoutes(vertx, mesh, publisher).mount(router);
    new DiplomacyRoutes(vertx).mount(router);
    matches.mount(router);
    Buffer openapi = vertx.fileSystem().readFileBlocking(OPENAPI);
    router.get("/openapi.json").handler(ctx -> ctx.response().putHeader("content-type", "application/json").end(openapi));
    for (int status : new int[] {400, 404, 405, 413, 415, 500}) {
      router.errorHandler(status, ApiErrors::onFailure);
    }
    return router;
  }

  /** {@code GET /ws}: the upgrade to a {@link StreamSocket}, refused while the process has its most clients. */
  private static void webSocket(RoutingContext ctx, MeshContext mesh, Publications publications) {
    if (!"websocket".equalsIgnoreCase(ctx.request().getHeader("upgrade"))) {
      ApiErrors.send(ctx, 426, "upgrade_required", "GET /ws is a WebSocket endpoint; connect with a WebSocket client");
      return;
    }
    int max = mesh.config().webSocket().maxClients();
    if (!mesh.metrics().webSocketOpened(max)) {
      ApiErrors.send(ctx, 503, "too_many_clients", "this process serves at most " + max
          + " WebSocket clients (websocket.max_clients); try another one or later");
      return;
    }
    Context context = Vertx.currentContext();
    ctx.request().toWebSocket()
        .onSuccess(ws -> new StreamSocket(ws, context, mesh, publications).open())
        .onFailure(e -> {
          LOG.warn("WebSocket upgrade from {} failed: {}", ctx.request().remoteAddress(), e.toString());
          mesh.metrics().webSocketClosed();
        });
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
