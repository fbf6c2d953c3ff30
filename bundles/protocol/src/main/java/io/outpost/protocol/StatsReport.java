package io.outpost.protocol;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The node's resource usage on {@code up/stats}: what the bridge serves as the kubelet's {@code /stats/summary} and
 * {@code /metrics/resource} for this node, so that metrics-server (and {@code kubectl top}, HPAs) reads edge pods.
 * Disposable telemetry: only the newest report of a node matters, a lost one is replaced by the next.
 *
 * <p>CPU is cumulative core-nanoseconds (a counter that only grows while the container or node runs) with the time
 * of its sample: consumers take rates between two samples. Memory is the working set in bytes (usage minus inactive
 * file pages, as the kubelet computes it). Every figure carries the time it was sampled; a consumer must not take a
 * report's arrival for the sample time.
 *
 * @param node the sender (must equal the node in the topic)
 * @param sentAt when the report was assembled (RFC 3339)
 * @param usage the node as a whole
 * @param pods the node's pods (the running containers of each), at most {@link #MAX_PODS}
 */
public record StatsReport(int v, String node, String sentAt, NodeUsage usage, List<PodUsage> pods)
    implements Message {

  /** At most this many pods per report (well above a node's pod capacity of 110). */
  public static final int MAX_PODS = 512;
  /** At most this many containers per pod. */
  public static final int MAX_CONTAINERS = 64;
  /** Pod and namespace names: DNS-1123 subdomains / labels (they become Prometheus label values). */
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
  private static final Pattern CONTAINER = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Pattern UID = Pattern.compile("[-a-zA-Z0-9]{1,64}");

  /**
   * Node-wide figures, from the node's own accounting ({@code /proc}); optional ones are null where unknown.
   *
   * @param time when the figures were sampled
   * @param startTime when the node booted (the Summary API's {@code node.startTime})
   * @param cpuCoreNanos CPU time of all cores since boot, nanoseconds (cumulative)
   * @param memoryWorkingSetBytes memory in use minus inactive file pages
   * @param memoryUsageBytes memory in use (total minus free), if known
   * @param memoryAvailableBytes memory available (MemAvailable), if known
   * @param fsUsedBytes used bytes of the filesystem holding the node's pods (nodefs), if known
   * @param fsCapacityBytes its size, if known
   * @param fsAvailableBytes its bytes available to unprivileged users, if known
   * @param networkRxBytes bytes received on the node's non-loopback interfaces since boot (cumulative), if known
   * @param networkTxBytes bytes sent likewise, if known
   */
  public record NodeUsage(String time, String startTime, long cpuCoreNanos, long memoryWorkingSetBytes,
      Long memoryUsageBytes, Long memoryAvailableBytes, Long fsUsedBytes, Long fsCapacityBytes,
      Long fsAvailableBytes, Long networkRxBytes, Long networkTxBytes) {

    /** CPU and memory only. */
    public NodeUsage(String time, String startTime, long cpuCoreNanos, long memoryWorkingSetBytes) {
      this(time, startTime, cpuCoreNanos, memoryWorkingSetBytes, null, null, null, null, null, null, null);
    }
  }

  /** One pod of the node, named as in Kubernetes (the bridge checks it is bound to the sender). */
  public record PodUsage(String namespace, String name, String uid, String startTime,
      List<ContainerUsage> containers) {}

  /**
   * One running container, from the engine's stats.
   *
   * @param name the container's name in the pod spec
   * @param startTime when the container started (RFC 3339)
   * @param time when the figures were sampled (RFC 3339)
   * @param cpuCoreNanos CPU time since the container started, nanoseconds (cumulative)
   * @param memoryWorkingSetBytes memory usage minus inactive file pages
   * @param memoryUsageBytes memory usage as the engine reports it, if known
   */
  public record ContainerUsage(String name, String startTime, String time, long cpuCoreNanos,
      long memoryWorkingSetBytes, Long memoryUsageBytes) {}

  @Override
  public void validate() throws ProtocolException {
    Validation.requireVersion(v);
    Validation.require(node, "node");
    requireTime(sentAt, "sentAt", true);
    Validation.require(usage, "usage");
    requireTime(usage.time(), "usage.time", true);
    requireTime(usage.startTime(), "usage.startTime", false);
    requireNonNegative(usage.cpuCoreNanos(), "usage.cpuCoreNanos");
    requireNonNegative(usage.memoryWorkingSetBytes(), "usage.memoryWorkingSetBytes");
    requireNonNegative(usage.memoryUsageBytes(), "usage.memoryUsageBytes");
    requireNonNegative(usage.memoryAvailableBytes(), "usage.memoryAvailableBytes");
    requireNonNegative(usage.fsUsedBytes(), "usage.fsUsedBytes");
    requireNonNegative(usage.fsCapacityBytes(), "usage.fsCapacityBytes");
    requireNonNegative(usage.fsAvailableBytes(), "usage.fsAvailableBytes");
    requireNonNegative(usage.networkRxBytes(), "usage.networkRxBytes");
    requireNonNegative(usage.networkTxBytes(), "usage.networkTxBytes");
    Validation.requireSize(pods, MAX_PODS, "pods");
    if (pods == null) {
      return;
    }
    Set<String> uids = new HashSet<>();
    Set<String> names = new HashSet<>();
    for (PodUsage pod : pods) {
      requireName(pod.namespace(), NAME, "pods[].namespace");
      requireName(pod.name(), NAME, "pods[].name");
      requireName(pod.uid(), UID, "pods[].uid");
      String key = pod.namespace() + "/" + pod.name();
      if (!uids.add(pod.uid()) || !names.add(key)) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "pod " + key + " appears twice");
      }
      requireTime(pod.startTime(), "pods[].startTime", false);
      Validation.requireSize(pod.containers(), MAX_CONTAINERS, "pods[" + key + "].containers");
      if (pod.containers() == null) {
        continue;
      }
      Set<String> containers = new HashSet<>();
      for (ContainerUsage container : pod.containers()) {
        requireName(container.name(), CONTAINER, "pods[" + key + "].containers[].name");
        if (!containers.add(container.name())) {
          throw new ProtocolException(ProtocolException.Reason.INVALID, "container " + container.name()
              + " of pod " + key + " appears twice");
        }
        requireTime(container.time(), "containers[].time", true);
        requireTime(container.startTime(), "containers[].startTime", false);
        requireNonNegative(container.cpuCoreNanos(), "containers[].cpuCoreNanos");
        requireNonNegative(container.memoryWorkingSetBytes(), "containers[].memoryWorkingSetBytes");
        requireNonNegative(container.memoryUsageBytes(), "containers[].memoryUsageBytes");
      }
    }
  }

  private static void requireName(String value, Pattern shape, String field) throws ProtocolException {
    Validation.require(value, field);
    if (!shape.matcher(value).matches()) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, field + " is not a valid name: '"
          + Validation.clip(value) + "'");
    }
  }

  private static void requireTime(String value, String field, boolean required) throws ProtocolException {
    if (value == null && !required) {
      return;
    }
    Validation.require(value, field);
    if (value.length() > 40) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, field + " is not an RFC 3339 time");
    }
    try {
      Instant.parse(value);
    } catch (DateTimeParseException e) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, field + " is not an RFC 3339 time: '"
          + Validation.clip(value) + "'");
    }
  }

  private static void requireNonNegative(Long value, String field) throws ProtocolException {
    if (value != null && value < 0) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, field + " must not be negative, was " + value);
    }
  }
}
