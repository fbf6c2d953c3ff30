package io.outpost.containers;

import java.time.Instant;
import java.util.List;

/**
 * What this node and its pods' running containers use, sampled now: the figures the kubelet serves on its
 * {@code /stats/summary} and {@code /metrics/resource} (which metrics-server reads for {@code kubectl top} and HPAs).
 * Offered by the container manager, read by the sync bundle, which sends it to the cloud on its own cadence.
 *
 * <p>CPU is cumulative (core-nanoseconds since the container started, or the node booted) and every figure comes
 * with the time it was sampled: consumers take rates between samples. Memory is the working set, usage minus
 * inactive file pages, as the kubelet computes it.
 */
public interface ResourceUsage {

  /**
   * Samples the node and every running container of its pods. Asks the container engine once per container: call it
   * off any thread that must stay responsive.
   *
   * @throws IllegalStateException if the engine cannot be asked (the node's figures are then not worth sending
   *     either: a consumer would see pods vanish)
   */
  Snapshot sample();

  /** One sampling of the node and its pods. */
  record Snapshot(NodeUsage node, List<PodUsage> pods) {}

  /**
   * The node as a whole, from {@code /proc} and the filesystem holding the pods' volumes; optional figures are null
   * where unknown.
   *
   * @param bootTime when the node booted, null if unknown
   * @param cpuCoreNanos CPU time of all cores since boot (not idle, not waiting for I/O)
   * @param memoryWorkingSetBytes memory in use minus inactive file pages
   * @param memoryUsageBytes memory in use (total minus free)
   * @param memoryAvailableBytes {@code MemAvailable}
   * @param networkRxBytes bytes received on interfaces other than loopback since boot
   * @param networkTxBytes bytes sent likewise
   */
  record NodeUsage(Instant time, Instant bootTime, long cpuCoreNanos, long memoryWorkingSetBytes,
      Long memoryUsageBytes, Long memoryAvailableBytes, Long fsUsedBytes, Long fsCapacityBytes,
      Long fsAvailableBytes, Long networkRxBytes, Long networkTxBytes) {}

  /** A pod with running containers, named as in Kubernetes. */
  record PodUsage(String namespace, String name, String uid, Instant startTime, List<ContainerUsage> containers) {}

  /**
   * One running container, from the engine's stats.
   *
   * @param name the container's name in the pod spec
   * @param startTime when this run of the container started, null if the engine did not say
   * @param memoryUsageBytes the engine's memory usage (what {@code podman stats} shows)
   */
  record ContainerUsage(String name, Instant startTime, Instant time, long cpuCoreNanos, long memoryWorkingSetBytes,
      long memoryUsageBytes) {}
}
