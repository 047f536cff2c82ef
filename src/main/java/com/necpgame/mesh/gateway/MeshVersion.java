package com.necpgame.mesh.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The mesh's version, from {@code conf/version.properties} that the build fills in ({@code unknown} if absent). */
final class MeshVersion {

  static final String VERSION = read();

  private MeshVersion() {}

  private static String read() {
    try (InputStream in = MeshVersion.class.getClassLoader().getResourceAsStream("conf/version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version", "unknown");
      return v.startsWith("${") ? "unknown" : v;
    } catch (IOException e) {
      return "unknown";
    }
  }
}
