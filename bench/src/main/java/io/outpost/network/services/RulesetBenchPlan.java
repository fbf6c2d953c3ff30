package io.outpost.network.services;

import io.outpost.network.site.Ipv4Range;
import io.outpost.protocol.EndpointSliceV1;
import io.outpost.protocol.EndpointSliceV1.EndpointPortV1;
import io.outpost.protocol.EndpointSliceV1.EndpointV1;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.ServiceV1;
import io.outpost.protocol.ServiceV1.ServicePortV1;
import io.outpost.store.StoredSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The benchmark's way into the node's Service planner and nftables renderer (package-private in the bundle): a site
 * with {@code services} ClusterIP Services of {@code endpoints} ready endpoints each, spread over ten nodes, as the
 * store would hold them, planned and rendered exactly as the node's Service proxy does.
 */
public final class RulesetBenchPlan {
  private static final List<Ipv4Range> SITE = List.of(Ipv4Range.parse("10.60.0.0/16"));

  private RulesetBenchPlan() {}

  /** The nft script for the site; {@code generation} changes one endpoint of the first Service (a Service change). */
  public static String render(int services, int endpoints, int generation) {
    return ruleset(services, endpoints, generation).script();
  }

  /** The changes from generation {@code from} to {@code to}, as the node's Service proxy applies them. */
  public static String delta(int services, int endpoints, int from, int to) {
    return NftDelta.between(ruleset(services, endpoints, from), ruleset(services, endpoints, to))
        .orElseThrow(() -> new IllegalStateException("no delta between generations " + from + " and " + to));
  }

  private static NftRuleset ruleset(int services, int endpoints, int generation) {
    List<StoredSpec<ServiceV1>> specs = new ArrayList<>(services);
    List<StoredSpec<EndpointSliceV1>> slices = new ArrayList<>(services);
    for (int s = 0; s < services; s++) {
      String name = "svc-" + s;
      String clusterIp = "10.96." + (s / 250) + "." + (s % 250 + 1);
      specs.add(new StoredSpec<>(new ObjectRef("Service", "bench", name, "uid-" + name, "1"),
          new ServiceV1(s % 10 == 0 ? "NodePort" : "ClusterIP", List.of(clusterIp),
              List.of(new ServicePortV1("http", "TCP", 80, "8080", s % 10 == 0 ? 30000 + s : null)),
              s % 7 == 0 ? "ClientIP" : null, s % 7 == 0 ? 10800 : null, null, null, false, null)));
      List<EndpointV1> list = new ArrayList<>(endpoints);
      for (int e = 0; e < endpoints; e++) {
        int node = e % 10;
        int host = (s * endpoints + e) % 250 + 2 + (s == 0 && e == 0 ? generation % 3 : 0);
        list.add(new EndpointV1(List.of("10.60." + node + "." + host), true, true, false, "edge-" + node, null,
            name + "-" + e));
      }
      slices.add(new StoredSpec<>(new ObjectRef("EndpointSlice", "bench", name + "-x", "uid-s" + name, "1"),
          new EndpointSliceV1(name, "IPv4", List.of(new EndpointPortV1("http", "TCP", 8080)), list)));
    }
    Plan plan = ServicePlanner.plan(new ProxyInput(specs, slices, null, SITE, Set.of("192.0.2.10"),
        ProxySettings.defaults("edge-0"), Set.of()));
    if (!plan.refused().isEmpty()) {
      throw new IllegalStateException("the benchmark's Services were refused: " + plan.refused());
    }
    return NftScript.ruleset(plan, SITE, "edge-0");
  }
}
