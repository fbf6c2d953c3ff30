package io.outpost.store.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.outpost.protocol.ConfigMapV1;
import io.outpost.protocol.DeviceModelV1;
import io.outpost.protocol.DeviceStatusReport;
import io.outpost.protocol.EventReport;
import io.outpost.protocol.NodeV1;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.SecretV1;
import io.outpost.store.OutboxEntry;
import io.outpost.store.StoredDevice;
import io.outpost.store.StoredPod;
import io.outpost.store.SyncPosition;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import jetbrains.exodus.bindings.LongBinding;
import jetbrains.exodus.bindings.StringBinding;
import jetbrains.exodus.env.Cursor;
import jetbrains.exodus.env.Environment;
import jetbrains.exodus.env.EnvironmentConfig;
import jetbrains.exodus.env.Environments;
import jetbrains.exodus.env.Store;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store written by the release before the store had a schema of its own ({@code stores/v1-store.tar.gz}, see the
 * README beside it) is migrated on first open: everything it returned then, it returns now.
 */
class StoreMigrationTest {
  private static final ObjectMapper JSON = JsonMapper.builder()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false).build();
  private static final int MAX_EVENTS = 4;

  @TempDir Path dir;
  private Path storeDir;
  private Path keyFile;
  private JsonNode expected;

  @BeforeEach
  void unpackTheV1Store() throws Exception {
    Path archive = dir.resolve("v1-store.tar.gz");
    try (InputStream in = StoreMigrationTest.class.getResourceAsStream("/stores/v1-store.tar.gz")) {
      Files.copy(in, archive);
    }
    Process tar = new ProcessBuilder("tar", "-xzf", archive.toString(), "-C", dir.toString()).inheritIO().start();
    assertThat(tar.waitFor()).isZero();
    storeDir = dir.resolve("store");
    keyFile = dir.resolve("identity/store.key");
    try (InputStream in = StoreMigrationTest.class.getResourceAsStream("/stores/v1-store-readback.json")) {
      expected = JSON.readTree(in);
    }
  }

  private XodusEdgeStore open() {
    return new XodusEdgeStore(storeDir, MAX_EVENTS, keyFile);
  }

  @Test
  void everyObjectThePositionEveryOutboxEntryAndTheSealedSecretsSurviveTheMigration() throws Exception {
    try (XodusEdgeStore store = open()) {
      assertThat(store.schemaVersion()).isEqualTo(Schema.CURRENT);
      assertReadsBackAsBefore(store);
    }
    assertEveryValueIsInTheStoreEncoding();
    assertThat(filesContain(storeDir, "c2VjcmV0LXBhc3N3b3Jk")).as("a Secret value in the clear").isFalse();
    assertThat(filesContain(storeDir, "secret-password")).as("a decoded Secret value in the clear").isFalse();
  }

  @Test
  void openingAMigratedStoreAgainChangesNothing() throws Exception {
    try (XodusEdgeStore store = open()) {
      assertThat(store.schemaVersion()).isEqualTo(Schema.CURRENT);
    }
    Map<String, String> once = rawDump();
    try (XodusEdgeStore store = open()) {
      assertThat(store.schemaVersion()).isEqualTo(Schema.CURRENT);
      assertReadsBackAsBefore(store);
    }
    // Secrets are sealed with a fresh nonce each time: a second migration would show in their bytes.
    assertThat(rawDump()).isEqualTo(once);
  }

  @Test
  void aMigrationInterruptedBeforeItsCommitLeavesSchemaOneIntactAndRunsAgain() throws Exception {
    Map<String, String> v1 = rawDump();
    Environment env = Environments.newInstance(storeDir.toFile(), new EnvironmentConfig().setLogDurableWrite(true));
    try {
      StoreCodec codec = new StoreCodec();
      SecretSealer sealer = SecretSealer.open(keyFile);
      jetbrains.exodus.env.Transaction txn = env.beginExclusiveTransaction();
      Stores stores = Stores.open(env, txn);
      Records records = new Records(stores.meta());
      V1Migration.Counts counts = new V1Migration(codec, new Applier(codec, stores.objects(),
          stores.pendingDeletes(), records, sealer), sealer).migrate(txn, stores);
      assertThat(counts.migrated()).as("rewritten in the transaction").isGreaterThan(20);
      txn.abort(); // what a kill -9 before the commit leaves: nothing of it
    } finally {
      env.close();
    }
    assertThat(rawDump()).isEqualTo(v1);
    try (XodusEdgeStore store = open()) {
      assertThat(store.schemaVersion()).isEqualTo(Schema.CURRENT);
      assertReadsBackAsBefore(store);
    }
  }

  @Test
  void aStoreOfANewerSchemaIsRefusedWithAClearReasonAndLeftUntouched() throws Exception {
    try (XodusEdgeStore store = open()) {
      assertThat(store.schemaVersion()).isEqualTo(Schema.CURRENT);
    }
    Environment env = Environments.newInstance(storeDir.toFile(), new EnvironmentConfig().setLogDurableWrite(true));
    try {
      env.executeInTransaction(txn -> new Records(Stores.open(env, txn).meta()).writeLong(txn, Schema.KEY,
          Schema.CURRENT + 1));
    } finally {
      env.close();
    }
    Map<String, byte[]> files = files(storeDir);
    Map<String, String> before = rawDump();

    assertThatThrownBy(this::open).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("schema version " + (Schema.CURRENT + 1))
        .hasMessageContaining("newer than this release reads (" + Schema.CURRENT + ")")
        .hasMessageContaining("not opened or changed");

    assertThat(files(storeDir)).as("the store's files, byte for byte").containsExactlyInAnyOrderEntriesOf(files);
    assertThat(rawDump()).isEqualTo(before);
  }

  @Test
  void aNewStoreStartsAtTheCurrentSchema() {
    try (XodusEdgeStore store = new XodusEdgeStore(dir.resolve("fresh"))) {
      assertThat(store.schemaVersion()).isEqualTo(Schema.CURRENT);
      assertThat(store.position()).isEqualTo(SyncPosition.NONE);
    }
  }

  private void assertReadsBackAsBefore(XodusEdgeStore store) throws IOException {
    assertThat(store.position()).isEqualTo(JSON.treeToValue(expected.get("position"), SyncPosition.class));
    assertThat(store.held()).containsExactlyElementsOf(list(expected.get("held"), ObjectRef.class));
    assertThat(store.pods()).containsExactlyElementsOf(list(expected.get("pods"), StoredPod.class));
    assertThat(store.devices()).containsExactlyElementsOf(list(expected.get("devices"), StoredDevice.class));
    assertThat(store.node("edge-1")).contains(JSON.treeToValue(expected.get("node"), NodeV1.class));
    assertThat(store.configMap("shop", "web-config"))
        .contains(JSON.treeToValue(expected.at("/configMaps/shop~1web-config"), ConfigMapV1.class));
    assertThat(store.configMap("shop", "old-config")).as("deleted before the store was written").isEmpty();
    assertThat(expected.get("secrets").size()).isEqualTo(2);
    for (String name : List.of("db", "registry")) {
      assertThat(store.secret("shop", name)).get().usingRecursiveComparison()
          .isEqualTo(JSON.treeToValue(expected.at("/secrets/shop~1" + name), SecretV1.class));
    }
    for (String name : List.of("thermometer", "valve")) {
      assertThat(store.deviceModel("plant", name))
          .contains(JSON.treeToValue(expected.at("/deviceModels/plant~1" + name), DeviceModelV1.class));
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = expected.get("lastStatuses").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> last = it.next();
      assertThat(store.podStatuses().last(last.getKey()))
          .contains(JSON.treeToValue(last.getValue(), PodStatusReport.class));
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = expected.get("lastDeviceStatuses").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> last = it.next();
      assertThat(store.deviceStatuses().last(last.getKey()))
          .contains(JSON.treeToValue(last.getValue(), DeviceStatusReport.class));
    }
    assertThat(store.podStatuses().pending(100)).containsExactlyElementsOf(
        pending(expected.get("pendingStatuses"), "uid", "version", PodStatusReport.class));
    assertThat(store.deviceStatuses().pending(100)).containsExactlyElementsOf(
        pending(expected.get("pendingDeviceStatuses"), "uid", "version", DeviceStatusReport.class));
    // Schema 1 events had no revision: each starts at 1.
    assertThat(store.events().pending(100)).containsExactlyElementsOf(
        pending(expected.get("pendingEvents"), "sequence", null, EventReport.class));
    assertThat(store.events().dropped()).isEqualTo(expected.get("eventsDropped").asLong());
    assertThat(store.podStatuses().depth()).isEqualTo(expected.get("pendingStatuses").size());
    assertThat(store.events().depth()).isEqualTo(expected.get("pendingEvents").size());
  }

  private static <T> List<T> list(JsonNode array, Class<T> type) throws IOException {
    List<T> values = new ArrayList<>();
    for (JsonNode node : array) {
      values.add(JSON.treeToValue(node, type));
    }
    assertThat(values).isNotEmpty();
    return values;
  }

  /** Schema 1's pending entries (uid or sequence, version, report) as schema 2's outbox entries. */
  private static <T> List<OutboxEntry<T>> pending(JsonNode array, String key, String version, Class<T> type)
      throws IOException {
    List<OutboxEntry<T>> entries = new ArrayList<>();
    for (JsonNode node : array) {
      JsonNode report = node.has("report") ? node.get("report") : node.get("event");
      entries.add(new OutboxEntry<>(node.get(key).asText(), version == null ? 1 : node.get(version).asLong(),
          JSON.treeToValue(report, type)));
    }
    assertThat(entries).isNotEmpty();
    return entries;
  }

  /** Every object is in the store's encoding (Secrets sealed around it), every report too. */
  private void assertEveryValueIsInTheStoreEncoding() {
    SecretSealer sealer = SecretSealer.open(keyFile);
    Environment env = Environments.newInstance(storeDir.toFile(), new EnvironmentConfig());
    try {
      env.executeInReadonlyTransaction(txn -> {
        Stores stores = Stores.open(env, txn);
        int objects = 0;
        try (Cursor cursor = stores.objects().openCursor(txn)) {
          while (cursor.getNext()) {
            String key = StringBinding.entryToString(cursor.getKey());
            byte[] value = Records.bytes(cursor.getValue());
            if (key.startsWith("Secret/")) {
              assertThat(SecretSealer.sealed(value)).as(key + " sealed").isTrue();
              value = sealer.open(key, value);
            }
            assertThat(StoreCodec.framed(value)).as(key).isTrue();
            assertThat(value[1]).isEqualTo((byte) Schema.CURRENT);
            objects++;
          }
        }
        assertThat(objects).isEqualTo(11);
        for (Store reports : List.of(stores.lastStatus(), stores.lastDeviceStatus())) {
          try (Cursor cursor = reports.openCursor(txn)) {
            while (cursor.getNext()) {
              assertThat(StoreCodec.framed(Records.bytes(cursor.getValue()))).isTrue();
            }
          }
        }
        for (Store versioned : List.of(stores.statusOutbox(), stores.deviceOutbox(), stores.events())) {
          try (Cursor cursor = versioned.openCursor(txn)) {
            while (cursor.getNext()) {
              byte[] value = Records.bytes(cursor.getValue());
              assertThat(StoreCodec.framed(Arrays.copyOfRange(value, 8, value.length))).isTrue();
            }
          }
        }
        assertThat(LongBinding.entryToLong(stores.meta().get(txn, StringBinding.stringToEntry(Schema.KEY))))
            .isEqualTo(Schema.CURRENT);
      });
    } finally {
      env.close();
    }
  }

  /** Every key and value of every store, hex-encoded, read without the edge store's code. */
  private Map<String, String> rawDump() {
    Environment env = Environments.newInstance(storeDir.toFile(), new EnvironmentConfig().setGcEnabled(false));
    try {
      return env.computeInReadonlyTransaction(txn -> {
        Map<String, String> dump = new TreeMap<>();
        for (String name : env.getAllStoreNames(txn)) {
          Store store = env.openStore(name, jetbrains.exodus.env.StoreConfig.USE_EXISTING, txn);
          try (Cursor cursor = store.openCursor(txn)) {
            while (cursor.getNext()) {
              dump.put(name + "/" + hex(Records.bytes(cursor.getKey())), hex(Records.bytes(cursor.getValue())));
            }
          }
        }
        return dump;
      });
    } finally {
      env.close();
    }
  }

  private static String hex(byte[] bytes) {
    return java.util.HexFormat.of().formatHex(bytes);
  }

  private static Map<String, byte[]> files(Path directory) throws IOException {
    Map<String, byte[]> files = new TreeMap<>();
    try (Stream<Path> all = Files.list(directory)) {
      for (Path file : all.filter(f -> f.getFileName().toString().endsWith(".xd")).toList()) {
        files.put(file.getFileName().toString(), Files.readAllBytes(file));
      }
    }
    return files;
  }

  private static boolean filesContain(Path directory, String text) throws IOException {
    String needle = new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    try (Stream<Path> files = Files.walk(directory)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        if (new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1).contains(needle)) {
          return true;
        }
      }
    }
    return false;
  }
}
