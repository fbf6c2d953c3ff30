package io.outpost.bridge.site;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.outpost.bridge.config.PodNetworks;
import io.outpost.bridge.net.Cidr;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Site membership, LAN addresses and the order in which a node's pod range is chosen. */
class SitesTest {
  private final Map<String, Node> nodes = new LinkedHashMap<>();

  private void node(String name, String site, String... podCIDRs) {
    NodeBuilder node = new NodeBuilder().withNewMetadata().withName(name)
        .withLabels(site == null ? Map.of() : Map.of("outpost.io/site", site)).endMetadata();
    nodes.put(name, podCIDRs.length == 0 ? node.build() : node.withNewSpec().withPodCIDR(podCIDRs[0])
        .withPodCIDRs(List.of(podCIDRs)).endSpec().build());
  }

  private Sites sites(String... env) {
    Map<String, String> settings = new java.util.HashMap<>();
    for (int i = 0; i < env.length; i += 2) {
      settings.put(env[i], env[i + 1]);
    }
    return new Sites(PodNetworks.from(settings), nodes::get, nodes::values);
  }

  @Test
  void specFirstThenTheOperatorsNodeEntryThenTheSitePoolThenTheDefault() {
    node("edge-1", "site-17", "10.244.1.0/24");
    node("edge-2", "site-17");
    node("edge-3", "site-99");
    node("edge-4", null);
    node("edge-5", "site-17");
    Sites sites = sites("OUTPOST_NODE_POD_CIDRS", "edge-1=10.42.1.0/24;edge-5=10.42.5.0/24",
        "OUTPOST_SITE_POD_CIDRS", "site-17=10.17.0.0/16", "OUTPOST_POD_CIDRS", "10.88.0.0/16");
    assertThat(sites.range("edge-1").cidrs()).as("the Node's own, set once").containsExactly(
        Cidr.parse("10.244.1.0/24"));
    assertThat(sites.range("edge-5").cidrs()).containsExactly(Cidr.parse("10.42.5.0/24"));
    assertThat(sites.range("edge-5").source()).isEqualTo("OUTPOST_NODE_POD_CIDRS");
    assertThat(sites.range("edge-2").pending()).as("a block of the pool is being allocated").isTrue();
    assertThat(sites.range("edge-2").cidrs()).isEmpty();
    assertThat(sites.range("edge-3").cidrs()).as("a site without a pool").containsExactly(Cidr.parse("10.88.0.0/16"));
    assertThat(sites.range("edge-4").source()).isEqualTo("OUTPOST_POD_CIDRS");

    sites.recorded("edge-2", List.of(Cidr.parse("10.17.0.0/24")));
    assertThat(sites.range("edge-2").cidrs()).containsExactly(Cidr.parse("10.17.0.0/24"));
    assertThat(sites.range("edge-2").source()).contains("site-17");
    sites.settled("edge-2");
    assertThat(sites.unallocatable("edge-2", "pool 10.17.0.0/16 exhausted")).isTrue();
    assertThat(sites.unallocatable("edge-2", "pool 10.17.0.0/16 exhausted")).as("said once").isFalse();
    assertThat(sites.range("edge-2").cidrs()).containsExactly(Cidr.parse("10.88.0.0/16"));
    assertThat(sites.range("edge-2").source()).contains("exhausted");
    assertThat(sites("OUTPOST_SITE_POD_CIDRS", "site-17=10.17.0.0/16").range("edge-4"))
        .isSameAs(Sites.PodRange.NONE);
  }

  @Test
  void membersAreTheNodesWithTheSameLabelValueAndEndpointsOfANodeWithoutASiteAreItsOwn() {
    node("a-2", "a");
    node("a-1", "a");
    node("b-1", "b");
    node("lone", null);
    Sites sites = sites();
    assertThat(sites.members("a")).extracting(n -> n.getMetadata().getName()).containsExactly("a-1", "a-2");
    assertThat(sites.members(null)).isEmpty();
    assertThat(sites.endpointNodes("a-1")).containsExactlyInAnyOrder("a-1", "a-2");
    assertThat(sites.endpointNodes("lone")).containsExactly("lone");
    assertThat(sites.siteOf("b-1")).isEqualTo("b");
  }

  @Test
  void lanAddressesAreIpLiteralsInternalFirst() {
    Node node = new NodeBuilder().withNewMetadata().withName("n").endMetadata().withNewStatus()
        .addNewAddress("203.0.113.5", "ExternalIP").addNewAddress("n.example", "InternalIP")
        .addNewAddress("192.0.2.5", "InternalIP").addNewAddress("n", "Hostname")
        .addNewAddress("fd00::5", "InternalIP").addNewAddress("192.0.2.5", "ExternalIP").endStatus().build();
    assertThat(Sites.lanAddresses(node, 8)).containsExactly("192.0.2.5", "fd00::5", "203.0.113.5");
    assertThat(Sites.lanAddresses(node, 1)).containsExactly("192.0.2.5");
  }
}
