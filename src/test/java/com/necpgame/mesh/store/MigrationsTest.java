package com.necpgame.mesh.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MigrationsTest {

  @TempDir
  Path dir;

  @Test
  void indexListsEveryMigrationFileInVersionOrder() throws Exception {
    List<String> listed = Migrations.load(Migrations.class.getClassLoader()).stream()
        .map(Migrations.Migration::file).toList();
    try (Stream<Path> files = Files.list(Path.of("src/main/resources/db"))) {
      List<String> present = files.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith("V") && n.endsWith(".sql"))
          .sorted(Comparator.comparingInt(n -> Integer.parseInt(n.substring(1, n.indexOf("__")))))
          .toList();
      assertEquals(present, listed, "src/main/resources/db/migrations.txt must list every V*.sql file, in order");
    }
  }

  @Test
  void rejectsAnIndexOutOfVersionOrder() throws Exception {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Migrations.load(resources("V2__b.sql\nV1__a.sql\n", "V1__a.sql", "V2__b.sql")));
    assertTrue(e.getMessage().contains("V1__a.sql does not come after V2__b.sql"), e.getMessage());
  }

  @Test
  void rejectsAFileNotNamedByTheConvention() throws Exception {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Migrations.load(resources("V1_a.sql\n", "V1_a.sql")));
    assertTrue(e.getMessage().contains("\"V1_a.sql\" is not named V<version>__<name>.sql"), e.getMessage());
  }

  @Test
  void namesAListedFileThatIsMissing() throws Exception {
    IOException e = assertThrows(IOException.class, () -> Migrations.load(resources("V1__gone.sql\n")));
    assertTrue(e.getMessage().contains("db/V1__gone.sql"), e.getMessage());
  }

  @Test
  void checksumIgnoresLineEndings() {
    assertEquals(Migrations.checksum("CREATE TABLE a (x INT);\nSELECT 1;\n"),
        Migrations.checksum("CREATE TABLE a (x INT);\r\nSELECT 1;\r\n"));
  }

  /** A class loader that sees only {@code db/migrations.txt} with this content and these (trivial) files. */
  private ClassLoader resources(String index, String... files) throws IOException {
    Path db = Files.createDirectories(dir.resolve("db"));
    Files.writeString(db.resolve("migrations.txt"), index);
    for (String file : files) {
      Files.writeString(db.resolve(file), "SELECT 1;\n");
    }
    return new URLClassLoader(new java.net.URL[] {dir.toUri().toURL()}, null);
  }
}
