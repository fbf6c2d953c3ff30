package io.outpost.sync.impl;

import io.outpost.protocol.Codec;
import io.outpost.protocol.NodeReport;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What this host is and has: the static part of the node heartbeat, read once from the OS, and on every heartbeat a
 * fresh reading of memory, the pod data filesystem (ephemeral-storage) and pids, turned into capacity, allocatable
 * and the kubelet's pressure conditions by {@link NodePressure}.
 */
final class NodeFacts {
  private final String node;
  private final int maxPods;
  private final HostProbe probe;
  private final NodePressure pressure;
  private final List<NodeReport.Address> addresses;
  private final NodeReport.NodeInfo info;
  /** The allocatable of the last heartbeat (of a first measurement before it), for the container manager. */
  private volatile Map<String, String> allocatable;

  /** With the kubelet's default thresholds and pod data under the default {@code volumes.dir}. */
  NodeFacts(String node, String agentVersion, int maxPods) {
    this(node, agentVersion, maxPods, NodeStatusSettings.defaults(Settings.defaultVolumesDir()),
        java.time.Clock.systemUTC());
  }

  NodeFacts(String node, String agentVersion, int maxPods, NodeStatusSettings status, java.time.Clock clock) {
    this(node, agentVersion, maxPods, status, clock, null, null);
  }

  /** With the site and region the node's configuration names (null for none), reported in its {@code info}. */
  NodeFacts(String node, String agentVersion, int maxPods, NodeStatusSettings status, java.time.Clock clock,
      String site, String region) {
    this(node, agentVersion, maxPods, new HostProbe(status.nodefs(), status.imagefs()),
        new NodePressure(status, clock), site, region);
  }

  NodeFacts(String node, String agentVersion, int maxPods, HostProbe probe, NodePressure pressure) {
    this(node, agentVersion, maxPods, probe, pressure, null, null);
  }

  NodeFacts(String node, String agentVersion, int maxPods, HostProbe probe, NodePressure pressure, String site,
      String region) {
    this.node = node;
    this.maxPods = maxPods;
    this.probe = probe;
    this.pressure = pressure;
    this.addresses = addresses();
    this.info = new NodeReport.NodeInfo(
        read("/etc/machine-id").orElse(""),
        read("/proc/sys/kernel/random/boot_id").orElse(""),
        System.getProperty("os.version", ""),
        osImage(),
        "linux",
        architecture(),
        "docker-engine-api://1.41",
        "outpost/" + agentVersion,
        site,
        region);
    this.allocatable = pressure.allocatable(probe.measure(), maxPods);
  }

  /** The node's allocatable resources as its last heartbeat reported them. */
  Map<String, String> allocatable() {
    return allocatable;
  }

  /** A heartbeat carrying the node's health summary ({@code metrics}; null or empty for none), measured now. */
  NodeReport report(boolean ready, String message, java.util.Map<String, Double> metrics) {
    NodePressure.Evaluation now = pressure.evaluate(probe.measure(), maxPods);
    allocatable = now.allocatable();
    return new NodeReport(Codec.VERSION, node, Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString(), ready, message, now.capacity(), addresses,
        info, metrics == null || metrics.isEmpty() ? null : metrics, now.allocatable(), now.conditions());
  }

  private static String architecture() {
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    return switch (arch) {
      case "x86_64", "amd64" -> "amd64";
      case "aarch64", "arm64" -> "arm64";
      default -> arch;
    };
  }

  private static String osImage() {
    return read("/etc/os-release").flatMap(text -> text.lines()
            .filter(l -> l.startsWith("PRETTY_NAME="))
            .map(l -> l.substring("PRETTY_NAME=".length()).replace("\"", ""))
            .findFirst())
        .orElse(System.getProperty("os.name", "linux"));
  }

  private List<NodeReport.Address> addresses() {
    List<NodeReport.Address> result = new ArrayList<>();
    try {
      for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        if (!nic.isUp() || nic.isLoopback() || nic.isVirtual()) {
          continue;
        }
        for (InetAddress address : Collections.list(nic.getInetAddresses())) {
          if (address instanceof Inet4Address && result.isEmpty()) {
            result.add(new NodeReport.Address("InternalIP", address.getHostAddress()));
          }
        }
      }
    } catch (SocketException e) {
      // No address is a valid answer: Kubernetes shows the node without an InternalIP.
      result.clear();
    }
    result.add(new NodeReport.Address("Hostname", node));
    return List.copyOf(result);
  }

  private static Optional<String> read(String file) {
    try {
      return Optional.of(Files.readString(Path.of(file)).trim());
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
