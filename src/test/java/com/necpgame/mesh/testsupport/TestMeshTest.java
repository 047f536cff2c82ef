package com.necpgame.mesh.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The ports tests start their servers on: below the kernel's ephemeral range, in this JVM's slice. */
class TestMeshTest {

  @Test
  @EnabledOnOs(OS.LINUX)
  void freePortsComeFromThisJvmsSliceBelowTheEphemeralRange() throws Exception {
    int[] ephemeral = TestMesh.ephemeralRange();
    assertNotNull(ephemeral, "the ephemeral range is read from /proc");
    int ephemeralFrom = ephemeral[0];
    assertTrue(ephemeralFrom >= 1024, "the ephemeral range read from /proc starts at a port, got " + ephemeralFrom);
    int fork = Integer.getInteger("mesh.test.fork", 0);
    int from = TestMesh.SLICES_FROM + fork * TestMesh.SLICE;
    Set<Integer> ports = new HashSet<>();
    for (int i = 0; i < 20; i++) {
      int port = TestMesh.freePort();
      // a port in the ephemeral range may be taken by any outgoing connection before the test binds it
      assertTrue(port >= from && port < from + TestMesh.SLICE && port < ephemeralFrom, "port " + port + " outside the slice");
      ports.add(port);
    }
    assertEquals(20, ports.size(), "never the same port twice in one JVM");
  }
}
