package io.outpost.bridge.downstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.outpost.protocol.VolumeV1;
import org.junit.jupiter.api.Test;

class VolumeTranslatorTest {
  @Test
  void emptyDirSizeLimitTravelsInBytesWithItsMedium() {
    io.fabric8.kubernetes.api.model.Pod pod = new PodBuilder()
        .withNewMetadata().withName("web").withNamespace("shop").endMetadata()
        .withNewSpec().withNodeName("edge-1")
        .addNewVolume().withName("scratch").withNewEmptyDir().withSizeLimit(new Quantity("64Mi")).endEmptyDir()
        .endVolume()
        .addNewVolume().withName("shm").withNewEmptyDir().withMedium("Memory").withSizeLimit(new Quantity("1G"))
        .endEmptyDir().endVolume()
        .addNewVolume().withName("tiny").withNewEmptyDir().withSizeLimit(new Quantity("1.5k")).endEmptyDir()
        .endVolume()
        .addNewVolume().withName("plain").withNewEmptyDir().withMedium("").endEmptyDir().endVolume()
        .addNewContainer().withName("app").withImage("nginx").endContainer().endSpec().build();

    io.outpost.protocol.PodV1 edge = PodTranslator.toEdge(pod);

    assertThat(edge.volumes()).extracting(VolumeV1::emptyDir).containsExactly(
        new VolumeV1.EmptyDirV1(null, 64L * 1024 * 1024),
        new VolumeV1.EmptyDirV1("Memory", 1_000_000_000L),
        new VolumeV1.EmptyDirV1(null, 1500L),
        new VolumeV1.EmptyDirV1(null, null));
  }

  @Test
  void aFractionalByteLimitRoundsUpAsTheKubeletReadsIt() {
    assertThat(VolumeTranslator.emptyDir(new io.fabric8.kubernetes.api.model.EmptyDirVolumeSource(null,
        new Quantity("1500m"))).sizeLimitBytes()).isEqualTo(2L);
  }
}
