package io.outpost.bridge.upstream;

import io.fabric8.kubernetes.api.model.Node;
import io.outpost.bridge.config.PodNetworks;
import io.outpost.bridge.net.Cidr;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pod address range of each edge node: the first that applies of the operator's range for the node, for its
 * site ({@link PodNetworks}), the Node's {@code spec.podCIDRs} (when the cluster assigned them: set once, never by
 * the node), and the operator's default for every edge node. The operator's explicit assignments come first because
 * a cluster that allocates node CIDRs ({@code --allocate-node-cidrs}) gives edge Nodes ranges of the cloud's pod
 * network, which the edge's container network does not use. Thread-safe (reads the Node cache).
 */
final class PodAddressRanges {
  private static final Logger LOG = LoggerFactory.getLogger(PodAddressRanges.class);

  /** The ranges that apply to a node, and where they come from (for log lines). */
  record Ranges(List<Cidr> cidrs, String source) {
    static final Ranges NONE = new Ranges(List.of(), "none configured");

    boolean contain(byte[] address) {
      return cidrs.stream().anyMatch(c -> c.contains(address));
    }
  }

  private final PodNetworks networks;
  private final Function<String, Node> nodes;

  /** {@code nodes}: the (edge) Node of that name from the cache, or null. */
  PodAddressRanges(PodNetworks networks, Function<String, Node> nodes) {
    this.networks = networks;
    this.nodes = nodes;
  }

  Ranges of(String nodeName) {
    List<Cidr> own = networks.byNode().get(nodeName);
    if (own != null) {
      return new Ranges(own, "OUTPOST_NODE_POD_CIDRS");
    }
    Node node = nodes.apply(nodeName);
    Map<String, String> labels = node == null ? null : node.getMetadata().getLabels();
    String site = labels == null ? null : labels.get(networks.siteLabel());
    if (site != null && networks.bySite().containsKey(site)) {
      return new Ranges(networks.bySite().get(site), "OUTPOST_SITE_POD_CIDRS (site " + site + ")");
    }
    List<Cidr> assigned = assigned(node);
    if (!assigned.isEmpty()) {
      return new Ranges(assigned, "the Node's spec.podCIDRs");
    }
    return networks.defaults().isEmpty() ? Ranges.NONE : new Ranges(networks.defaults(), "OUTPOST_POD_CIDRS");
  }

  /**
   * {@code spec.podCIDRs}, else {@code spec.podCIDR}. One that cannot be parsed (a real API server validates them) is
   * logged and left out: fewer addresses are accepted, never more.
   */
  private static List<Cidr> assigned(Node node) {
    if (node == null || node.getSpec() == null) {
      return List.of();
    }
    List<String> texts = node.getSpec().getPodCIDRs() != null && !node.getSpec().getPodCIDRs().isEmpty()
        ? node.getSpec().getPodCIDRs() : node.getSpec().getPodCIDR() == null ? List.of()
        : List.of(node.getSpec().getPodCIDR());
    List<Cidr> ranges = new ArrayList<>(texts.size());
    for (String text : texts) {
      try {
        ranges.add(Cidr.parse(text, false));
      } catch (IllegalArgumentException e) {
        LOG.warn("Node {}: spec.podCIDRs entry ignored: {}", node.getMetadata().getName(), e.getMessage());
      }
    }
    return ranges;
  }
}
