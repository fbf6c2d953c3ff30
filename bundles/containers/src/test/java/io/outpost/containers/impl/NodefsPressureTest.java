package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodefsPressureTest {
  @TempDir
  Path dir;

  @Test
  void theNodefsThresholdIsReadFromEvictionHard() {
    assertThat(NodefsPressure.parse(Settings.Storage.DEFAULT_EVICTION_HARD)).isEqualTo(new NodefsPressure(0, 0.1));
    assertThat(NodefsPressure.parse("memory.available<100Mi, nodefs.available < 2Gi"))
        .isEqualTo(new NodefsPressure(2L << 30, 0));
    assertThat(NodefsPressure.parse("memory.available<100Mi")).isNull();
    assertThat(NodefsPressure.parse("")).isNull();
    assertThatThrownBy(() -> NodefsPressure.parse("nodefs.available<lots"))
        .hasMessage("eviction.hard: 'lots' is not a quantity such as 1Gi or 10%");
    assertThatThrownBy(() -> NodefsPressure.parse("nodefs.available<150%"))
        .hasMessageContaining("nodefs.available must be a non-negative quantity or 0-100%");
  }

  @Test
  void pressureIsAvailableBelowTheThresholdOfTheVolumesFilesystem() throws Exception {
    Path volumes = dir.resolve("not/made/yet"); // measured at its nearest existing parent
    NodefsPressure.Observation always = new NodefsPressure(0, 1.0).observe(volumes);
    assertThat(always).isNotNull();
    assertThat(always.available()).isLessThan(always.threshold());
    assertThat(always.message()).startsWith("The node was low on resource: ephemeral-storage. Threshold quantity: ")
        .endsWith(". ");
    assertThat(new NodefsPressure(0, 0).observe(volumes)).isNull();
    assertThat(new NodefsPressure(1, 0).observe(volumes)).isNull();
  }

  @Test
  void quantitiesPrintAsKubernetesPrintsThem() {
    assertThat(ByteQuantities.decimalOrBinary(64L << 20)).isEqualTo("64Mi");
    assertThat(ByteQuantities.decimalOrBinary(1_000_000_000L)).isEqualTo("1G");
    assertThat(ByteQuantities.decimalOrBinary(1500)).isEqualTo("1500");
    assertThat(ByteQuantities.decimalOrBinary(1L << 30)).isEqualTo("1Gi");
    assertThat(ByteQuantities.binary(5_000_000_000L)).isEqualTo("5000000000");
    assertThat(ByteQuantities.binary(3L << 20)).isEqualTo("3Mi");
  }
}
