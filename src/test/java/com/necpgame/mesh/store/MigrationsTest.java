package com.necpgame.mesh.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class MigrationsTest {

  @Test
  void everyMigrationFileIsListedInTheIndexInVersionOrder() throws Exception {
    List<String> listed = Migrations.load(Migrations.INDEX).stream().map(Migrations.Migration::file).toList();
    try (Stream<Path> files = Files.list(Path.of("src/main/resources/db"))) {
      List<String> present = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".sql")).sorted(
          java.util.Comparator.comparingInt(n -> Integer.parseInt(n.substring(1, n.indexOf("__"))))).toList();
      assertEquals(present, listed);
    }
  }
}
