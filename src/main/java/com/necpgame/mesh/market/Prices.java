package com.necpgame.mesh.market;

import java.math.BigDecimal;

/**
 * The one price representation of the market's JSON: credits as a decimal number with at most two places (12.5 or
 * 12.50 is 1,250 cents). Inside the model every price is a long count of cents, so sums and comparisons are exact.
 */
public final class Prices {

  private Prices() {}

  /** Cents as a JSON number with two decimals (1250 -> 12.50). */
  public static BigDecimal toDecimal(long cents) {
    return BigDecimal.valueOf(cents, 2);
  }

  /**
   * A JSON number (or its text) in credits as cents; throws {@link ArithmeticException} when it has more than two
   * decimals or does not fit a long, {@link NumberFormatException} when it is not a number.
   */
  public static long toCents(Object credits) {
    BigDecimal d = credits instanceof BigDecimal b ? b : new BigDecimal(String.valueOf(credits));
    return d.movePointRight(2).longValueExact();
  }
}
