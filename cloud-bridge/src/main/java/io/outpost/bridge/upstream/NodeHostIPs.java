package io.outpost.bridge.upstream;

import io.outpost.protocol.NodeReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each edge node's own addresses, from its heartbeats: the {@code hostIP}/{@code hostIPs} of its pods. A kubelet
 * reports its node's IPs there (kubelet_pods.go {@code generateAPIPodStatus}: {@code getHostIPsAnyWay}, the Node's
 * addresses by {@code nodeutil.GetNodeHostIPs}: the primary InternalIP and at most one of the other IP family). An
 * edge Node object cannot be read for them: when the bridge serves the kubelet API it publishes its own address as
 * the Node's InternalIP and the node's as ExternalIP. So the source is what the node itself reports as InternalIP on
 * {@code up/node}; never the bridge's address. Thread-safe.
 */
final class NodeHostIPs {
  private final Map<String, List<String>> byNode = new ConcurrentHashMap<>();

  /** Keeps the InternalIP addresses of a heartbeat: the first, then the first of the other IP family. */
  void heartbeat(NodeReport report) {
    if (report.addresses() == null) {
      return;
    }
    List<String> ips = new ArrayList<>(2);
    for (NodeReport.Address address : report.addresses()) {
      if (address == null || !"InternalIP".equals(address.type()) || address.address() == null
          || !address.address().matches("[0-9.]+|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*")) {
        continue;
      }
      boolean v6 = address.address().contains(":");
      if (ips.isEmpty() || ips.size() == 1 && ips.get(0).contains(":") != v6) {
        ips.add(address.address());
      }
    }
    if (ips.isEmpty()) {
      byNode.remove(report.node());
    } else {
      byNode.put(report.node(), List.copyOf(ips));
    }
  }

  /** The node's IPs, primary first; empty if the node reported none (or no heartbeat came since start). */
  List<String> of(String node) {
    return byNode.getOrDefault(node, List.of());
  }

  void forget(String node) {
    byNode.remove(node);
  }
}
