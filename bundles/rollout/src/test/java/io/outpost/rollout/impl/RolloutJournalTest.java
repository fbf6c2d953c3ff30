package io.outpost.rollout.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.sync.ArtifactChannel.Progress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node's record of its last gateway target: survives a restart, replaced whole, unreadable means unknown. */
class RolloutJournalTest {
  @TempDir
  Path dir;

  @Test
  void theLastOutcomeIsReadBackAfterARestartAndReplacedWhole() {
    Path file = dir.resolve("rollout.properties");
    assertThat(new RolloutJournal(file).last()).isEmpty();
    new RolloutJournal(file).record(new Progress("r1", "io.outpost.console", "0.2.0", "ab".repeat(32), "installing",
        null, 0, 0));
    new RolloutJournal(file).record(new Progress("r1", "io.outpost.console", "0.2.0", "ab".repeat(32),
        "rolled_back", "bundle did not resolve: missing io.outpost.nowhere", 0, 0));
    assertThat(new RolloutJournal(file).last()).hasValueSatisfying(p -> {
      assertThat(p.state()).isEqualTo("rolled_back");
      assertThat(p.reason()).contains("io.outpost.nowhere");
      assertThat(p.sha256()).isEqualTo("ab".repeat(32));
      assertThat(p.rollout()).isEqualTo("r1");
    });
    assertThat(dir.resolve("rollout.properties.tmp")).doesNotExist();
  }

  @Test
  void aRecordWithoutTargetOrStateCountsAsNone() throws Exception {
    Path file = dir.resolve("rollout.properties");
    Files.writeString(file, "name=io.outpost.console\n");
    assertThat(new RolloutJournal(file).last()).isEmpty();
    Files.write(file, new byte[] {'s', 'h', 'a', '2', '5', '6', '=', '\\', 'u', 'z'}); // malformed escape
    assertThat(new RolloutJournal(file).last()).isEmpty();
  }
}
