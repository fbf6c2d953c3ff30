package io.outpost.store.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.store.StoredPod;
import io.outpost.store.SyncPosition;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the process migrating a store: whenever it lands, the next start finds the store whole (still schema 1
 * and migrates it again, or migrated) and it reads back every pod and status.
 */
class MigrationCrashTest {
  private static final int PODS = 3000;

  @TempDir Path dir;

  @Test
  void aMigrationKilledWithSigkillLosesNothingAndTheNextStartFinishesIt() throws Exception {
    Path store = dir.resolve("store");
    V1Stores.write(store, PODS);
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), OpenStoreMain.class.getName(), store.toString())
        .redirectErrorStream(true).start();
    boolean killedWhileMigrating = false;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
        StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        if (line.contains("migrating it to " + Schema.CURRENT)) {
          child.destroyForcibly(); // SIGKILL: no shutdown hook, no Xodus close
          killedWhileMigrating = true;
          break;
        }
      }
    } finally {
      child.destroyForcibly();
      assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(killedWhileMigrating).as("the child started migrating before it was killed").isTrue();

    try (XodusEdgeStore reopened = new XodusEdgeStore(store)) {
      assertThat(reopened.schemaVersion()).isEqualTo(Schema.CURRENT);
      assertThat(reopened.position()).isEqualTo(new SyncPosition(V1Stores.EPOCH, PODS));
      List<StoredPod> pods = reopened.pods();
      assertThat(pods).hasSize(PODS);
      for (StoredPod pod : pods) {
        int i = Integer.parseInt(pod.ref().name().substring(1));
        assertThat(pod.ref()).isEqualTo(V1Stores.ref(i));
        assertThat(pod.pod()).isEqualTo(V1Stores.pod(i));
        assertThat(reopened.podStatuses().last(pod.ref().uid())).contains(V1Stores.status(i));
      }
    }
  }
}
