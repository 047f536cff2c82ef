package com.necpgame.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MeshMainTest {

  @Test
  void configFileIsTakenFromConfOrConfig() {
    assertEquals(Optional.empty(), MeshMain.configFile(new String[0]));
    assertEquals(Optional.of(Path.of("a.json")), MeshMain.configFile(new String[] {"-conf", "a.json"}));
    assertEquals(Optional.of(Path.of("b.json")), MeshMain.configFile(new String[] {"--config", "b.json"}));
    assertEquals(Optional.of(Path.of("c.json")), MeshMain.configFile(new String[] {"--config=c.json"}));
  }

  @Test
  void anythingElseOnTheCommandLineIsRefusedWithTheUsage() {
    String message = assertThrows(IllegalArgumentException.class,
        () -> MeshMain.configFile(new String[] {"--conf", "x.json"})).getMessage();
    assertTrue(message.contains("unexpected argument \"--conf\""), message);
    assertTrue(message.contains("usage:"), message);
    assertThrows(IllegalArgumentException.class, () -> MeshMain.configFile(new String[] {"-conf"}));
  }
}
