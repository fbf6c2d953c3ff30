package io.outpost.bridge.upstream;

import io.fabric8.kubernetes.api.model.Node;
import io.outpost.bridge.config.PodNetworks;
import io.outpost.bridge.net.Cidr;
import io.outpost.bridge.site.Sites;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The pod address range of each edge node, which a pod IP must lie in: the range the node builds its pod network
 * from ({@link Sites#range}: the Node's {@code spec.podCIDRs}, the operator's range for the node, a block of its
 * site's pool, the default), so that what the bridge accepts is what the node's {@code SiteNetwork} says. While a
 * block is being allocated the node has no range (no pod IP is accepted yet).
 *
 * <p>A node known not to apply site networking (its resync did not name {@code SiteNetwork}: an older release, on
 * Podman's default network) keeps the rule from before: the operator's range for the node, for its site (the whole
 * pool, as {@code OUTPOST_SITE_POD_CIDRS} meant then), the Node's {@code spec.podCIDRs}, the default. Thread-safe
 * (reads the Node cache).
 */
final class PodAddressRanges {

  /** The ranges that apply to a node, and where they come from (for log lines). */
  record Ranges(List<Cidr> cidrs, String source) {
    static final Ranges NONE = new Ranges(List.of(), "none configured");

    boolean contain(byte[] address) {
      return cidrs.stream().anyMatch(c -> c.contains(address));
    }
  }

  private final PodNetworks networks;
  private final Function<String, Node> nodes;
  private final Sites sites;
  private final Predicate<String> legacy;

  /** Every node by the rule from before site networking ({@code nodes}: the edge Node of that name, or null). */
  PodAddressRanges(PodNetworks networks, Function<String, Node> nodes) {
    this(networks, nodes, null, node -> true);
  }

  /** {@code legacy}: whether a node is known not to apply site networking (it then keeps the rule from before). */
  PodAddressRanges(Sites sites, Function<String, Node> nodes, Predicate<String> legacy) {
    this(sites.networks(), nodes, sites, legacy);
  }

  private PodAddressRanges(PodNetworks networks, Function<String, Node> nodes, Sites sites,
      Predicate<String> legacy) {
    this.networks = networks;
    this.nodes = nodes;
    this.sites = sites;
    this.legacy = legacy;
  }

  Ranges of(String nodeName) {
    if (sites != null && !legacy.test(nodeName)) {
      Sites.PodRange range = sites.range(nodeName);
      return range == Sites.PodRange.NONE ? Ranges.NONE : new Ranges(range.cidrs(), range.source());
    }
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
    List<Cidr> assigned = Sites.specRanges(node);
    if (!assigned.isEmpty()) {
      return new Ranges(assigned, "the Node's spec.podCIDRs");
    }
    return networks.defaults().isEmpty() ? Ranges.NONE : new Ranges(networks.defaults(), "OUTPOST_POD_CIDRS");
  }
}
