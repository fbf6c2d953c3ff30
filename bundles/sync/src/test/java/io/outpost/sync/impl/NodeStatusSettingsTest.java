package io.outpost.sync.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The kubelet's syntax for thresholds and reservations; a wrong value names its key. */
class NodeStatusSettingsTest {
  private static final Path VOLUMES = Path.of("/var/lib/outpost/volumes");

  @Test
  void theDefaultsAreTheKubeletsHardThresholdsWithoutInodesAndNothingReserved() {
    NodeStatusSettings settings = NodeStatusSettings.defaults(VOLUMES);
    assertThat(settings.thresholds()).containsOnlyKeys(NodeStatusSettings.Signal.MEMORY_AVAILABLE,
        NodeStatusSettings.Signal.NODEFS_AVAILABLE, NodeStatusSettings.Signal.IMAGEFS_AVAILABLE);
    assertThat(settings.thresholds().get(NodeStatusSettings.Signal.MEMORY_AVAILABLE).amount(1L << 40))
        .isEqualTo(100L * 1024 * 1024);
    assertThat(settings.thresholds().get(NodeStatusSettings.Signal.NODEFS_AVAILABLE).amount(1000)).isEqualTo(100);
    assertThat(settings.thresholds().get(NodeStatusSettings.Signal.IMAGEFS_AVAILABLE).amount(1000)).isEqualTo(150);
    assertThat(settings.reservedMilliCpu() + settings.reservedMemory() + settings.reservedStorage()).isZero();
    assertThat(settings.transitionPeriod()).isEqualTo(Duration.ofMinutes(5));
    assertThat(settings.imagefs()).isEqualTo(Path.of("/var/lib/containers/storage"));
  }

  @Test
  void systemAndKubeReservedAddUp() {
    NodeStatusSettings settings = NodeStatusSettings.from("memory.available<1Gi", "cpu=0.5,memory=1G",
        "cpu=250m,memory=512Mi,ephemeral-storage=2Gi", 0, VOLUMES, "");
    assertThat(settings.reservedMilliCpu()).isEqualTo(750);
    assertThat(settings.reservedMemory()).isEqualTo(1_000_000_000L + 512L * 1024 * 1024);
    assertThat(settings.reservedStorage()).isEqualTo(2L << 30);
    assertThat(settings.imagefs()).isNull();
  }

  @Test
  void badValuesFailWithTheKeyInTheMessage() {
    assertThatThrownBy(() -> NodeStatusSettings.from("nodefs.inodesFree<5%", "", "", 0, VOLUMES, ""))
        .hasMessageContaining("eviction.hard").hasMessageContaining("nodefs.inodesFree");
    assertThatThrownBy(() -> NodeStatusSettings.from("memory.available<lots", "", "", 0, VOLUMES, ""))
        .hasMessageContaining("eviction.hard memory.available").hasMessageContaining("'lots'");
    assertThatThrownBy(() -> NodeStatusSettings.from("nodefs.available<120%", "", "", 0, VOLUMES, ""))
        .hasMessageContaining("between 0% and 100%");
    assertThatThrownBy(() -> NodeStatusSettings.from("memory.available=1Gi", "", "", 0, VOLUMES, ""))
        .hasMessageContaining("signal<quantity");
    assertThatThrownBy(() -> NodeStatusSettings.from("", "gpu=1", "", 0, VOLUMES, ""))
        .hasMessageContaining("system.reserved");
    assertThatThrownBy(() -> NodeStatusSettings.from("", "", "memory=-1Gi", 0, VOLUMES, ""))
        .hasMessageContaining("kube.reserved memory");
    assertThatThrownBy(() -> NodeStatusSettings.from("", "", "", -1, VOLUMES, ""))
        .hasMessageContaining("eviction.pressure.transition.period.seconds");
    assertThatThrownBy(() -> NodeStatusSettings.from("", "", "", 0, VOLUMES, "relative/dir"))
        .hasMessageContaining("imagefs.dir");
  }
}
