package com.necpgame.mesh.security;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Which addresses a webhook may reach (what Svix and Convoy do against server-side request forgery): public unicast
 * addresses only, unless {@code delivery.webhook.allowed_cidrs} lists the address or {@code
 * delivery.webhook.allow_loopback} opens loopback. Link-local (where cloud metadata services answer), multicast and
 * unspecified addresses, and the cloud metadata addresses outside link-local ({@code fd00:ec2::254}, {@code
 * 100.100.100.200}), are refused whatever the lists say. An IPv6 address that carries an IPv4 one (IPv4-mapped
 * {@code ::ffff:a.b.c.d}, IPv4-translated, IPv4-compatible {@code ::a.b.c.d}, NAT64 {@code 64:ff9b::/96}, 6to4 {@code
 * 2002::/16}) is judged by the IPv4 address it carries. Ranges follow IANA's IPv4 and IPv6 special-purpose address
 * registries; anything outside IPv6 global unicast ({@code 2000::/3}) is reserved.
 *
 * <p>The same policy is applied when a subscription is created or its endpoint changed, and again before every
 * delivery round, on the address the request then connects to (a host that resolved to a public address once may
 * resolve to a private one later: DNS rebinding).
 */
public record AddressPolicy(boolean allowLoopback, List<Cidr> allowedCidrs) {

  /** What kind of address it is, as a refusal names it. */
  public enum Kind {
    PUBLIC("a public address", true),
    LOOPBACK("a loopback address", true),
    PRIVATE("a private address", true),
    SHARED("a shared (carrier-grade NAT, 100.64.0.0/10) address", true),
    RESERVED("a reserved or special-purpose address", true),
    LINK_LOCAL("a link-local address (where cloud metadata services answer)", false),
    METADATA("a cloud metadata service address", false),
    MULTICAST("a multicast address", false),
    UNSPECIFIED("an unspecified address (0.0.0.0/8 or ::)", false);

    private final String description;
    private final boolean listable;

    Kind(String description, boolean listable) {
      this.description = description;
      this.listable = listable;
    }

    public String description() {
      return description;
    }
  }

  /** Finds the addresses of a host name: the JDK's resolver (hosts file, then DNS) in production. */
  @FunctionalInterface
  public interface Resolver {
    Resolver SYSTEM = InetAddress::getAllByName;

    InetAddress[] resolve(String host) throws UnknownHostException;
  }

  /**
   * Where a host may be reached: {@code ALLOWED} with the address to connect to, {@code REFUSED} with the address
   * that was refused and why, or {@code UNRESOLVED}. {@code reason} names the address class but, for a host name, not
   * the address (which a tenant should not learn of an internal name); {@code address} is for the operator's log.
   */
  public record Target(Status status, InetAddress address, String reason) {
    public enum Status { ALLOWED, REFUSED, UNRESOLVED }

    public boolean allowed() {
      return status == Status.ALLOWED;
    }
  }

  public AddressPolicy {
    allowedCidrs = List.copyOf(allowedCidrs);
  }

  /**
   * Resolves {@code host} (a name, an IPv4 literal or a bracketed IPv6 literal as a URL holds it) and judges every
   * address it has: one refused address refuses the host; otherwise the first address is the one to connect to.
   */
  public Target target(String host, Resolver resolver) {
    String name = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    InetAddress[] addresses;
    try {
      addresses = resolver.resolve(name);
    } catch (UnknownHostException e) {
      addresses = new InetAddress[0];
    }
    if (addresses == null || addresses.length == 0) {
      return new Target(Target.Status.UNRESOLVED, null, "host " + host + " does not resolve");
    }
    boolean literal = addresses.length == 1 && isLiteral(name);
    for (InetAddress address : addresses) {
      Kind refused = refusal(address);
      if (refused != null) {
        return new Target(Target.Status.REFUSED, address, (literal ? address.getHostAddress() + " is "
            : "host " + host + " resolves to ") + refused.description() + ", which webhooks may " + advice(refused));
      }
    }
    return new Target(Target.Status.ALLOWED, addresses[0], null);
  }

  /** The kind of address that refuses {@code address}, or null when a webhook may reach it. */
  public Kind refusal(InetAddress address) {
    Kind kind = classify(address);
    if (kind == Kind.PUBLIC) {
      return null;
    }
    if (!kind.listable) {
      return kind; // link-local, metadata, multicast, unspecified: whatever the lists say
    }
    return kind == Kind.LOOPBACK && allowLoopback || listed(address) ? null : kind;
  }

  private boolean listed(InetAddress address) {
    InetAddress carried = embeddedIpv4(address);
    return allowedCidrs.stream().anyMatch(c -> c.contains(address) || carried != null && c.contains(carried));
  }

  private static String advice(Kind kind) {
    return switch (kind) {
      case LOOPBACK -> "reach only while delivery.webhook.allow_loopback is on (auto: while http.host is loopback) "
          + "or delivery.webhook.allowed_cidrs lists it";
      case LINK_LOCAL, METADATA, MULTICAST, UNSPECIFIED -> "never reach";
      default -> "reach only when delivery.webhook.allowed_cidrs lists it";
    };
  }

  /** What kind of address this is; an IPv6 address carrying an IPv4 one is that IPv4 address's kind. */
  public static Kind classify(InetAddress address) {
    byte[] b = address.getAddress();
    if (b.length == 4) {
      return ipv4(b);
    }
    if (isZero(b, 0, 14) && b[15] == 1) {
      return Kind.LOOPBACK; // ::1, not the IPv4-compatible 0.0.0.1
    }
    InetAddress carried = embeddedIpv4(address);
    return carried != null ? ipv4(carried.getAddress()) : ipv6(b);
  }

  /**
   * The IPv4 address an IPv6 one carries: IPv4-mapped {@code ::ffff:0:0/96}, IPv4-translated {@code ::ffff:0:0:0/96},
   * IPv4-compatible {@code ::/96}, NAT64 {@code 64:ff9b::/96} (all in the last 32 bits) or 6to4 {@code 2002::/16}
   * (bits 16-47); null for any other address.
   */
  static InetAddress embeddedIpv4(InetAddress address) {
    byte[] b = address.getAddress();
    if (b.length != 16) {
      return null;
    }
    int from = -1;
    if (isZero(b, 0, 9) && u(b[10]) == 0xff && u(b[11]) == 0xff // mapped
        || isZero(b, 0, 7) && u(b[8]) == 0xff && u(b[9]) == 0xff && isZero(b, 10, 11) // translated
        || isZero(b, 0, 11) // compatible, and :: itself (0.0.0.0)
        || u(b[0]) == 0 && u(b[1]) == 0x64 && u(b[2]) == 0xff && u(b[3]) == 0x9b && isZero(b, 4, 11)) { // NAT64
      from = 12;
    } else if (u(b[0]) == 0x20 && u(b[1]) == 0x02) { // 6to4
      from = 2;
    }
    if (from < 0) {
      return null;
    }
    try {
      return InetAddress.getByAddress(new byte[] {b[from], b[from + 1], b[from + 2], b[from + 3]});
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e); // four bytes: cannot happen
    }
  }

  private static Kind ipv4(byte[] b) {
    int a = u(b[0]);
    int c = u(b[1]);
    int d = u(b[2]);
    if (a == 100 && c == 100 && d == 100 && u(b[3]) == 200) {
      return Kind.METADATA; // Alibaba Cloud's, inside the shared block an operator may list
    } else if (a == 0) {
      return Kind.UNSPECIFIED; // "this network": connecting to 0.0.0.0 reaches the local host
    } else if (a == 127) {
      return Kind.LOOPBACK;
    } else if (a == 10 || a == 172 && (c & 0xf0) == 16 || a == 192 && c == 168) {
      return Kind.PRIVATE;
    } else if (a == 100 && (c & 0xc0) == 64) {
      return Kind.SHARED;
    } else if (a == 169 && c == 254) {
      return Kind.LINK_LOCAL;
    } else if (a >= 224 && a <= 239) {
      return Kind.MULTICAST;
    } else if (a >= 240 // reserved, with the limited broadcast 255.255.255.255
        || a == 192 && c == 0 && (d == 0 || d == 2) // IETF protocol assignments, documentation (TEST-NET-1)
        || a == 192 && c == 88 && d == 99 // 6to4 relay anycast
        || a == 198 && (c & 0xfe) == 18 // benchmarking
        || a == 198 && c == 51 && d == 100 || a == 203 && c == 0 && d == 113) { // documentation
      return Kind.RESERVED;
    }
    return Kind.PUBLIC;
  }

  private static Kind ipv6(byte[] b) {
    int a = u(b[0]);
    int c = u(b[1]);
    if (a == 0xfd && c == 0 && u(b[2]) == 0x0e && u(b[3]) == 0xc2 && isZero(b, 4, 13) && u(b[14]) == 0x02
        && u(b[15]) == 0x54) {
      return Kind.METADATA; // AWS's IPv6 instance metadata fd00:ec2::254, inside the unique local block
    } else if (a == 0xfe && (c & 0xc0) == 0x80) {
      return Kind.LINK_LOCAL; // fe80::/10
    } else if (a == 0xff) {
      return Kind.MULTICAST; // ff00::/8
    } else if ((a & 0xfe) == 0xfc || a == 0xfe && (c & 0xc0) == 0xc0) {
      return Kind.PRIVATE; // unique local fc00::/7, deprecated site-local fec0::/10
    } else if (a == 0 && c == 0x64 && u(b[2]) == 0xff && u(b[3]) == 0x9b && u(b[4]) == 0 && u(b[5]) == 1) {
      return Kind.PRIVATE; // local-use NAT64 64:ff9b:1::/48
    } else if ((a & 0xe0) != 0x20 // outside global unicast 2000::/3 (discard-only 100::/64 among them)
        || a == 0x20 && c == 0x01 && (u(b[2]) & 0xfe) == 0 // IETF protocol assignments 2001::/23, Teredo among them
        || a == 0x20 && c == 0x01 && u(b[2]) == 0x0d && u(b[3]) == 0xb8 // documentation 2001:db8::/32
        || a == 0x3f && c == 0xff && (u(b[2]) & 0xf0) == 0) { // documentation 3fff::/20
      return Kind.RESERVED;
    }
    return Kind.PUBLIC;
  }

  private static boolean isLiteral(String host) {
    return host.contains(":") || host.matches("[0-9.]+");
  }

  private static boolean isZero(byte[] b, int from, int to) {
    for (int i = from; i <= to; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static int u(byte b) {
    return b & 0xff;
  }
}
