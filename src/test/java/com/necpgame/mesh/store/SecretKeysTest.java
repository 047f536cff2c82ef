package com.necpgame.mesh.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.necpgame.mesh.config.ConfigException;
import com.necpgame.mesh.config.ConfigLoader;
import com.necpgame.mesh.config.MeshConfig;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretKeysTest {

  @TempDir
  Path dir;

  /** A laptop (embedded PostgreSQL, no key configured): a key made once, kept in the data directory for its owner. */
  @Test
  void aLaptopMakesItsKeyOnceInTheDataDirectory() throws Exception {
    MeshConfig laptop = ConfigLoader.load(new JsonObject().put("data_dir", dir.toString()), Map.of());
    SecretBox first = SecretKeys.load(laptop);
    Path file = dir.resolve("secrets.key");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    String sealed = first.seal("whsec_x", "sub_1");
    SecretBox again = SecretKeys.load(laptop);
    assertEquals("whsec_x", again.open(sealed, "sub_1"), "the same key after a restart");

    // configured keys later: the data directory's key still opens what it sealed; new values use the configured one
    String k9 = Base64.getEncoder().encodeToString(SecretBoxTest.key(9));
    SecretBox configured = SecretKeys.load(ConfigLoader.load(new JsonObject().put("data_dir", dir.toString()),
        Map.of("MESH_SECRETS_KEY", "k9:" + k9)));
    assertEquals("k9", configured.activeKey());
    assertEquals("whsec_x", configured.open(sealed, "sub_1"));
  }

  /** The production path (an external database) does not start without a configured key: fail closed. */
  @Test
  void anExternalDatabaseWithoutAKeyIsRefused() {
    ConfigException refused = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
        () -> ConfigLoader.load(new JsonObject().put("data_dir", dir.toString()),
            Map.of("MESH_DATABASE_URL", "postgresql://mesh:pw@db:5432/mesh")));
    assertTrue(refused.getMessage().contains("security.secrets.keys"), refused.getMessage());
    ConfigException bad = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
        () -> ConfigLoader.load(new JsonObject(), Map.of("MESH_SECRETS_KEY", "k1:c2hvcnQ=")));
    assertTrue(bad.getMessage().contains("security.secrets.key"), bad.getMessage());
    assertTrue(!bad.getMessage().contains("c2hvcnQ"), "no key material in the message: " + bad.getMessage());
    ConfigException unknown = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
        () -> ConfigLoader.load(new JsonObject().put("security", new JsonObject().put("secrets", new JsonObject()
            .put("keys", new JsonObject().put("a", Base64.getEncoder().encodeToString(new byte[32]))
                .put("b", Base64.getEncoder().encodeToString(new byte[32]))))), Map.of()));
    assertTrue(unknown.getMessage().contains("security.secrets.active_key"), unknown.getMessage());
  }
}
