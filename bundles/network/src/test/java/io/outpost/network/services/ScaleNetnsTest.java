package io.outpost.network.services;

import static io.outpost.network.NetLab.in;
import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.network.NetLab;
import io.outpost.network.site.Ipv4Range;
import io.outpost.protocol.EndpointSliceV1;
import io.outpost.protocol.EndpointSliceV1.EndpointPortV1;
import io.outpost.protocol.EndpointSliceV1.EndpointV1;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.ServiceV1;
import io.outpost.protocol.ServiceV1.ServicePortV1;
import io.outpost.store.StoredSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** 1,000 Services of 10 endpoints each (the benchmark size) render and apply as one nft transaction. */
class ScaleNetnsTest {
  @TempDir Path dir;

  @Test
  void aThousandServicesOfTenEndpointsApplyInOneTransaction() throws Exception {
    List<StoredSpec<ServiceV1>> services = new ArrayList<>();
    List<StoredSpec<EndpointSliceV1>> slices = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      String name = "svc-" + i;
      String clusterIp = "10.96." + (i / 250) + "." + (i % 250 + 1);
      services.add(new StoredSpec<>(new ObjectRef("Service", "bench", name, "u" + i, "1"), new ServiceV1(
          i % 2 == 0 ? "ClusterIP" : "NodePort", List.of(clusterIp), List.of(new ServicePortV1("http", "TCP", 80,
          "8080", i % 2 == 0 ? null : 30000 + i)), null, null, null, null, false, null)));
      List<EndpointV1> endpoints = new ArrayList<>();
      for (int e = 0; e < 10; e++) {
        endpoints.add(new EndpointV1(List.of("10.244." + (e + 1) + "." + (i % 250 + 1)), true, true, false,
            "edge-" + e, null, name + "-" + e));
      }
      slices.add(new StoredSpec<>(new ObjectRef("EndpointSlice", "bench", name + "-1", "s" + i, "1"),
          new EndpointSliceV1(name, "IPv4", List.of(new EndpointPortV1("http", "TCP", 8080)), endpoints)));
    }
    List<Ipv4Range> ranges = List.of(Ipv4Range.parse("10.244.0.0/16"));
    long renderStart = System.nanoTime();
    Plan plan = ServicePlanner.plan(new ProxyInput(services, slices, null, ranges, Set.of(),
        ProxySettings.defaults("edge-0"), Set.of()));
    String script = NftScript.render(plan, ranges, "edge-0");
    long renderMillis = (System.nanoTime() - renderStart) / 1_000_000;

    try (NetLab lab = new NetLab(dir)) {
      String node = lab.namespace("scale");
      long applyStart = System.nanoTime();
      in(node).run(script, List.of("nft", "-f", "-"));
      long firstApply = (System.nanoTime() - applyStart) / 1_000_000;
      applyStart = System.nanoTime();
      in(node).run(script, List.of("nft", "-f", "-"));
      long replaceApply = (System.nanoTime() - applyStart) / 1_000_000;
      System.out.printf("1000 Services x 10 endpoints: script %d KiB, render %d ms, first apply %d ms, "
          + "replacing apply %d ms%n", script.length() / 1024, renderMillis, firstApply, replaceApply);

      assertThat(plan.ports()).hasSize(1000);
      String chains = in(node).run("nft", "list", "chains", "ip");
      assertThat(chains.lines().filter(l -> l.contains("chain ep-"))).hasSize(10_000);
      assertThat(in(node).run("nft", "list", "map", "ip", "outpost", "service-nodeports"))
          .contains("tcp . 30999 : goto ext-bench-svc-999-tcp80-");
    }
  }
}
