package io.outpost.store.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.protocol.ConfigMapV1;
import io.outpost.store.Change;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.SecretV1;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Base64;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Secrets are encrypted in the store's files; everything else works as before. */
class SecretsAtRestTest {
  private static final String VALUE = "correct-horse-battery-staple";
  @TempDir Path dir;

  private static Change secret(long seq, String rv) {
    return Changes.put(1, seq, new ObjectRef("Secret", "ns", "db", "s1", rv), new SecretV1("Opaque",
        Map.of("password", Base64.getEncoder().encodeToString(VALUE.getBytes(StandardCharsets.UTF_8)))));
  }

  /** A resync opens the store's first epoch, as a new bridge epoch does. */
  private static void begin(XodusEdgeStore store) {
    store.apply(Changes.begin(1, 0));
  }

  private static boolean filesContain(Path directory, String text) throws IOException {
    byte[] needle = text.getBytes(StandardCharsets.UTF_8);
    try (Stream<Path> files = Files.walk(directory)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        String content = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
        if (content.contains(new String(needle, StandardCharsets.ISO_8859_1))) {
          return true;
        }
      }
    }
    return false;
  }

  @Test
  void secretValuesNeverReachTheStoreFilesInTheClearAndReadBackAfterAReopen() throws Exception {
    Path storeDir = dir.resolve("store");
    Path key = dir.resolve("identity/store.key");
    String encoded = Base64.getEncoder().encodeToString(VALUE.getBytes(StandardCharsets.UTF_8));
    try (XodusEdgeStore store = new XodusEdgeStore(storeDir, 100, key)) {
      begin(store);
      assertThat(store.apply(secret(1, "1")).outcome()).isEqualTo(io.outpost.store.ApplyResult.Outcome.APPLIED);
      store.apply(Changes.put(1, 2, new ObjectRef("ConfigMap", "ns", "cfg", "c1", "1"),
          new ConfigMapV1(Map.of("plain", "visible-config"), null)));
      assertThat(store.secret("ns", "db")).get().satisfies(s -> assertThat(s.text("password")).isEqualTo(VALUE));
      assertThat(store.held()).extracting(ObjectRef::name).containsExactlyInAnyOrder("db", "cfg");
    }

    assertThat(filesContain(storeDir, encoded)).as("base64 value in the store files").isFalse();
    assertThat(filesContain(storeDir, VALUE)).as("plain value in the store files").isFalse();
    assertThat(filesContain(storeDir, "visible-config")).as("ConfigMaps are not encrypted").isTrue();
    assertThat(Files.getPosixFilePermissions(key)).containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ,
        PosixFilePermission.OWNER_WRITE);

    try (XodusEdgeStore reopened = new XodusEdgeStore(storeDir, 100, key)) {
      assertThat(reopened.secret("ns", "db")).get().satisfies(s -> assertThat(s.text("password"))
          .isEqualTo(VALUE));
      assertThat(reopened.apply(secret(3, "1")).outcome()).as("stale check reads the sealed value")
          .isEqualTo(io.outpost.store.ApplyResult.Outcome.STALE);
    }
  }

  @Test
  void withAnotherKeyTheSecretCountsAsNotHeldUntilTheCloudSendsItAgain() {
    Path storeDir = dir.resolve("store");
    try (XodusEdgeStore store = new XodusEdgeStore(storeDir, 100, dir.resolve("k1"))) {
      begin(store);
      assertThat(store.apply(secret(1, "1")).outcome()).isEqualTo(io.outpost.store.ApplyResult.Outcome.APPLIED);
    }
    try (XodusEdgeStore other = new XodusEdgeStore(storeDir, 100, dir.resolve("k2"))) {
      // The key file was lost: the Secret counts as not held (the next resync brings it again), nothing fails.
      assertThat(other.secret("ns", "db")).isEmpty();
      assertThat(other.held()).isEmpty();
      assertThat(other.apply(secret(2, "1")).outcome()).as("the resync's copy overwrites it")
          .isEqualTo(io.outpost.store.ApplyResult.Outcome.APPLIED);
      assertThat(other.secret("ns", "db")).get().satisfies(s -> assertThat(s.text("password")).isEqualTo(VALUE));
    }
  }

  @Test
  void aSealedValueIsBoundToItsKeyAndPlainValuesFromBeforeStillRead() {
    SecretSealer sealer = SecretSealer.open(dir.resolve("key"));
    byte[] sealed = sealer.seal("Secret/ns/a", "{\"x\":1}".getBytes(StandardCharsets.UTF_8));

    assertThat(new String(sealer.open("Secret/ns/a", sealed), StandardCharsets.UTF_8)).isEqualTo("{\"x\":1}");
    assertThatThrownBy(() -> sealer.open("Secret/ns/b", sealed)).hasMessageContaining("cannot be decrypted");
    sealed[sealed.length - 1] ^= 1;
    assertThatThrownBy(() -> sealer.open("Secret/ns/a", sealed)).hasMessageContaining("cannot be decrypted");
    byte[] legacy = "{\"plain\":true}".getBytes(StandardCharsets.UTF_8);
    assertThat(sealer.open("Secret/ns/a", legacy)).isEqualTo(legacy);
  }
}
