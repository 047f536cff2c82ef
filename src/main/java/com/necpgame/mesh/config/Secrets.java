package com.necpgame.mesh.config;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/** Masks secrets in settings before they reach a log line, an error or a config dump. */
public final class Secrets {

  private static final Pattern SECRET_KEY =
      Pattern.compile("(?i).*(password|secret|jaas|token|credential|api[._-]?key|private[._-]?key).*");
  private static final Pattern URL_PASSWORD = Pattern.compile("(://[^:/@]+:)[^@/]*@");
  private static final Pattern QUERY_PASSWORD = Pattern.compile("(?i)(password=)[^&]*");

  private Secrets() {}

  public static boolean isSecretKey(String key) {
    return SECRET_KEY.matcher(key).matches();
  }

  public static Map<String, String> mask(Map<String, String> properties) {
    Map<String, String> out = new LinkedHashMap<>();
    properties.forEach((k, v) -> out.put(k, isSecretKey(k) ? "****" : v));
    return out;
  }

  /** A copy of {@code properties} whose {@code toString()} (a config dump, a log line) masks the secret values. */
  public static Map<String, String> masking(Map<String, String> properties) {
    return new LinkedHashMap<>(properties) {
      @Override
      public String toString() {
        return mask(this).toString();
      }
    };
  }

  public static String maskUrl(String url) {
    return QUERY_PASSWORD.matcher(URL_PASSWORD.matcher(url).replaceAll("$1****@")).replaceAll("$1****");
  }
}
