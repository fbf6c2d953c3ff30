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

/** What this host is, read once from the OS: the static part of the node heartbeat. */
final class NodeFacts {
  private final String node;
  private final Map<String, String> capacity;
  private final List<NodeReport.Address> addresses;
  private final NodeReport.NodeInfo info;

  NodeFacts(String node, String agentVersion, int maxPods) {
    this.node = node;
    this.capacity = Map.of(
        "cpu", Integer.toString(Runtime.getRuntime().availableProcessors()),
        "memory", memoryKi().map(ki -> ki + "Ki").orElse("0"),
        "pods", Integer.toString(maxPods));
    this.addresses = addresses();
    this.info = new NodeReport.NodeInfo(
        read("/etc/machine-id").orElse(""),
        read("/proc/sys/kernel/random/boot_id").orElse(""),
        System.getProperty("os.version", ""),
        osImage(),
        "linux",
        architecture(),
        "docker-engine-api://1.41",
        "outpost/" + agentVersion);
  }

  /** A heartbeat carrying the node's health summary ({@code metrics}; null or empty for none). */
  NodeReport report(boolean ready, String message, java.util.Map<String, Double> metrics) {
    return new NodeReport(Codec.VERSION, node, Instant.now().toString(), ready, message, capacity, addresses, info,
        metrics == null || metrics.isEmpty() ? null : metrics);
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

  private static Optional<Long> memoryKi() {
    return read("/proc/meminfo").flatMap(text -> text.lines()
        .filter(l -> l.startsWith("MemTotal:"))
        .map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")))
        .findFirst());
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
