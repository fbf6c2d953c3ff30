package io.outpost.bridge.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.outpost.bridge.config.PodNetworks;
import io.outpost.bridge.net.Cidr;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Pod address ranges: CIDR and IP literal parsing (IPv4, IPv6), their configuration, and which range a node has. */
class PodAddressRangesTest {

  @Test
  void ipv4RangesContainTheirAddressesOnly() {
    Cidr range = Cidr.parse("10.42.7.0/24");
    assertThat(range.contains("10.42.7.0")).isTrue();
    assertThat(range.contains("10.42.7.255")).isTrue();
    assertThat(range.contains("10.42.8.0")).isFalse();
    assertThat(range.contains("10.42.6.255")).isFalse();
    assertThat(range.contains("::ffff:10.42.7.1")).as("IPv4-mapped IPv6 is not an IPv4 address here").isFalse();
    assertThat(range.contains("fd00::1")).isFalse();
    assertThat(Cidr.parse("0.0.0.0/0").contains("203.0.113.9")).isTrue();
    assertThat(Cidr.parse("192.0.2.17/32").contains("192.0.2.17")).isTrue();
    assertThat(Cidr.parse("192.0.2.17/32").contains("192.0.2.16")).isFalse();
    assertThat(Cidr.parse("10.42.0.0/15").contains("10.43.255.1")).as("a prefix that is not a byte boundary")
        .isTrue();
    assertThat(Cidr.parse("10.42.0.0/15").contains("10.44.0.1")).isFalse();
    assertThat(range).hasToString("10.42.7.0/24");
  }

  @Test
  void ipv6RangesContainTheirAddressesOnly() {
    Cidr range = Cidr.parse("fd00:42:7::/64");
    assertThat(range.ipv6()).isTrue();
    assertThat(range.contains("fd00:42:7::1")).isTrue();
    assertThat(range.contains("FD00:42:7:0:ffff:ffff:ffff:ffff")).isTrue();
    assertThat(range.contains("fd00:42:8::1")).isFalse();
    assertThat(range.contains("10.42.7.1")).as("the other family").isFalse();
    assertThat(Cidr.parse("2001:db8::/33").contains("2001:db8:7fff::1")).isTrue();
    assertThat(Cidr.parse("2001:db8::/33").contains("2001:db8:8000::1")).isFalse();
    assertThat(Cidr.parse("::/0").contains("2001:db8::1")).isTrue();
    assertThat(Cidr.parse("::/0").contains("192.0.2.1")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"10.42.7.1.nip.io", "localhost", "", " ", "10.42.7", "10.42.7.1.5", "10.42.7.256",
      "010.42.7.1", "10.42.7.01", "::ffff:10.42.7.1", "fe80::1%eth0", "[fd00::1]", "fd00:::1", "1:2:3:4:5:6:7:8:9",
      "10.42.7.1 ", "0x0a.42.7.1", "4294967295"})
  void onlyStrictLiteralsAreAddressesAndNothingIsResolved(String text) {
    assertThat(Cidr.address(text)).as("'%s'", text).isEmpty();
  }

  @Test
  void validLiteralsOfBothFamiliesAreAddresses() {
    assertThat(Cidr.address("10.88.0.5")).hasValueSatisfying(a -> assertThat(a).hasSize(4));
    assertThat(Cidr.address("0.0.0.0")).hasValueSatisfying(a -> assertThat(a).hasSize(4));
    assertThat(Cidr.address("fd00::5")).hasValueSatisfying(a -> assertThat(a).hasSize(16));
    assertThat(Cidr.address("::")).hasValueSatisfying(a -> assertThat(a).hasSize(16));
    assertThat(Cidr.address("64:ff9b::192.0.2.1")).hasValueSatisfying(a -> assertThat(a).hasSize(16));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "10.42.7.0|not a CIDR",
      "10.42.7.1/24|host bits set; the network is 10.42.7.0/24",
      "10.42.7.0/33|invalid prefix length (0-32)",
      "fd00::/129|invalid prefix length (0-128)",
      "fd00::1/64|host bits set",
      "10.42.7.0/024|invalid prefix length",
      "10.42.7.0/-1|invalid prefix length",
      "edge.example/24|does not start with an IPv4 or IPv6 address"})
  void invalidRangesAreRefusedWithTheReason(String text, String reason) {
    assertThatThrownBy(() -> Cidr.parse(text)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(reason);
  }

  @Test
  void aNodesSpecPodCidrWithHostBitsIsReadAsItsNetwork() {
    assertThat(Cidr.parse("10.244.1.5/24", false)).isEqualTo(Cidr.parse("10.244.1.0/24"));
  }

  private static Map<String, String> env(String... pairs) {
    Map<String, String> env = new HashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      env.put(pairs[i], pairs[i + 1]);
    }
    return env;
  }

  @Test
  void settingsNameTheKeyAndTheEntryThatIsWrong() {
    assertThatThrownBy(() -> PodNetworks.from(env("OUTPOST_POD_CIDRS", "10.88.0.0/16,10.89.0.0/16")))
        .hasMessageContaining("OUTPOST_POD_CIDRS").hasMessageContaining("at most one range per IP family");
    assertThatThrownBy(() -> PodNetworks.from(env("OUTPOST_NODE_POD_CIDRS", "edge-1=10.42.1.0/24;edge-2=10.42.2.1/24")))
        .hasMessageContaining("OUTPOST_NODE_POD_CIDRS (edge-2)").hasMessageContaining("host bits set");
    assertThatThrownBy(() -> PodNetworks.from(env("OUTPOST_NODE_POD_CIDRS", "10.42.1.0/24")))
        .hasMessageContaining("OUTPOST_NODE_POD_CIDRS entry '10.42.1.0/24' must be name=cidr");
    assertThatThrownBy(() -> PodNetworks.from(env("OUTPOST_SITE_POD_CIDRS", "s1=10.1.0.0/16;s1=10.2.0.0/16")))
        .hasMessageContaining("OUTPOST_SITE_POD_CIDRS: 's1' needs exactly one entry");
    assertThatThrownBy(() -> PodNetworks.from(env("OUTPOST_SITE_POD_CIDRS", "s1=")))
        .hasMessageContaining("'s1' needs exactly one entry with a range");
    assertThatThrownBy(() -> PodNetworks.from(env("OUTPOST_SITE_LABEL", "not a label")))
        .hasMessageContaining("OUTPOST_SITE_LABEL 'not a label'");
    assertThat(PodNetworks.from(env()).none()).isTrue();
    assertThat(PodNetworks.from(env("OUTPOST_POD_CIDRS", " 10.88.0.0/16 , fd00:88::/64 ")).defaults())
        .containsExactly(Cidr.parse("10.88.0.0/16"), Cidr.parse("fd00:88::/64"));
  }

  private static Node node(String name, String site, String... podCIDRs) {
    NodeBuilder node = new NodeBuilder().withNewMetadata().withName(name)
        .withLabels(site == null ? Map.of() : Map.of("outpost.io/site", site)).endMetadata();
    return podCIDRs.length == 0 ? node.build() : node.withNewSpec().withPodCIDR(podCIDRs[0])
        .withPodCIDRs(List.of(podCIDRs)).endSpec().build();
  }

  @Test
  void theNodesOwnRangeComesFirstThenItsSitesThenTheClustersThenTheDefault() {
    PodNetworks networks = PodNetworks.from(env("OUTPOST_NODE_POD_CIDRS", "edge-1=10.42.1.0/24",
        "OUTPOST_SITE_POD_CIDRS", "site-17=10.17.0.0/16", "OUTPOST_POD_CIDRS", "10.88.0.0/16"));
    Map<String, Node> nodes = Map.of(
        "edge-1", node("edge-1", "site-17", "10.244.1.0/24"),
        "edge-2", node("edge-2", "site-17", "10.244.2.0/24"),
        "edge-3", node("edge-3", "site-99", "10.244.3.0/24", "fd00:244:3::/64"),
        "edge-4", node("edge-4", null));
    PodAddressRanges ranges = new PodAddressRanges(networks, nodes::get);
    assertThat(ranges.of("edge-1").cidrs()).containsExactly(Cidr.parse("10.42.1.0/24"));
    assertThat(ranges.of("edge-2").cidrs()).containsExactly(Cidr.parse("10.17.0.0/16"));
    assertThat(ranges.of("edge-2").source()).contains("site-17");
    assertThat(ranges.of("edge-3").cidrs()).containsExactly(Cidr.parse("10.244.3.0/24"),
        Cidr.parse("fd00:244:3::/64"));
    assertThat(ranges.of("edge-3").source()).isEqualTo("the Node's spec.podCIDRs");
    assertThat(ranges.of("edge-4").cidrs()).containsExactly(Cidr.parse("10.88.0.0/16"));
    assertThat(ranges.of("unknown").cidrs()).containsExactly(Cidr.parse("10.88.0.0/16"));

    PodAddressRanges none = new PodAddressRanges(PodNetworks.NONE, nodes::get);
    assertThat(none.of("edge-4").cidrs()).as("nothing configured, nothing assigned: no address accepted").isEmpty();
    assertThat(none.of("edge-3").contain(Cidr.address("fd00:244:3::9").orElseThrow())).isTrue();
  }
}
