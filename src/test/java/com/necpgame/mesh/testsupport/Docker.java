package com.necpgame.mesh.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;

/** Whether a Docker engine answers here, asked cheaply first so machines without one do not wait on Testcontainers. */
final class Docker {

  private static Boolean available;

  private Docker() {}

  static synchronized boolean available() {
    if (available == null) {
      boolean hint = System.getenv("DOCKER_HOST") != null || Files.exists(Path.of("/var/run/docker.sock"));
      available = hint && probe();
    }
    return available;
  }

  private static boolean probe() {
    try {
      return org.testcontainers.DockerClientFactory.instance().isDockerAvailable();
    } catch (Throwable e) {
      return false;
    }
  }
}
