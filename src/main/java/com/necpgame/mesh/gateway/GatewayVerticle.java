package com.necpgame.mesh.gateway;

import com.necpgame.mesh.MeshContext;
import com.necpgame.mesh.delivery.AckSweeper;
import com.necpgame.mesh.delivery.SocketSubscriptions;
import com.necpgame.mesh.fanout.Hub;
import com.necpgame.mesh.idempotency.KeyExpiry;
import com.necpgame.mesh.idempotency.PublishKeys;
import com.necpgame.mesh.kafka.EnvelopePublisher;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import com.necpgame.mesh.security.Security;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The HTTP server: health, readiness, events, topics, stats and metrics; JSON errors everywhere. */
public final class GatewayVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(GatewayVerticle.class);
  static final String OPENAPI = "openapi.json";

  private final MeshContext mesh;
  private HttpServer server;
  private KeyExpiry expiry;

  public GatewayVerticle(MeshContext mesh) {
    this.mesh = mesh;
  }

  @Override
  public Future<?> start() {
    var http = mesh.config().http();
    int maxMessage = (int) Math.min(Integer.MAX_VALUE, http.maxBodyBytes());
    HttpServerOptions options = new HttpServerOptions().setHost(http.host()).setPort(http.port())
        .setMaxWebSocketMessageSize(maxMessage).setMaxWebSocketFrameSize(maxMessage);
    if (http.tls().enabled()) {
      options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
          .setCertPath(http.tls().certFile().orElseThrow().toString())
          .setKeyPath(http.tls().keyFile().orElseThrow().toString()));
    }
    server = vertx.createHttpServer(options);
    if (mesh.pool() != null) { // every instance may: each batch skips the rows another is deleting
      var idempotency = mesh.config().idempotency();
      expiry = new KeyExpiry(vertx, new PublishKeys(mesh.pool()), idempotency.cleanupIntervalMs(),
          idempotency.cleanupBatch());
      expiry.start();
    }
    var security = mesh.config().security();
    // the sockets' requires_ack subscriptions are redelivered by the process's sweeper, with or without delivery here
    Future<Void> sweeper = mesh.pool() == null ? Future.succeededFuture() : AckSweeper.start(vertx, mesh);
    return sweeper.compose(v -> server.requestHandler(router(vertx, context, mesh)).listen())
        .onSuccess(s -> LOG.info("HTTP gateway listening on {}://{}:{}; anonymous requests {}; {} principal(s), JWT {}",
            http.tls().enabled() ? "https" : "http", http.host(), s.actualPort(),
            security.anonymousAccepted() ? "accepted" : "refused", security.principals().size(),
            security.jwt().enabled() ? "on" : "off"));
  }

  /** Every route of the API; each is described in {@code openapi.json}, which a test holds to that. */
  static Router router(Vertx vertx, Context context, MeshContext mesh) {
    Router router = Router.router(vertx);
    router.route().handler(RequestIds::handle);
    EnvelopePublisher publisher = new EnvelopePublisher(mesh.producer(), mesh.metrics(), context);
    Publications publications = new Publications(vertx, mesh, publisher);
    Security security = SecurityHandler.shared(vertx, mesh);
    SecurityHandler authenticate = new SecurityHandler(security);
    router.route().handler(GatewayVerticle::refuseBadUri);
    router.route().handler(new BrowserGuard(security));
    // A WebSocket upgrade is authenticated before it happens; other requests once their body is read (the body
    // handler must be installed before anything asynchronous runs, or the body is lost).
    router.route("/ws").handler(authenticate);
    Hub hub = mesh.config().webSocket().hub() ? SharedHub.of(vertx, mesh) : null;
    router.get("/ws").handler(ctx -> webSocket(ctx, mesh, publications, security, hub));
    MatchRoutes matches = new MatchRoutes(vertx);
    router.route("/matches/:matchId/ws").handler(authenticate);
    matches.mountSocket(router);
    router.route().handler(GatewayVerticle::refuseForms);
    router.route().handler(BodyHandler.create(false).setBodyLimit(mesh.config().http().maxBodyBytes()));
    router.route().handler(RequestIds::again); // the body arrived later: the ids go back in the MDC for the route
    router.route().handler(authenticate);
    new HealthRoutes(vertx, mesh).mount(router);
    new EventRoutes(vertx, mesh, publications, security).mount(router);
    new TopicRoutes(vertx, mesh).mount(router);
    new SubscriptionRoutes(vertx, mesh).mount(router);
    new ReplayRoutes(vertx, mesh).mount(router);
    new DlqRoutes(vertx, mesh).mount(router);
    new StatsRoutes(vertx, mesh).mount(router);
    new MarketRoutes(vertx, mesh, publisher).mount(router);
    new DiplomacyRoutes(vertx).mount(router);
    new CrowdRoutes(vertx).mount(router);
    new RobotRoutes(vertx).mount(router);
    new ConsoleRoutes(vertx, mesh.config()).mount(router);
    matches.mount(router);
    Buffer openapi = vertx.fileSystem().readFileBlocking(OPENAPI);
    router.get("/openapi.json").handler(ctx -> ctx.response().putHeader("content-type", "application/json").end(openapi));
    for (int status : new int[] {400, 404, 405, 413, 415, 500}) {
      router.errorHandler(status, ApiErrors::onFailure);
    }
    return router;
  }

  /**
   * A {@code %} in the path or query not followed by two hex digits ({@code /topics/%zz}) is 400 here: left to the
   * router, decoding the path parameters failed without a cause and the request was answered 500. So is a NUL
   * ({@code %00}): no name or id of the API can hold one, and PostgreSQL refused the query with it (answered 503).
   */
  private static void refuseBadUri(RoutingContext ctx) {
    String uri = ctx.request().uri();
    for (int i = uri.indexOf('%'); i >= 0; i = uri.indexOf('%', i + 1)) {
      if (i + 2 >= uri.length() || Character.digit(uri.charAt(i + 1), 16) < 0
          || Character.digit(uri.charAt(i + 2), 16) < 0) {
        ApiErrors.send(ctx, 400, "bad_request", "the request path or query has a % not followed by two hex digits");
        return;
      }
      if (uri.charAt(i + 1) == '0' && uri.charAt(i + 2) == '0') {
        ApiErrors.send(ctx, 400, "bad_request", "the request path or query holds a NUL character (%00)");
        return;
      }
    }
    ctx.next();
  }

  /**
   * The API takes JSON only: a form or multipart body is 415 before the body handler sees it (it would try to decode
   * a multipart GET and fail with a 500).
   */
  private static void refuseForms(RoutingContext ctx) {
    String type = String.valueOf(ctx.request().getHeader("content-type")).toLowerCase(Locale.ROOT).trim();
    if (type.startsWith("multipart/") || type.startsWith("application/x-www-form-urlencoded")) {
      ApiErrors.send(ctx, 415, "unsupported_media_type", "send the body as Content-Type: application/json");
    } else {
      ctx.next();
    }
  }

  /** {@code GET /ws}: the upgrade to a {@link StreamSocket}, refused while the process has its most clients. */
  private static void webSocket(RoutingContext ctx, MeshContext mesh, Publications publications, Security security,
      Hub hub) {
    if (!"websocket".equalsIgnoreCase(ctx.request().getHeader("upgrade"))) {
      ApiErrors.send(ctx, 426, "upgrade_required", "GET /ws is a WebSocket endpoint; connect with a WebSocket client");
      return;
    }
    if (!String.valueOf(ctx.request().getHeader("connection")).toLowerCase(Locale.ROOT).contains("upgrade")) {
      ApiErrors.send(ctx, 400, "bad_request", "a WebSocket upgrade needs Connection: Upgrade");
      return;
    }
    int max = mesh.config().webSocket().maxClients();
    if (!mesh.metrics().webSocketOpened(max)) {
      ApiErrors.send(ctx, 503, "too_many_clients", "this process serves at most " + max
          + " WebSocket clients (websocket.max_clients); try another one or later");
      return;
    }
    Context context = Vertx.currentContext();
    RequestIds.Ids ids = RequestIds.of(ctx);
    // The TCP connection stays the same through the upgrade; Vert.x exposes it only on its internal connection type.
    io.netty.channel.Channel channel = ((io.vertx.core.net.impl.ConnectionBase) ctx.request().connection()).channel();
    ctx.request().toWebSocket()
        .onSuccess(ws -> new StreamSocket(ws, channel, context, mesh, publications, security,
            SecurityHandler.principal(ctx), SecurityHandler.remote(ctx), ids, hub).open())
        .onFailure(e -> {
          LOG.warn("WebSocket upgrade from {} failed: {}", ctx.request().remoteAddress(), e.toString());
          mesh.metrics().webSocketClosed();
        });
  }

  /**
   * Closes the server. While the process drains (SIGTERM) it shuts down gracefully instead: no new connections,
   * in-flight requests (publishes waiting for Kafka) answered, WebSockets closed with 1001, for at most half of the
   * grace period left (the rest is for the producer and the consumers' commits).
   */
  @Override
  public Future<?> stop() {
    if (expiry != null) {
      expiry.stop();
    }
    SharedHub.close(vertx, mesh);
    Future<Void> sweeper = AckSweeper.stop(vertx, mesh);
    if (server == null) {
      return sweeper.eventually(() -> SocketSubscriptions.close(vertx, mesh.config().nodeId()));
    }
    long left = mesh.metrics().drainMillisLeft();
    return Future.join(sweeper, left > 0 ? server.shutdown(left / 2, TimeUnit.MILLISECONDS) : server.close())
        .eventually(() -> SocketSubscriptions.close(vertx, mesh.config().nodeId())); // the sockets' last rows
  }
}
