package com.necpgame.mesh.market;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.UUID;

/**
 * Order ids that name their owner: {@code ord.<commodity>.<uuid>} where the uuid's first 64 bits are random (version
 * 8, custom) and its last 62 are a SHA-256 hash of the owner and those random bits. The gateway can then answer a
 * cancel at once and without asking anyone: an order id not made for the caller is not the caller's order (404), and
 * the market, which checks the {@code owner} of a cancel against the order's, never sees the attempt. Nothing secret
 * is involved: a caller cannot choose its principal's name, so it cannot make another's id hash to its own.
 */
public final class OrderIds {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final long VERSION_MASK = 0xF000L;
  private static final long VERSION_8 = 0x8000L;
  private static final long VARIANT_MASK = 0xC000_0000_0000_0000L;
  private static final long VARIANT_RFC = 0x8000_0000_0000_0000L;

  private OrderIds() {}

  public static String newId(String commodity, String owner) {
    long high = (RANDOM.nextLong() & ~VERSION_MASK) | VERSION_8;
    return "ord." + commodity + "." + new UUID(high, tag(owner, high));
  }

  /** True when {@code uuid} (the last part of an order id) was made by {@link #newId} for {@code owner}. */
  public static boolean madeFor(String uuid, String owner) {
    UUID parsed;
    try {
      parsed = UUID.fromString(uuid);
    } catch (IllegalArgumentException e) {
      return false;
    }
    return (parsed.getMostSignificantBits() & VERSION_MASK) == VERSION_8
        && parsed.getLeastSignificantBits() == tag(owner, parsed.getMostSignificantBits());
  }

  private static long tag(String owner, long high) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update("necp-mesh-order\0".getBytes(StandardCharsets.UTF_8));
      sha.update(owner.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(ByteBuffer.allocate(Long.BYTES).putLong(high).array());
      long hash = ByteBuffer.wrap(sha.digest()).getLong();
      return (hash & ~VARIANT_MASK) | VARIANT_RFC;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }
}
