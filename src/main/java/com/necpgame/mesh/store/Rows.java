package com.necpgame.mesh.store;

import java.time.OffsetDateTime;

/** How the store writes database values into JSON. */
public final class Rows {

  private Rows() {}

  /** RFC 3339 in UTC, or null. */
  public static String time(OffsetDateTime time) {
    return time == null ? null : time.toInstant().toString();
  }
}
