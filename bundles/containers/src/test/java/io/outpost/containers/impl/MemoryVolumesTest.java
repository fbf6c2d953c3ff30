package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.ResourcesV1;
import io.outpost.protocol.VolumeV1.EmptyDirV1;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The tmpfs size of a memory emptyDir, as the kubelet's {@code calculateEmptyDirMemorySize}. */
class MemoryVolumesTest {
  private static final long MIB = 1024 * 1024;

  private static ContainerV1 app(String name, Long memoryLimit) {
    return new ContainerV1(name, "img", null, null, null, null, null, null,
        memoryLimit == null ? null : new ResourcesV1(null, null, null, memoryLimit));
  }

  private static PodV1 pod(List<ContainerV1> containers, List<ContainerV1> init) {
    return new PodV1("n", "Always", 30L, null, null, containers, init);
  }

  @Test
  void theSmallestOfAllocatablePodLimitAndSizeLimitWins() {
    PodV1 limited = pod(List.of(app("a", 100 * MIB), app("b", 50 * MIB)), null);
    assertThat(MemoryVolumes.size(limited, new EmptyDirV1("Memory"), 8192 * MIB)).isEqualTo(150 * MIB);
    assertThat(MemoryVolumes.size(limited, new EmptyDirV1("Memory", 10 * MIB), 8192 * MIB)).isEqualTo(10 * MIB);
    assertThat(MemoryVolumes.size(limited, new EmptyDirV1("Memory", 500 * MIB), 8192 * MIB)).isEqualTo(150 * MIB);
    assertThat(MemoryVolumes.size(limited, new EmptyDirV1("Memory"), 100 * MIB)).isEqualTo(100 * MIB);
    // A zero sizeLimit is no limit, as in Kubernetes.
    assertThat(MemoryVolumes.size(limited, new EmptyDirV1("Memory", 0L), 8192 * MIB)).isEqualTo(150 * MIB);
  }

  @Test
  void thePodLimitCountsOnlyWhenEveryContainerHasOneAndCoversItsLargestInitContainer() {
    PodV1 partly = pod(List.of(app("a", 100 * MIB), app("b", null)), null);
    assertThat(MemoryVolumes.podMemoryLimit(partly)).isNull();
    assertThat(MemoryVolumes.size(partly, new EmptyDirV1("Memory"), 8192 * MIB)).isEqualTo(8192 * MIB);
    PodV1 init = pod(List.of(app("a", 100 * MIB)), List.of(app("setup", 300 * MIB)));
    assertThat(MemoryVolumes.podMemoryLimit(init)).isEqualTo(300 * MIB);
    assertThat(MemoryVolumes.size(pod(List.of(app("a", null)), null), new EmptyDirV1("Memory"), null)).isNull();
  }

  @Test
  void thePageSizeIsTheKernels() {
    assertThat(MemoryVolumes.pageSize()).isPositive().matches(size -> Long.bitCount(size) == 1, "a power of two");
  }
}
