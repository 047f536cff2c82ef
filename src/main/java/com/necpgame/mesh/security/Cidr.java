package com.necpgame.mesh.security;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * A block of IPv4 or IPv6 addresses written {@code address/prefix} ({@code 10.20.0.0/16}, {@code fd00:1::/48}); a bare
 * address is a block of one. An IPv4 block holds IPv4 addresses only and an IPv6 block IPv6 addresses only (an
 * IPv4-mapped IPv6 address is matched by {@link AddressPolicy} through the IPv4 address it carries).
 */
public final class Cidr {

  private static final String OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
  private static final Pattern IPV4 = Pattern.compile(OCTET + "(\\." + OCTET + "){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

  private final byte[] network;
  private final int prefix;
  private final String text;

  private Cidr(byte[] network, int prefix, String text) {
    this.network = network;
    this.prefix = prefix;
    this.text = text;
  }

  /**
   * The block {@code text} names, its host bits cleared; an {@link IllegalArgumentException} saying what is wrong
   * otherwise. Only literal addresses are read: nothing is looked up.
   */
  public static Cidr parse(String text) {
    int slash = text.indexOf('/');
    String address = slash < 0 ? text : text.substring(0, slash);
    byte[] bytes;
    if (IPV4.matcher(address).matches()) {
      bytes = literal(address, text);
      if (bytes.length != 4) {
        throw new IllegalArgumentException("\"" + text + "\" is not an IPv4 address");
      }
    } else if (IPV6.matcher(address).matches()) {
      bytes = literal(address, text);
      if (bytes.length != 16) { // the JDK reads ::ffff:a.b.c.d as IPv4: such a block is written a.b.c.d/n
        throw new IllegalArgumentException("\"" + text + "\" is an IPv4-mapped address; write the IPv4 block");
      }
    } else {
      throw new IllegalArgumentException("expected an IPv4 or IPv6 block such as 10.0.0.0/8 or fd00::/8, got \""
          + text + "\"");
    }
    int bits = bytes.length * 8;
    int prefix = bits;
    if (slash >= 0) {
      String length = text.substring(slash + 1);
      if (!length.matches("\\d{1,3}") || Integer.parseInt(length) > bits) {
        throw new IllegalArgumentException("\"" + text + "\": the prefix length must be 0-" + bits);
      }
      prefix = Integer.parseInt(length);
    }
    byte[] network = mask(bytes, prefix);
    String canonical = canonical(network) + "/" + prefix;
    return new Cidr(network, prefix, canonical);
  }

  /** Whether {@code address} is in this block (always false for the other family). */
  public boolean contains(InetAddress address) {
    byte[] bytes = address.getAddress();
    return bytes.length == network.length && Arrays.equals(mask(bytes, prefix), network);
  }

  private static byte[] literal(String address, String text) {
    try {
      return InetAddress.getByName(address).getAddress(); // a literal: parsed, never looked up
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("\"" + text + "\" is not an IP address");
    }
  }

  private static byte[] mask(byte[] bytes, int prefix) {
    byte[] out = bytes.clone();
    for (int i = 0; i < out.length; i++) {
      int keep = Math.max(0, Math.min(8, prefix - i * 8));
      out[i] = (byte) (out[i] & (0xFF00 >> keep));
    }
    return out;
  }

  private static String canonical(byte[] network) {
    try {
      return InetAddress.getByAddress(network).getHostAddress();
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e); // 4 or 16 bytes: cannot happen
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cidr c && c.prefix == prefix && Arrays.equals(c.network, network);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(network) * 31 + prefix;
  }

  @Override
  public String toString() {
    return text;
  }
}
