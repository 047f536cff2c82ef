package com.necpgame.mesh;

import com.necpgame.mesh.config.ConfigException;
import com.necpgame.mesh.config.ConfigLoader;
import com.necpgame.mesh.config.MeshConfig;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * {@code java -jar event-mesh.jar [-conf file.json | --config file.json]}. Exit codes: 0 after a clean stop on
 * SIGTERM or SIGINT (within {@code shutdown.grace_ms}), 1 when start-up failed or the stop outran the grace period, 2
 * for a bad command line or an invalid setting (nothing was opened).
 */
public final class MeshMain {

  private static final String USAGE = "usage: java -jar event-mesh.jar [-conf <file.json> | --config <file.json>]";

  private MeshMain() {}

  public static void main(String[] args) {
    System.setProperty("vertx.logger-delegate-factory-class-name", "io.vertx.core.logging.SLF4JLogDelegateFactory");
    MeshConfig config;
    try {
      config = ConfigLoader.load(configFile(args), System.getenv());
    } catch (ConfigException | IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    Logging.configure(config.logLevel(), config.logFormat());
    Logger log = LoggerFactory.getLogger(MeshMain.class);
    log.info("starting mesh {} with {}", config.nodeId(), config);
    com.necpgame.mesh.config.SeedEnvironment.notices(System.getenv()).forEach(n -> log.warn("environment: {}", n));

    Mesh mesh;
    try {
      mesh = Mesh.start(config);
    } catch (Throwable e) {
      log.error("start-up failed: {}", e.getMessage(), e);
      System.exit(1);
      return;
    }
    CountDownLatch stop = new CountDownLatch(1);
    Signal.handle(new Signal("TERM"), s -> stop.countDown());
    Signal.handle(new Signal("INT"), s -> stop.countDown());
    Thread hook = new Thread(mesh::close, "mesh-shutdown"); // any other way out still closes cleanly
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      stop.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    log.info("stop requested");
    Runtime.getRuntime().removeShutdownHook(hook);
    if (!mesh.shutdown()) {
      Runtime.getRuntime().halt(1); // the grace period is over: what is still closing is abandoned
    }
    System.exit(0);
  }

  static Optional<Path> configFile(String[] args) {
    Optional<Path> file = Optional.empty();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.startsWith("--config=")) {
        file = Optional.of(Path.of(arg.substring("--config=".length())));
      } else if ((arg.equals("-conf") || arg.equals("--config")) && i + 1 < args.length) {
        file = Optional.of(Path.of(args[++i]));
      } else {
        throw new IllegalArgumentException("unexpected argument \"" + arg + "\"\n" + USAGE);
      }
    }
    return file;
  }
}
