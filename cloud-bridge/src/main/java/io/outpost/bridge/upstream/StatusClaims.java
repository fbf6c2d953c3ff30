package io.outpost.bridge.upstream;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.outpost.bridge.net.Cidr;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodStatusReport.ContainerStatusV1;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What a node may claim in a pod's status, checked field by field. A node reports on its own pods only (Upstream
 * checks the binding), and within such a report it may claim:
 * <ul>
 *   <li>a pod IP in its pod address range ({@link PodAddressRanges}); a {@code hostNetwork} pod's IP among the node's
 *       own addresses;
 *   <li>a {@code hostIP} among its own addresses, as its heartbeats report them ({@link NodeHostIPs});
 *   <li>statuses of the containers, init containers and ephemeral containers in the pod's spec, one each.
 * </ul>
 * A field that fails is refused on its own, with a reason; the rest of the report stands (see docs/security.md,
 * "What a node may claim", for why the report is not refused whole). Stateless and thread-safe.
 */
final class StatusClaims {
  /** One refused claim: the metric reason and a message for the log. */
  record Refusal(String reason, String message) {}

  /**
   * A report with its refused claims taken out.
   *
   * @param podIP the pod IP to write: the reported one if accepted, else the one the pod shows if that is still
   *     acceptable, else null
   * @param containers the reported statuses of containers in {@code spec.containers}
   * @param initContainers the reported statuses of containers in {@code spec.initContainers}
   * @param refusals what was refused, in report order
   * @param ephemeralContainers the reported statuses of containers in {@code spec.ephemeralContainers}
   */
  record Checked(String podIP, List<ContainerStatusV1> containers, List<ContainerStatusV1> initContainers,
      List<Refusal> refusals, List<ContainerStatusV1> ephemeralContainers) {
    /** A check without ephemeral containers. */
    Checked(String podIP, List<ContainerStatusV1> containers, List<ContainerStatusV1> initContainers,
        List<Refusal> refusals) {
      this(podIP, containers, initContainers, refusals, null);
    }
  }

  private final PodAddressRanges ranges;

  StatusClaims(PodAddressRanges ranges) {
    this.ranges = ranges;
  }

  /** {@code hostIPs}: the node's own addresses from its heartbeats (empty before the first one). */
  Checked check(PodStatusReport report, Pod pod, List<String> hostIPs) {
    List<Refusal> refusals = new ArrayList<>();
    String podIP = null;
    if (report.podIP() != null) {
      Optional<Refusal> refused = podIP(report.podIP(), pod, hostIPs);
      refused.ifPresent(refusals::add);
      podIP = refused.isEmpty() ? report.podIP() : previousPodIP(pod, hostIPs);
    }
    if (report.hostIP() != null && !hostIPs.contains(report.hostIP())) {
      refusals.add(new Refusal("host_ip_not_node_address", "hostIP " + report.hostIP() + " is not among the node's"
          + " addresses " + hostIPs + (hostIPs.isEmpty() ? " (no heartbeat with an InternalIP since start)" : "")));
    }
    List<ContainerStatusV1> containers = inSpec(report.containers(), pod.getSpec().getContainers(), "containers",
        refusals);
    List<ContainerStatusV1> init = inSpec(report.initContainers(), pod.getSpec().getInitContainers(),
        "initContainers", refusals);
    List<ContainerStatusV1> ephemeral = inSpec(report.ephemeralContainers(), pod.getSpec()
        .getEphemeralContainers() == null ? null : pod.getSpec().getEphemeralContainers().stream()
            .map(e -> new io.fabric8.kubernetes.api.model.ContainerBuilder().withName(e.getName()).build()).toList(),
        "ephemeralContainers", refusals);
    return new Checked(podIP, containers, init, List.copyOf(refusals), ephemeral);
  }

  /** Why {@code ip} may not be the pod's IP, if it may not. */
  private Optional<Refusal> podIP(String ip, Pod pod, List<String> hostIPs) {
    Optional<byte[]> address = Cidr.address(ip);
    if (address.isEmpty()) {
      return Optional.of(new Refusal("pod_ip_invalid", "podIP '" + printable(ip) + "' is not an IP address"));
    }
    String node = pod.getSpec().getNodeName();
    if (Boolean.TRUE.equals(pod.getSpec().getHostNetwork())) {
      boolean own = hostIPs.stream().map(Cidr::address).flatMap(Optional::stream)
          .anyMatch(a -> Arrays.equals(a, address.get()));
      return own ? Optional.empty() : Optional.of(new Refusal("pod_ip_not_node_address", "podIP " + ip + " of a"
          + " hostNetwork pod is not among the node's addresses " + hostIPs));
    }
    PodAddressRanges.Ranges range = ranges.of(node);
    if (range.cidrs().isEmpty()) {
      return Optional.of(new Refusal("pod_ip_no_range", "podIP " + ip + " cannot be checked: no pod address range"
          + " for node " + node + " (" + range.source() + "; set OUTPOST_NODE_POD_CIDRS, OUTPOST_SITE_POD_CIDRS or"
          + " OUTPOST_POD_CIDRS, or"
          + " the Node's spec.podCIDRs)"));
    }
    return range.contain(address.get()) ? Optional.empty() : Optional.of(new Refusal("pod_ip_out_of_range",
        "podIP " + ip + " is outside node " + node + "'s pod range " + range.cidrs() + " from " + range.source()));
  }

  /** The pod IP the pod shows, if it would be accepted now; else null (a claim no longer vouched for). */
  private String previousPodIP(Pod pod, List<String> hostIPs) {
    String previous = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
    return previous != null && podIP(previous, pod, hostIPs).isEmpty() ? previous : null;
  }

  private static List<ContainerStatusV1> inSpec(List<ContainerStatusV1> reported, List<Container> spec,
      String field, List<Refusal> refusals) {
    if (reported == null) {
      return null;
    }
    Set<String> names = new HashSet<>();
    if (spec != null) {
      spec.forEach(c -> names.add(c.getName()));
    }
    Set<String> seen = new HashSet<>();
    List<ContainerStatusV1> kept = new ArrayList<>(reported.size());
    for (ContainerStatusV1 status : reported) {
      String name = status == null ? null : status.name();
      if (name == null || !names.contains(name)) {
        refusals.add(new Refusal("container_not_in_spec", "a status for '" + printable(name) + "', which is not in"
            + " spec." + field));
      } else if (!seen.add(name)) {
        refusals.add(new Refusal("duplicate_container_status", "a second status for " + field + " '" + name
            + "'"));
      } else {
        kept.add(status);
      }
    }
    return kept;
  }

  /** At most 64 characters of a node's text, control characters replaced, for a log line. */
  private static String printable(String text) {
    if (text == null) {
      return "null";
    }
    String cut = text.length() > 64 ? text.substring(0, 64) + "…" : text;
    return cut.replaceAll("\\p{Cntrl}", "?");
  }
}
