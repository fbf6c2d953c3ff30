package io.outpost.bridge.config;

import io.outpost.bridge.net.Cidr;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The operator's pod address settings for edge nodes and their sites (docs/operations.md, "Site networking: sites,
 * pod ranges"). A node's pod range is the first that applies of its Node's {@code spec.podCIDRs}, its
 * {@code OUTPOST_NODE_POD_CIDRS} entry, a block of its site's pool, the default ({@code io.outpost.bridge.site.Sites});
 * the node builds its pod network from it, its site's peers route to it, and the bridge writes a pod IP only if it
 * lies in it. Read from:
 * <ul>
 *   <li>{@code OUTPOST_NODE_POD_CIDRS}: per node, {@code edge-1=10.42.1.0/24,fd00:42:1::/64;edge-2=10.42.2.0/24};
 *   <li>{@code OUTPOST_SITE_POD_CIDRS}: per site, the same form with site names: the pool each node of the site gets
 *       its own block from (recorded on its Node as {@code spec.podCIDRs}), a node's site being the value of its
 *       label {@code OUTPOST_SITE_LABEL} (default {@code outpost.io/site});
 *   <li>{@code OUTPOST_NODE_CIDR_MASK_SIZE} (default 24) and {@code OUTPOST_NODE_CIDR_MASK_SIZE_IPV6} (default 64):
 *       the prefix length of a node's block of an IPv4 and an IPv6 pool, as the controller-manager's
 *       {@code --node-cidr-mask-size-ipv4/-ipv6};
 *   <li>{@code OUTPOST_POD_CIDRS}: for every other edge node, {@code 10.88.0.0/16,fd00:88::/64}.
 * </ul>
 * At most one range per IP family in each entry, as in a Node's {@code spec.podCIDRs}.
 */
public record PodNetworks(Map<String, List<Cidr>> byNode, Map<String, List<Cidr>> bySite, String siteLabel,
    List<Cidr> defaults, int nodeMaskIpv4, int nodeMaskIpv6) {

  public static final int DEFAULT_MASK_IPV4 = 24;
  public static final int DEFAULT_MASK_IPV6 = 64;
  public static final PodNetworks NONE = new PodNetworks(Map.of(), Map.of(), "outpost.io/site", List.of());

  /** With the default node mask sizes. */
  public PodNetworks(Map<String, List<Cidr>> byNode, Map<String, List<Cidr>> bySite, String siteLabel,
      List<Cidr> defaults) {
    this(byNode, bySite, siteLabel, defaults, DEFAULT_MASK_IPV4, DEFAULT_MASK_IPV6);
  }

  private static final Pattern LABEL_KEY = Pattern.compile(
      "([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}"
      + "[A-Za-z0-9])?");

  public PodNetworks {
    byNode = Map.copyOf(byNode);
    bySite = Map.copyOf(bySite);
    defaults = List.copyOf(defaults);
  }

  /** True if no range is configured at all (pod IPs are then written only for Nodes with {@code spec.podCIDRs}). */
  public boolean none() {
    return byNode.isEmpty() && bySite.isEmpty() && defaults.isEmpty();
  }

  public static PodNetworks from(Map<String, String> env) {
    String label = env.getOrDefault("OUTPOST_SITE_LABEL", "outpost.io/site").trim();
    if (!LABEL_KEY.matcher(label).matches() || label.length() > 316) {
      throw new IllegalArgumentException("OUTPOST_SITE_LABEL '" + label + "' is not a label key");
    }
    return new PodNetworks(assignments(env, "OUTPOST_NODE_POD_CIDRS"), assignments(env, "OUTPOST_SITE_POD_CIDRS"),
        label, ranges("OUTPOST_POD_CIDRS", env.getOrDefault("OUTPOST_POD_CIDRS", "")),
        BridgeConfig.integer(env, "OUTPOST_NODE_CIDR_MASK_SIZE", DEFAULT_MASK_IPV4, 1, 32),
        BridgeConfig.integer(env, "OUTPOST_NODE_CIDR_MASK_SIZE_IPV6", DEFAULT_MASK_IPV6, 1, 128));
  }

  /** {@code name=cidr[,cidr];name=...}; the error names the key and the entry. */
  private static Map<String, List<Cidr>> assignments(Map<String, String> env, String key) {
    Map<String, List<Cidr>> result = new LinkedHashMap<>();
    for (String entry : env.getOrDefault(key, "").split(";")) {
      if (entry.isBlank()) {
        continue;
      }
      int eq = entry.indexOf('=');
      String name = eq < 0 ? "" : entry.substring(0, eq).trim();
      if (name.isEmpty()) {
        throw new IllegalArgumentException(key + " entry '" + entry.trim() + "' must be name=cidr[,cidr]");
      }
      List<Cidr> ranges = ranges(key + " (" + name + ")", entry.substring(eq + 1));
      if (ranges.isEmpty() || result.put(name, ranges) != null) {
        throw new IllegalArgumentException(key + ": '" + name + "' needs exactly one entry with a range");
      }
    }
    return result;
  }

  private static List<Cidr> ranges(String key, String value) {
    List<Cidr> ranges = new ArrayList<>(2);
    for (String item : value.split(",")) {
      if (item.isBlank()) {
        continue;
      }
      try {
        Cidr cidr = Cidr.parse(item);
        if (ranges.stream().anyMatch(r -> r.ipv6() == cidr.ipv6())) {
          throw new IllegalArgumentException("at most one range per IP family, as in a Node's spec.podCIDRs");
        }
        ranges.add(cidr);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
      }
    }
    return ranges;
  }
}
