package com.necpgame.mesh.store;

import com.necpgame.mesh.config.MeshConfig;
import com.necpgame.mesh.config.SecretsConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link SecretBox} of a process: the keys of {@code security.secrets}, or, with none configured (allowed only on
 * the embedded database), a key of the data directory's own, made once and kept in {@value #FILE} (mode 0600) as
 * {@code <id>:<base64>}. A data directory's key that exists beside configured keys still opens what it sealed, so a
 * laptop's subscriptions move to configured keys at the next start.
 */
public final class SecretKeys {

  static final String FILE = "secrets.key";
  static final String LOCAL_ID = "local";
  private static final Logger LOG = LoggerFactory.getLogger(SecretKeys.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  private SecretKeys() {}

  /** Blocking (file I/O): call it at start-up. */
  public static SecretBox load(MeshConfig config) throws IOException {
    SecretsConfig configured = config.secrets();
    Path file = config.dataDir().resolve(FILE);
    Map<String, byte[]> keys = new LinkedHashMap<>();
    if (Files.exists(file)) {
      String[] line = Files.readString(file).trim().split(":", 2);
      byte[] key = line.length == 2 ? SecretsConfig.decode(line[1]) : null;
      if (key == null) {
        throw new IllegalStateException(file + " is not <key id>:<base64 of 32 bytes>; restore it, or configure "
            + "security.secrets.keys");
      }
      keys.put(line[0], key);
    } else if (configured.generated()) {
      byte[] key = new byte[SecretsConfig.KEY_BYTES];
      RANDOM.nextBytes(key);
      Files.createDirectories(config.dataDir());
      EmbeddedDatabase.writeSecret(file, LOCAL_ID + ":" + Base64.getEncoder().encodeToString(key));
      keys.put(LOCAL_ID, key);
      LOG.info("made a key for the secrets stored in PostgreSQL in {} (mode 0600); keep it with the database, or "
          + "configure security.secrets.keys", file);
    }
    keys.putAll(configured.keys());
    String active = configured.generated() ? keys.keySet().iterator().next() : configured.activeKey();
    return new SecretBox(keys, active);
  }
}
