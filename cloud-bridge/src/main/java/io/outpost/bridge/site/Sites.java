package io.outpost.bridge.site;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.outpost.bridge.config.PodNetworks;
import io.outpost.bridge.net.Cidr;
import io.outpost.protocol.IpLiterals;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which site each edge node belongs to and which pod address range it has, from the Node cache and the operator's
 * {@link PodNetworks}. A node's site is the value of its label {@link PodNetworks#siteLabel()}; its pod range is the
 * first that applies of:
 * <ol>
 *   <li>the Node's {@code spec.podCIDRs} ({@code spec.podCIDR}) — set by the cluster's node-ipam controller, or
 *       recorded there by this bridge from its site's pool ({@link PodCidrAllocator}); immutable once set;
 *   <li>the operator's {@code OUTPOST_NODE_POD_CIDRS} entry for the node;
 *   <li>a block of its site's pool ({@code OUTPOST_SITE_POD_CIDRS}): {@link PodRange#pending() pending} until the
 *       allocation is recorded on the Node; if the pool cannot give one (exhausted, unusable), the next rule;
 *   <li>the operator's default {@code OUTPOST_POD_CIDRS} (possibly none).
 * </ol>
 * Thread-safe: reads the cache; the allocator's outcomes are kept in concurrent maps.
 */
public final class Sites {
  private static final Logger LOG = LoggerFactory.getLogger(Sites.class);

  /** A node's pod ranges (at most one per family), where they come from, and whether an allocation is awaited. */
  public record PodRange(List<Cidr> cidrs, String source, boolean pending) {
    static final String SHARED_SOURCE = "OUTPOST_POD_CIDRS";
    public static final PodRange NONE = new PodRange(List.of(), "none configured", false);

    public PodRange {
      cidrs = List.copyOf(cidrs);
    }

    public List<String> texts() {
      return cidrs.stream().map(Cidr::toString).toList();
    }

    /**
     * Whether this is the operator's default for every edge node ({@code OUTPOST_POD_CIDRS}, typically the engine's
     * default network, the same addresses on every node): good for checking pod IPs, but not a range of the node's
     * own, so no pod network, route or Service forwarding is built on it.
     */
    public boolean shared() {
      return source.startsWith(SHARED_SOURCE);
    }

    public boolean contain(byte[] address) {
      return cidrs.stream().anyMatch(c -> c.contains(address));
    }
  }

  private final PodNetworks networks;
  private final Function<String, Node> node;
  private final Supplier<? extends Collection<Node>> nodes;
  /** Nodes whose site pool could not give a range, and why (set by the allocator). */
  private final Map<String, String> unallocatable = new ConcurrentHashMap<>();
  /** Ranges the allocator recorded on a Node that the cache may not show yet. */
  private final Map<String, List<Cidr>> recorded = new ConcurrentHashMap<>();

  /** {@code node}: an edge Node by name from the cache, or null; {@code nodes}: every edge Node in the cache. */
  public Sites(PodNetworks networks, Function<String, Node> node, Supplier<? extends Collection<Node>> nodes) {
    this.networks = networks;
    this.node = node;
    this.nodes = nodes;
  }

  public PodNetworks networks() {
    return networks;
  }

  /** The node's site (its site label's value), or null if it has none. */
  public String siteOf(Node node) {
    if (node == null || node.getMetadata().getLabels() == null) {
      return null;
    }
    String site = node.getMetadata().getLabels().get(networks.siteLabel());
    return site == null || site.isEmpty() ? null : site;
  }

  /** The site of the edge node of that name, or null (no site label, or not an edge node in the cache). */
  public String siteOf(String name) {
    return siteOf(node.apply(name));
  }

  /** Every edge Node of the cache. */
  public List<Node> nodes() {
    return List.copyOf(nodes.get());
  }

  /** The edge Nodes of a site, sorted by name; none for a null site. */
  public List<Node> members(String site) {
    if (site == null) {
      return List.of();
    }
    List<Node> members = new ArrayList<>();
    for (Node candidate : nodes.get()) {
      if (site.equals(siteOf(candidate))) {
        members.add(candidate);
      }
    }
    members.sort(Comparator.comparing(n -> n.getMetadata().getName()));
    return members;
  }

  /** The names of the nodes whose endpoints a node's EndpointSlices carry: its site's, or only itself without one. */
  public java.util.Set<String> endpointNodes(String name) {
    String site = siteOf(name);
    if (site == null) {
      return java.util.Set.of(name);
    }
    java.util.Set<String> names = new java.util.HashSet<>();
    members(site).forEach(n -> names.add(n.getMetadata().getName()));
    names.add(name);
    return names;
  }

  /** The pod range of the edge node of that name (see the class comment). */
  public PodRange range(String name) {
    Node self = node.apply(name);
    String site = siteOf(self);
    List<Cidr> pool = site == null ? null : networks.bySite().get(site);
    List<Cidr> spec = specRanges(self);
    if (!spec.isEmpty()) {
      boolean fromPool = pool != null && spec.stream().allMatch(s -> pool.stream().anyMatch(p -> within(s, p)));
      return new PodRange(spec, fromPool ? "spec.podCIDRs (from the pool of site " + site + ")" : "spec.podCIDRs",
          false);
    }
    List<Cidr> own = networks.byNode().get(name);
    if (own != null) {
      return new PodRange(own, "OUTPOST_NODE_POD_CIDRS", false);
    }
    if (pool != null && self != null) {
      List<Cidr> allocated = recorded.get(name);
      if (allocated != null) {
        return new PodRange(allocated, "spec.podCIDRs (from the pool of site " + site + ")", false);
      }
      String why = unallocatable.get(name);
      if (why == null) {
        return new PodRange(List.of(), "being allocated from the pool of site " + site, true);
      }
      return networks.defaults().isEmpty() ? new PodRange(List.of(), "none (site " + site + ": " + why + ")", false)
          : new PodRange(networks.defaults(), PodRange.SHARED_SOURCE + " (site " + site + ": " + why + ")", false);
    }
    return networks.defaults().isEmpty() ? PodRange.NONE : new PodRange(networks.defaults(), PodRange.SHARED_SOURCE,
        false);
  }

  /** Whether {@code inner} lies entirely within {@code outer}. */
  static boolean within(Cidr inner, Cidr outer) {
    return inner.ipv6() == outer.ipv6() && inner.prefix() >= outer.prefix() && outer.contains(inner.network());
  }

  /**
   * The node's addresses on the site LAN: its {@code InternalIP}s, then its {@code ExternalIP}s, IP literals only
   * (a name is never resolved), without repeats, at most {@code max}.
   */
  public static List<String> lanAddresses(Node node, int max) {
    List<String> addresses = new ArrayList<>();
    if (node == null || node.getStatus() == null || node.getStatus().getAddresses() == null) {
      return addresses;
    }
    for (String type : List.of("InternalIP", "ExternalIP")) {
      for (NodeAddress address : node.getStatus().getAddresses()) {
        if (type.equals(address.getType()) && address.getAddress() != null
            && Cidr.address(address.getAddress()).isPresent() && IpLiterals.isIp(address.getAddress())
            && !addresses.contains(address.getAddress())
            && addresses.size() < max) {
          addresses.add(address.getAddress());
        }
      }
    }
    return addresses;
  }

  /**
   * {@code spec.podCIDRs}, else {@code spec.podCIDR}. One that cannot be parsed (a real API server validates them) is
   * logged and left out: fewer addresses are accepted, never more.
   */
  public static List<Cidr> specRanges(Node node) {
    if (node == null || node.getSpec() == null) {
      return List.of();
    }
    List<String> texts = node.getSpec().getPodCIDRs() != null && !node.getSpec().getPodCIDRs().isEmpty()
        ? node.getSpec().getPodCIDRs() : node.getSpec().getPodCIDR() == null || node.getSpec().getPodCIDR().isEmpty()
        ? List.of() : List.of(node.getSpec().getPodCIDR());
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

  // ---- the allocator's outcomes

  void recorded(String name, List<Cidr> ranges) {
    recorded.put(name, List.copyOf(ranges));
    unallocatable.remove(name);
  }

  /** Records why the node's site pool gave it no range; true if the reason is new. */
  boolean unallocatable(String name, String why) {
    return !why.equals(unallocatable.put(name, why));
  }

  /** Forgets what the allocator did for a node once the cache shows its range, or the node is gone. */
  void settled(String name) {
    recorded.remove(name);
    unallocatable.remove(name);
  }

  boolean isUnallocatable(String name) {
    return unallocatable.containsKey(name);
  }

  /** The ranges recorded but perhaps not in the cache yet. */
  Collection<List<Cidr>> inFlight() {
    return List.copyOf(recorded.values());
  }

  boolean isRecorded(String name) {
    return recorded.containsKey(name);
  }

  public int unallocatableCount() {
    return unallocatable.size();
  }
}
