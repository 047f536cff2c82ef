package com.necpgame.mesh.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.security.AddressPolicy.Kind;
import com.necpgame.mesh.security.AddressPolicy.Target;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The address classes of IANA's IPv4 and IPv6 special-purpose registries (RFC 6890 and its updates), each written the
 * ways an attacker would write it: plain, IPv4-mapped, IPv4-translated, IPv4-compatible, NAT64 and 6to4.
 */
class AddressPolicyTest {

  private static final AddressPolicy STRICT = new AddressPolicy(false, List.of());

  private static InetAddress ip(String literal) {
    try {
      return InetAddress.getByName(literal); // literals only: never looked up
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  private static void assertKind(Kind kind, String... literals) {
    for (String literal : literals) {
      assertEquals(kind, AddressPolicy.classify(ip(literal)), literal);
      assertEquals(kind == Kind.PUBLIC ? null : kind, STRICT.refusal(ip(literal)), literal);
    }
  }

  @Test
  void classifiesIpv4SpecialPurposeBlocks() {
    assertKind(Kind.LOOPBACK, "127.0.0.1", "127.255.255.254", "127.1.2.3");
    assertKind(Kind.PRIVATE, "10.0.0.12", "10.255.255.255", "172.16.0.1", "172.31.255.255", "192.168.0.1",
        "192.168.255.255");
    assertKind(Kind.SHARED, "100.64.0.1", "100.127.255.255");
    assertKind(Kind.LINK_LOCAL, "169.254.169.254", "169.254.0.1");
    assertKind(Kind.MULTICAST, "224.0.0.1", "239.255.255.250");
    assertKind(Kind.UNSPECIFIED, "0.0.0.0", "0.1.2.3");
    assertKind(Kind.RESERVED, "240.0.0.1", "255.255.255.255", "192.0.0.8", "192.0.2.1", "198.51.100.7",
        "203.0.113.9", "198.18.0.1", "198.19.255.255", "192.88.99.1");
  }

  @Test
  void neighboursOfTheBlocksArePublic() {
    assertKind(Kind.PUBLIC, "8.8.8.8", "1.1.1.1", "9.255.255.255", "11.0.0.0", "172.15.255.255", "172.32.0.0",
        "192.167.255.255", "192.169.0.0", "100.63.255.255", "100.128.0.0", "169.253.255.255", "169.255.0.0",
        "126.255.255.255", "128.0.0.0", "223.255.255.255", "198.17.255.255", "198.20.0.0", "1.0.0.0");
  }

  @Test
  void classifiesIpv6SpecialPurposeBlocks() {
    assertKind(Kind.LOOPBACK, "::1");
    assertKind(Kind.UNSPECIFIED, "::");
    assertKind(Kind.PRIVATE, "fd00::1", "fc00::1", "fdff:ffff::1", "fec0::1", "64:ff9b:1::a00:1");
    assertKind(Kind.LINK_LOCAL, "fe80::1", "febf::1");
    assertKind(Kind.MULTICAST, "ff02::1", "ff05::1:3", "ff0e::1");
    assertKind(Kind.RESERVED, "2001:db8::1", "2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:2::1",
        "3fff::1", "100::1", "4000::1", "e000::1");
    assertKind(Kind.PUBLIC, "2606:4700:4700::1111", "2a00:1450:4001::200e", "2001:200::1");
  }

  @Test
  void judgesAnIpv6AddressByTheIpv4AddressItCarries() {
    Map<String, Kind> forms = Map.ofEntries(
        Map.entry("::ffff:127.0.0.1", Kind.LOOPBACK), // IPv4-mapped (the JDK reads it as IPv4)
        Map.entry("::ffff:0:7f00:1", Kind.LOOPBACK), // IPv4-translated
        Map.entry("::127.0.0.1", Kind.LOOPBACK), // IPv4-compatible
        Map.entry("64:ff9b::7f00:1", Kind.LOOPBACK), // NAT64 well-known prefix
        Map.entry("2002:7f00:1::1", Kind.LOOPBACK), // 6to4
        Map.entry("::ffff:10.0.0.12", Kind.PRIVATE),
        Map.entry("::10.0.0.12", Kind.PRIVATE),
        Map.entry("64:ff9b::c0a8:101", Kind.PRIVATE),
        Map.entry("2002:ac10:1::", Kind.PRIVATE),
        Map.entry("::ffff:169.254.169.254", Kind.LINK_LOCAL),
        Map.entry("::ffff:0:a9fe:a9fe", Kind.LINK_LOCAL),
        Map.entry("::169.254.169.254", Kind.LINK_LOCAL),
        Map.entry("64:ff9b::a9fe:a9fe", Kind.LINK_LOCAL),
        Map.entry("2002:a9fe:a9fe::1", Kind.LINK_LOCAL),
        Map.entry("::ffff:100.64.0.1", Kind.SHARED),
        Map.entry("::ffff:224.0.0.1", Kind.MULTICAST),
        Map.entry("::ffff:0.0.0.0", Kind.UNSPECIFIED),
        Map.entry("::0.0.0.2", Kind.UNSPECIFIED),
        Map.entry("64:ff9b::808:808", Kind.PUBLIC),
        Map.entry("2002:808:808::1", Kind.PUBLIC),
        Map.entry("::ffff:8.8.8.8", Kind.PUBLIC));
    forms.forEach((literal, kind) -> assertKind(kind, literal));
  }

  @Test
  void loopbackIsAllowedOnlyWhenTheSettingSaysSo() {
    AddressPolicy laptop = new AddressPolicy(true, List.of());
    for (String loopback : List.of("127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1", "64:ff9b::7f00:1")) {
      assertNull(laptop.refusal(ip(loopback)), loopback);
      assertEquals(Kind.LOOPBACK, STRICT.refusal(ip(loopback)), loopback);
    }
    assertEquals(Kind.PRIVATE, laptop.refusal(ip("10.0.0.12")), "loopback opens loopback only");
    assertEquals(Kind.LINK_LOCAL, laptop.refusal(ip("169.254.169.254")));
    assertEquals(Kind.UNSPECIFIED, laptop.refusal(ip("0.0.0.0")), "0.0.0.0 reaches the local host yet stays closed");
  }

  @Test
  void anAllowListedBlockOpensItsAddressesAndNoOthers() {
    AddressPolicy policy = new AddressPolicy(false, List.of(Cidr.parse("10.20.0.0/16"), Cidr.parse("fd00:1::/48"),
        Cidr.parse("127.0.0.2"), Cidr.parse("100.64.0.0/10"), Cidr.parse("192.0.2.0/24")));
    assertNull(policy.refusal(ip("10.20.3.4")));
    assertNull(policy.refusal(ip("::ffff:10.20.3.4")), "the mapped form of a listed address");
    assertNull(policy.refusal(ip("64:ff9b::a14:304")), "the NAT64 form of a listed address");
    assertNull(policy.refusal(ip("fd00:1::5")));
    assertNull(policy.refusal(ip("127.0.0.2")));
    assertNull(policy.refusal(ip("100.100.0.1")));
    assertNull(policy.refusal(ip("192.0.2.1")));
    assertEquals(Kind.PRIVATE, policy.refusal(ip("10.21.0.1")));
    assertEquals(Kind.PRIVATE, policy.refusal(ip("fd00:2::5")));
    assertEquals(Kind.LOOPBACK, policy.refusal(ip("127.0.0.1")));
    assertEquals(Kind.LOOPBACK, policy.refusal(ip("::1")));
  }

  @Test
  void linkLocalMulticastAndUnspecifiedStayRefusedInsideAnAllowListedBlock() {
    AddressPolicy everything = new AddressPolicy(true, List.of(Cidr.parse("0.0.0.0/0"), Cidr.parse("::/0")));
    for (String literal : List.of("169.254.169.254", "169.254.170.2", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe",
        "2002:a9fe:a9fe::", "fe80::1")) {
      assertEquals(Kind.LINK_LOCAL, everything.refusal(ip(literal)), literal);
    }
    assertEquals(Kind.METADATA, everything.refusal(ip("fd00:ec2::254")), "AWS's IPv6 metadata is unique local");
    assertEquals(Kind.METADATA, everything.refusal(ip("100.100.100.200")), "Alibaba's is in the shared block");
    assertEquals(Kind.METADATA, everything.refusal(ip("::ffff:100.100.100.200")));
    assertEquals(Kind.LINK_LOCAL, new AddressPolicy(false, List.of(Cidr.parse("169.0.0.0/8")))
        .refusal(ip("169.254.169.254")));
    assertEquals(Kind.MULTICAST, everything.refusal(ip("224.0.0.1")));
    assertEquals(Kind.MULTICAST, everything.refusal(ip("ff02::1")));
    assertEquals(Kind.UNSPECIFIED, everything.refusal(ip("0.0.0.0")));
    assertEquals(Kind.UNSPECIFIED, everything.refusal(ip("::")));
    assertNull(everything.refusal(ip("10.0.0.12")));
  }

  @Test
  void aHostIsRefusedWhenAnyOfItsAddressesIsAndTheReasonDoesNotShowANamesAddress() {
    AddressPolicy.Resolver dns = host -> switch (host) {
      case "hooks.example.com" -> new InetAddress[] {ip("93.184.215.14"), ip("2606:2800:21f:cb07:6820:80da:af6b:8b2c")};
      case "split.example.com" -> new InetAddress[] {ip("93.184.215.14"), ip("10.0.0.12")};
      case "metadata.example.com" -> new InetAddress[] {ip("169.254.169.254")};
      case "localhost" -> new InetAddress[] {ip("127.0.0.1"), ip("::1")};
      default -> throw new UnknownHostException(host);
    };
    Target ok = STRICT.target("hooks.example.com", dns);
    assertTrue(ok.allowed());
    assertEquals(ip("93.184.215.14"), ok.address(), "the first address is the one connected to");

    Target split = STRICT.target("split.example.com", dns);
    assertEquals(Target.Status.REFUSED, split.status());
    assertEquals(ip("10.0.0.12"), split.address());
    assertEquals("host split.example.com resolves to a private address, which webhooks may reach only when "
        + "delivery.webhook.allowed_cidrs lists it", split.reason());
    assertFalse(split.reason().contains("10.0.0.12"), "an internal name's address is not told to the tenant");

    assertTrue(STRICT.target("metadata.example.com", dns).reason().contains("link-local"));
    assertTrue(STRICT.target("localhost", dns).reason().startsWith("host localhost resolves to a loopback address"));
    assertTrue(new AddressPolicy(true, List.of()).target("localhost", dns).allowed());
    assertEquals(Target.Status.UNRESOLVED, STRICT.target("nowhere.example.com", dns).status());
  }

  @Test
  void aLiteralIsNamedInItsReasonAndBracketedIpv6IsRead() {
    Target v6 = STRICT.target("[::1]", AddressPolicy.Resolver.SYSTEM);
    assertEquals(Target.Status.REFUSED, v6.status());
    assertTrue(v6.reason().startsWith("0:0:0:0:0:0:0:1 is a loopback address"), v6.reason());
    Target metadata = STRICT.target("169.254.169.254", AddressPolicy.Resolver.SYSTEM);
    assertEquals("169.254.169.254 is a link-local address (where cloud metadata services answer), which webhooks may "
        + "never reach", metadata.reason());
    Target mapped = STRICT.target("[::ffff:10.0.0.12]", AddressPolicy.Resolver.SYSTEM);
    assertTrue(mapped.reason().contains("a private address"), mapped.reason());
  }

  @Test
  void eachLookupIsJudgedAgainSoARebindingHostIsRefusedTheSecondTime() {
    AtomicInteger lookups = new AtomicInteger();
    AddressPolicy.Resolver rebinding = host -> new InetAddress[] {
        lookups.getAndIncrement() == 0 ? ip("93.184.215.14") : ip("127.0.0.1")};
    assertTrue(STRICT.target("rebind.example.com", rebinding).allowed());
    Target second = STRICT.target("rebind.example.com", rebinding);
    assertEquals(Target.Status.REFUSED, second.status());
    assertEquals(ip("127.0.0.1"), second.address());
  }

  @Test
  void cidrsAreParsedWithTheirHostBitsCleared() {
    assertEquals("10.0.0.0/8", Cidr.parse("10.1.2.3/8").toString());
    assertEquals("127.0.0.2/32", Cidr.parse("127.0.0.2").toString());
    assertEquals("fd00:1:0:0:0:0:0:0/48", Cidr.parse("fd00:1::ffff/48").toString());
    assertTrue(Cidr.parse("0.0.0.0/0").contains(ip("8.8.8.8")));
    assertFalse(Cidr.parse("0.0.0.0/0").contains(ip("2606:4700::1")), "a block holds its own family only");
    assertTrue(Cidr.parse("172.16.0.0/12").contains(ip("172.31.255.255")));
    assertFalse(Cidr.parse("172.16.0.0/12").contains(ip("172.32.0.0")));
    for (String bad : List.of("10.0.0.0/33", "fd00::/129", "10.0.0/8", "256.0.0.0/8", "010.0.0.0/8", "example.com",
        "10.0.0.0/", "10.0.0.0/-1", "::ffff:10.0.0.0/104", "", "fd00::1::2/64")) {
      assertThrows(IllegalArgumentException.class, () -> Cidr.parse(bad), bad);
    }
  }
}
