package io.outpost.network.services;

import io.outpost.network.services.Plan.Endpoint;
import io.outpost.network.services.Plan.PortProgram;
import io.outpost.network.site.Ipv4Range;
import java.util.ArrayList;
import java.util.List;

/**
 * The node's whole Service forwarding as its own nftables table {@code ip outpost}, in kube-proxy's nftables-mode
 * layout ({@link NftRuleset}): written whole ({@code add table} + {@code delete table} + the full table in one
 * transaction) at a start, or as the changes from the table in force ({@link NftDelta}); either way {@code nft -f -}
 * applies it atomically or, if anything fails, leaves the ruleset as it was.
 *
 * <ul>
 *   <li>{@code services}: ClusterIP (map {@code service-ips}) and NodePort on the node's local addresses, loopback
 *       excepted (map {@code service-nodeports}, {@code fib daddr type local}), from {@code nat-prerouting} (pods,
 *       the LAN) and {@code nat-output} (the node itself);
 *   <li>per Service port a {@code svc-} chain (ClusterIP) and an {@code ext-} chain (NodePort) balancing at random
 *       ({@code numgen random}) over {@code ep-} chains that DNAT to one endpoint; ClientIP affinity by a dynamic set
 *       per endpoint with the Service's timeout;
 *   <li>masquerading where replies would not come back through the node: ClusterIP traffic from outside the site's
 *       pod ranges, NodePort traffic with {@code externalTrafficPolicy: Cluster}, and hairpin traffic (a pod reaching
 *       itself through its Service): marked, then masqueraded in {@code nat-postrouting} at {@code srcnat - 20},
 *       before the engine's own masquerading and the site table's;
 *   <li>a Service port without endpoints is rejected (TCP reset, else ICMP port unreachable) as kube-proxy does; one
 *       whose traffic policy leaves no local endpoint while others exist is dropped.
 * </ul>
 */
final class NftScript {
  static final String TABLE = "outpost";
  static final String MARK = "0x00004000";

  private NftScript() {}

  /** The whole table as one transaction that replaces the one in force. */
  static String render(Plan plan, List<Ipv4Range> podRanges, String node) {
    return ruleset(plan, podRanges, node).script();
  }

  /** The table for {@code plan}, as data ({@link NftRuleset}: whole, or as changes by {@link NftDelta}). */
  static NftRuleset ruleset(Plan plan, List<Ipv4Range> podRanges, String node) {
    List<NftRuleset.Set> sets = new ArrayList<>();
    sets.add(new NftRuleset.Set("set", "pod-ranges", "ipv4_addr", "interval", null,
        podRanges.stream().map(Ipv4Range::toString).toList()));
    for (PortProgram port : plan.ports()) {
      if (port.affinitySeconds() != null) {
        for (Endpoint endpoint : port.endpoints()) {
          sets.add(new NftRuleset.Set("set", affinitySet(port, endpoint), "ipv4_addr", "dynamic,timeout",
              port.affinitySeconds(), List.of()));
        }
      }
    }
    List<String> serviceIps = new ArrayList<>();
    List<String> serviceNodePorts = new ArrayList<>();
    List<String> noEndpointServices = new ArrayList<>();
    List<String> noEndpointNodePorts = new ArrayList<>();
    for (PortProgram port : plan.ports()) {
      String noEndpoints = port.endpoints().isEmpty() ? "goto reject-chain" : "drop";
      if (port.clusterIp() != null) {
        String key = port.clusterIp() + " . " + port.protocol() + " . " + port.port() + " : ";
        if (port.clusterEndpoints().isEmpty()) {
          noEndpointServices.add(key + noEndpoints);
        } else {
          serviceIps.add(key + "goto svc-" + port.id());
        }
      }
      if (port.nodePort() != null) {
        String key = port.protocol() + " . " + port.nodePort() + " : ";
        if (port.externalEndpoints().isEmpty()) {
          noEndpointNodePorts.add(key + noEndpoints);
        } else {
          serviceNodePorts.add(key + "goto ext-" + port.id());
        }
      }
    }
    String clusterType = "ipv4_addr . inet_proto . inet_service : verdict";
    String nodePortType = "inet_proto . inet_service : verdict";
    sets.add(new NftRuleset.Set("map", "service-ips", clusterType, null, null, serviceIps));
    sets.add(new NftRuleset.Set("map", "service-nodeports", nodePortType, null, null, serviceNodePorts));
    sets.add(new NftRuleset.Set("map", "no-endpoint-services", clusterType, null, null, noEndpointServices));
    sets.add(new NftRuleset.Set("map", "no-endpoint-nodeports", nodePortType, null, null, noEndpointNodePorts));
    List<NftRuleset.Chain> chains = new ArrayList<>();
    baseChains(chains);
    for (PortProgram port : plan.ports()) {
      portChains(chains, port);
    }
    return new NftRuleset(TABLE, "Outpost Service forwarding of node " + node.replaceAll("[^a-z0-9.-]", "_")
        + ", generated: do not edit", sets, chains);
  }

  private static void baseChains(List<NftRuleset.Chain> nft) {
    chain(nft, "filter-input", "type filter hook input priority filter - 10; policy accept;",
        "ct state new fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap "
            + "@no-endpoint-nodeports");
    chain(nft, "filter-forward", "type filter hook forward priority filter - 10; policy accept;",
        "ct state new ip daddr . meta l4proto . th dport vmap @no-endpoint-services");
    chain(nft, "filter-output", "type filter hook output priority filter - 10; policy accept;",
        "ct state new ip daddr . meta l4proto . th dport vmap @no-endpoint-services",
        "ct state new fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap "
            + "@no-endpoint-nodeports");
    chain(nft, "nat-prerouting", "type nat hook prerouting priority dstnat; policy accept;", "jump services");
    chain(nft, "nat-output", "type nat hook output priority -100; policy accept;", "jump services");
    chain(nft, "nat-postrouting", "type nat hook postrouting priority srcnat - 20; policy accept;",
        "jump masquerading");
    chain(nft, "masquerading", null, "meta mark & " + MARK + " == 0x00000000 return",
        "meta mark set meta mark xor " + MARK, "masquerade fully-random");
    chain(nft, "mark-for-masquerade", null, "meta mark set meta mark or " + MARK);
    chain(nft, "reject-chain", null, "meta l4proto tcp reject with tcp reset", "reject");
    chain(nft, "services", null, "ip daddr . meta l4proto . th dport vmap @service-ips",
        "fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports");
  }

  private static void portChains(List<NftRuleset.Chain> nft, PortProgram port) {
    boolean any = false;
    if (port.clusterIp() != null && !port.clusterEndpoints().isEmpty()) {
      List<String> rules = new ArrayList<>();
      rules.add("ip saddr != @pod-ranges jump mark-for-masquerade");
      rules.addAll(balance(port, port.clusterEndpoints()));
      chain(nft, "svc-" + port.id(), null, rules.toArray(String[]::new));
      any = true;
    }
    if (port.nodePort() != null && !port.externalEndpoints().isEmpty()) {
      List<String> rules = new ArrayList<>();
      if (!port.externalLocal()) {
        rules.add("jump mark-for-masquerade");
      }
      rules.addAll(balance(port, port.externalEndpoints()));
      chain(nft, "ext-" + port.id(), null, rules.toArray(String[]::new));
      any = true;
    }
    if (!any) {
      return;
    }
    for (Endpoint endpoint : port.endpoints()) {
      List<String> rules = new ArrayList<>();
      rules.add("ip saddr " + endpoint.ip() + " jump mark-for-masquerade");
      if (port.affinitySeconds() != null) {
        rules.add("update @" + affinitySet(port, endpoint) + " { ip saddr }");
      }
      rules.add("meta l4proto " + port.protocol() + " dnat to " + endpoint.ip() + ":" + endpoint.port());
      chain(nft, endpointChain(port, endpoint), null, rules.toArray(String[]::new));
    }
  }

  private static List<String> balance(PortProgram port, List<Endpoint> endpoints) {
    List<String> rules = new ArrayList<>();
    if (port.affinitySeconds() != null) {
      for (Endpoint endpoint : endpoints) {
        rules.add("ip saddr @" + affinitySet(port, endpoint) + " goto " + endpointChain(port, endpoint));
      }
    }
    if (endpoints.size() == 1) {
      rules.add("goto " + endpointChain(port, endpoints.get(0)));
    } else {
      List<String> choices = new ArrayList<>();
      for (int i = 0; i < endpoints.size(); i++) {
        choices.add(i + " : goto " + endpointChain(port, endpoints.get(i)));
      }
      rules.add("numgen random mod " + endpoints.size() + " vmap { " + String.join(", ", choices) + " }");
    }
    return rules;
  }

  static String endpointChain(PortProgram port, Endpoint endpoint) {
    return "ep-" + port.id() + "-" + endpoint.ip() + "-" + endpoint.port();
  }

  static String affinitySet(PortProgram port, Endpoint endpoint) {
    return "aff-" + port.id() + "-" + endpoint.ip() + "-" + endpoint.port();
  }

  private static void chain(List<NftRuleset.Chain> chains, String name, String hook, String... rules) {
    chains.add(new NftRuleset.Chain(name, hook, List.of(rules)));
  }
}
