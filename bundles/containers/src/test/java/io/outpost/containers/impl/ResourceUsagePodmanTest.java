package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.outpost.containers.ResourceUsage;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.testing.Podman;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Resource usage against the real Podman: a busy container's cumulative CPU grows between samples and lies between
 * what {@code podman stats} says just before and just after; its memory is what {@code podman stats} shows, its
 * working set no more than that; the node's figures come from {@code /proc}.
 */
class ResourceUsagePodmanTest extends PodmanFixture {

  @Test
  void aBusyContainersCpuGrowsAndItsFiguresMatchPodmanStats() {
    ObjectRef ref = new ObjectRef("Pod", "default", "busy", UUID.randomUUID().toString(), "1");
    store.put(ref, new PodV1(node, "Always", 1L, null, null, List.of(
        new ContainerV1("spin", Podman.TEST_IMAGE, "IfNotPresent", List.of("sh", "-c", "while :; do :; done"), null,
            null, null, null, null, null, null),
        new ContainerV1("idle", Podman.TEST_IMAGE, "IfNotPresent", List.of("sleep", "3600"), null, null, null, null,
            null, null, null))));
    reconcileUntil(ref.uid(), s -> "Running".equals(s.phase()));
    String spinId = containerId(ref, "spin");
    UsageSampler sampler = new UsageSampler(engine, node, new NodeUsageProbe(java.nio.file.Path.of("/proc"),
        volumes), Clock.systemUTC());

    ResourceUsage.Snapshot first = sampler.sample();
    assertThat(first.pods()).singleElement().satisfies(pod -> {
      assertThat(pod.namespace()).isEqualTo("default");
      assertThat(pod.name()).isEqualTo("busy");
      assertThat(pod.uid()).isEqualTo(ref.uid());
      assertThat(pod.startTime()).isNotNull();
      assertThat(pod.containers()).extracting(ResourceUsage.ContainerUsage::name).containsExactly("idle", "spin");
    });
    ResourceUsage.ContainerUsage spinBefore = container(first, "spin");
    // Cumulative CPU grows while the container spins: at least half a core-second more after a while.
    ResourceUsage.Snapshot later = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
        .until(sampler::sample, s -> container(s, "spin").cpuCoreNanos() > spinBefore.cpuCoreNanos() + 500_000_000L);
    assertThat(container(later, "spin").time()).isAfter(spinBefore.time());
    assertThat(later.node().cpuCoreNanos()).isGreaterThan(first.node().cpuCoreNanos());
    assertThat(later.node().time()).isAfter(first.node().time());
    assertThat(container(later, "idle").cpuCoreNanos()).as("a sleeping container uses next to nothing")
        .isLessThan(200_000_000L);

    // Against podman stats: CPU between its figure just before and just after ours; memory as it shows it.
    PodmanStats before = podmanStats(spinId);
    ResourceUsage.ContainerUsage ours = container(sampler.sample(), "spin");
    PodmanStats after = podmanStats(spinId);
    assertThat(ours.cpuCoreNanos()).isBetween(before.cpuNanos() - 1_000_000L, after.cpuNanos() + 1_000_000L);
    assertThat((double) ours.memoryUsageBytes()).as("memory usage vs podman stats %s", after)
        .isBetween(Math.min(before.memoryBytes(), after.memoryBytes()) * 0.8 - 64 * 1024,
            Math.max(before.memoryBytes(), after.memoryBytes()) * 1.2 + 64 * 1024);
    assertThat(ours.memoryWorkingSetBytes()).isPositive().isLessThanOrEqualTo(ours.memoryUsageBytes());
    assertThat(ours.memoryUsageBytes()).as("a busybox shell is small").isLessThan(64L << 20);

    ResourceUsage.NodeUsage host = later.node();
    assertThat(host.memoryWorkingSetBytes()).isPositive().isLessThanOrEqualTo(host.memoryUsageBytes());
    assertThat(host.memoryAvailableBytes()).isPositive();
    assertThat(host.bootTime()).isBefore(host.time());
    assertThat(host.fsCapacityBytes()).isPositive();
    assertThat(host.fsUsedBytes()).isBetween(0L, host.fsCapacityBytes());
  }

  @Test
  void theEnginesStatsAnswerIsReadAsPodman43ServesIt() {
    ObjectRef ref = new ObjectRef("Pod", "default", "raw", UUID.randomUUID().toString(), "1");
    store.put(ref, new PodV1(node, "Always", 1L, null, null, List.of(new ContainerV1("app", Podman.TEST_IMAGE,
        "IfNotPresent", List.of("sleep", "3600"), null, null, null, null, null, null, null))));
    reconcileUntil(ref.uid(), s -> "Running".equals(s.phase()));
    String id = containerId(ref, "app");
    EngineStats stats = engine.stats(id).orElseThrow();
    assertThat(stats.read()).isBeforeOrEqualTo(java.time.Instant.now()).isAfter(java.time.Instant.now()
        .minusSeconds(60));
    assertThat(stats.memoryUsage()).isPositive();
    // Podman 4.3 reports no memory breakdown; on this host the container's cgroup gives its inactive file pages.
    assertThat(stats.inactiveFile()).isNotNull();
    assertThat(stats.workingSet()).isBetween(0L, stats.memoryUsage());
    assertThat(engine.stats("0123456789ab-not-a-container")).isEmpty();
  }

  private static ResourceUsage.ContainerUsage container(ResourceUsage.Snapshot snapshot, String name) {
    return snapshot.pods().get(0).containers().stream().filter(c -> c.name().equals(name)).findFirst()
        .orElseThrow();
  }

  record PodmanStats(long cpuNanos, double memoryBytes) {}

  /** {@code podman stats --no-stream --format json}: cpu_time a Go duration, mem_usage "1.085MB / 25.28GB" (SI). */
  private static PodmanStats podmanStats(String id) {
    JsonNode stats;
    try {
      stats = EngineHttp.JSON.readTree(Podman.cli("stats", "--no-stream", "--format", "json", id)).get(0);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    return new PodmanStats(io.outpost.testing.PodmanStats.cpuNanos(stats.get("cpu_time").asText()),
        io.outpost.testing.PodmanStats.memoryBytes(stats.get("mem_usage").asText()));
  }
}
