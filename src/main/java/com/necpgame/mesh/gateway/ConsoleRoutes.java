package com.necpgame.mesh.gateway;

import com.necpgame.mesh.config.MeshConfig;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The live web console: {@code GET /} is its page, {@code GET /console/{file}} its scripts and styles (static files
 * in the jar under {@code console/}, read once at start), {@code GET /console/settings} what it needs to know of this
 * mesh (topics to stream, commodities, factions, the game clock). Every answer carries a strong ETag and
 * {@code Cache-Control: no-cache}, so a browser revalidates and gets 304 until the jar changes.
 */
final class ConsoleRoutes {

  /**
   * The console's files, in {@code src/main/resources/console/}, and the client library it uses
   * ({@code clients/js/mesh-client.js}, copied there by the build).
   */
  static final List<String> FILES = List.of("index.html", "console.js", "chart.js", "console.css", "mesh-client.js");
  private static final Map<String, String> TYPES = Map.of("html", "text/html; charset=utf-8",
      "js", "text/javascript; charset=utf-8", "css", "text/css; charset=utf-8", "json", "application/json");
  /** The page loads only its own scripts and styles and talks only to its own origin (HTTP and WebSocket). */
  private static final String POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  private final Map<String, Asset> assets = new LinkedHashMap<>();
  private final Asset settings;

  ConsoleRoutes(Vertx vertx, MeshConfig config) {
    for (String file : FILES) {
      assets.put(file, asset(file, vertx.fileSystem().readFileBlocking("console/" + file)));
    }
    settings = asset("settings.json", Buffer.buffer(settings(config).encodePrettily()));
  }

  void mount(Router router) {
    router.get("/").handler(ctx -> send(ctx, assets.get("index.html")));
    router.get("/console/settings").handler(ctx -> send(ctx, settings));
    router.get("/console/:file").handler(this::file);
  }

  /** What the page streams and shows, from this process's configuration. */
  static JsonObject settings(MeshConfig config) {
    var world = config.world();
    JsonObject commodities = new JsonObject();
    world.commodities().forEach((name, cents) -> commodities.put(name, cents / 100.0));
    var clock = world.tick().clock();
    return new JsonObject()
        .put("node_id", config.nodeId())
        .put("topics", new JsonObject()
            .put("hourly", world.tick().hourlyTopic())
            .put("daily", world.tick().dailyTopic())
            .put("simulation", world.outputTopic())
            .put("orders", world.market().ordersTopic())
            .put("other", new JsonArray(config.console().topics())))
        .put("commodities", commodities)
        .put("factions", new JsonArray(world.factions()))
        .put("clock", new JsonObject().put("game_epoch", clock.gameEpoch().toString())
            .put("real_epoch", clock.realEpoch().toString()).put("time_scale", clock.scale()));
  }

  private void file(RoutingContext ctx) {
    String name = ctx.pathParam("file");
    Asset asset = assets.get(name);
    if (asset == null) {
      ApiErrors.send(ctx, 404, "not_found", "the console has no file " + quoted(name) + "; it has " + FILES);
      return;
    }
    send(ctx, asset);
  }

  private static void send(RoutingContext ctx, Asset asset) {
    var response = ctx.response().putHeader("etag", asset.etag()).putHeader("cache-control", "no-cache")
        .putHeader("x-content-type-options", "nosniff");
    if (asset.type().startsWith("text/html")) {
      response.putHeader("content-security-policy", POLICY).putHeader("referrer-policy", "no-referrer");
    }
    if (matches(ctx.request().getHeader("if-none-match"), asset.etag())) {
      response.setStatusCode(304).end();
      return;
    }
    response.putHeader("content-type", asset.type()).end(asset.body());
  }

  /** {@code If-None-Match}: {@code *} or a list of entity tags, weak ones compared weakly (RFC 9110, 13.1.2). */
  static boolean matches(String ifNoneMatch, String etag) {
    if (ifNoneMatch == null) {
      return false;
    }
    for (String tag : ifNoneMatch.split(",")) {
      String t = tag.trim();
      if (t.equals("*") || t.equals(etag) || t.equals("W/" + etag)) {
        return true;
      }
    }
    return false;
  }

  private static String quoted(String name) {
    String shown = name.length() > 64 ? name.substring(0, 64) + "…" : name;
    return "\"" + shown.replaceAll("[^\\x20-\\x7e]", "?") + "\"";
  }

  private static Asset asset(String file, Buffer body) {
    String extension = file.substring(file.lastIndexOf('.') + 1);
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(body.getBytes());
      return new Asset(TYPES.get(extension), body, "\"" + HexFormat.of().formatHex(hash, 0, 16) + "\"");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private record Asset(String type, Buffer body, String etag) {}
}
