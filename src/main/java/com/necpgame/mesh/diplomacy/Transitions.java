package com.necpgame.mesh.diplomacy;

/**
 * The transition table. Each state can only move to its neighbours, and a pair must leave a state by crossing a
 * threshold further away than the one that brought it in (hysteresis), so noise around a threshold does not flap it:
 *
 * <pre>
 *   from      to        when                          (the way back needs)
 *   PEACE     ALLIANCE  love >= 60 and fear <= 30      love < 40 or fear > 45
 *   PEACE     COLD_WAR  fear >= 55 or love <= -40      fear < 40 and love > -25
 *   COLD_WAR  WAR       fear >= 75 and love <= -60     fear < 60 or love > -45
 *   ALLIANCE  PEACE     love < 40 or fear > 45
 *   COLD_WAR  PEACE     fear < 40 and love > -25
 *   WAR       COLD_WAR  fear < 60 or love > -45
 * </pre>
 * There is no direct move between PEACE and WAR, nor from ALLIANCE to anything but PEACE.
 */
final class Transitions {

  record Move(State to, String reason) {}

  private Transitions() {}

  static Move next(State from, double love, double fear) {
    return switch (from) {
      case PEACE -> love >= 60 && fear <= 30 ? new Move(State.ALLIANCE, "love >= 60 and fear <= 30")
          : fear >= 55 ? new Move(State.COLD_WAR, "fear >= 55")
          : love <= -40 ? new Move(State.COLD_WAR, "love <= -40") : null;
      case ALLIANCE -> love < 40 ? new Move(State.PEACE, "love < 40")
          : fear > 45 ? new Move(State.PEACE, "fear > 45") : null;
      case COLD_WAR -> fear >= 75 && love <= -60 ? new Move(State.WAR, "fear >= 75 and love <= -60")
          : fear < 40 && love > -25 ? new Move(State.PEACE, "fear < 40 and love > -25") : null;
      case WAR -> fear < 60 ? new Move(State.COLD_WAR, "fear < 60")
          : love > -45 ? new Move(State.COLD_WAR, "love > -45") : null;
    };
  }
}
