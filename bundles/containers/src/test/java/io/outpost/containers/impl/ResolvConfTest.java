package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.protocol.DnsConfigV1;
import io.outpost.protocol.DnsConfigV1.OptionV1;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.SecurityV1;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pod's resolv.conf as the kubelet forms it (dns.go {@code GetPodDNS}: policies, dnsConfig merge, limits and their
 * Events) and containerd writes it.
 */
class ResolvConfTest {
  private static final ObjectRef REF = new ObjectRef("Pod", "shop", "web", "uid-1", "1");

  @TempDir
  Path dir;
  private Path nodeFile;
  private ResolvConf resolv;
  private final List<String> events = new ArrayList<>();

  @BeforeEach
  void setUp() throws IOException {
    nodeFile = Files.writeString(dir.resolve("resolv.conf"), "# the node's\nnameserver 192.0.2.53\n"
        + "search corp.example lab.example.\noptions timeout:2 attempts:3\nnameserver 192.0.2.54\n");
    resolv = new ResolvConf(dir.resolve("volumes"), "cluster.local", nodeFile);
  }

  static PodV1 pod(String policy, boolean hostNetwork, DnsConfigV1 dnsConfig) {
    SecurityV1.PodSecurityV1 security = hostNetwork ? new SecurityV1.PodSecurityV1(null, null, null, null, null, null,
        null, null, true, null, null, null, null) : null;
    return new PodV1("node", "Always", 1L, null, null, List.of(), null, null, null, null, null, null, security, null,
        null, null, null, null, null, null, policy, dnsConfig, null);
  }

  private String text(PodV1 pod, String clusterDns) throws IOException {
    return resolv.config(REF, pod, clusterDns, (reason, message) -> events.add(reason + ": " + message)).text();
  }

  @Test
  void clusterFirstGetsTheClusterServerTheClusterSearchListThenTheNodesAndNdots5() throws IOException {
    assertThat(text(pod(null, false, null), "10.42.1.1")).isEqualTo("""
        search shop.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example
        nameserver 10.42.1.1
        options ndots:5
        """);
    assertThat(events).isEmpty();
  }

  @Test
  void defaultAndClusterFirstOnTheHostsNetworkGetTheNodesResolvers() throws IOException {
    String node = """
        search corp.example lab.example
        nameserver 192.0.2.53
        nameserver 192.0.2.54
        options timeout:2 attempts:3
        """;
    assertThat(text(pod("Default", false, null), "10.42.1.1")).isEqualTo(node);
    assertThat(text(pod("ClusterFirst", true, null), "10.42.1.1")).isEqualTo(node);
    assertThat(text(pod("ClusterFirstWithHostNet", true, null), "10.42.1.1")).startsWith(
        "search shop.svc.cluster.local").contains("nameserver 10.42.1.1\n");
    assertThat(events).isEmpty();
  }

  @Test
  void withoutClusterDnsClusterFirstFallsBackToDefaultWithTheKubeletsEvent() throws IOException {
    assertThat(text(pod("ClusterFirst", false, null), null)).startsWith("search corp.example lab.example\n");
    assertThat(events).containsExactly("MissingClusterDNS: pod: \"web_shop(uid-1)\". kubelet does not have ClusterDNS IP"
        + " configured and cannot create Pod using \"ClusterFirst\" policy. Falling back to \"Default\" policy.");
    events.clear();
    text(pod("Default", false, null), null);
    assertThat(events).as("Default never asks for cluster DNS").isEmpty();
  }

  @Test
  void noneTakesOnlyDnsConfigAndDnsConfigIsMergedAsTheKubeletMergesIt() throws IOException {
    DnsConfigV1 config = new DnsConfigV1(List.of("10.9.9.9", "192.0.2.53"), List.of("extra.example", "svc.cluster.local"),
        List.of(new OptionV1("ndots", "2"), new OptionV1("edns0", null)));
    assertThat(text(pod("None", false, config), "10.42.1.1")).isEqualTo("""
        search extra.example svc.cluster.local
        nameserver 10.9.9.9
        nameserver 192.0.2.53
        options ndots:2 edns0
        """);
    assertThat(text(pod("ClusterFirst", false, config), "10.42.1.1")).isEqualTo("""
        search shop.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example extra.example
        nameserver 10.42.1.1
        nameserver 10.9.9.9
        nameserver 192.0.2.53
        options ndots:2 edns0
        """);
    assertThat(text(pod("Default", false, config), null)).as("de-duplicated, options overridden by name in place")
        .isEqualTo("""
        search corp.example lab.example extra.example svc.cluster.local
        nameserver 192.0.2.53
        nameserver 192.0.2.54
        nameserver 10.9.9.9
        options timeout:2 attempts:3 ndots:2 edns0
        """);
    assertThat(events).as("three nameservers after de-duplication: within the limit").isEmpty();
  }

  @Test
  void limitsCutNameserversToThreeAndTheSearchLineAsTheKubeletDoesWithAnEvent() throws IOException {
    DnsConfigV1 many = new DnsConfigV1(List.of("10.0.0.1", "10.0.0.2", "10.0.0.3"),
        IntStream.range(0, 40).mapToObj(i -> "d" + i + ".example").toList(), null);
    String text = text(pod("ClusterFirst", false, many), "10.42.1.1");
    assertThat(text).contains("nameserver 10.42.1.1\nnameserver 10.0.0.1\nnameserver 10.0.0.2\n")
        .doesNotContain("10.0.0.3");
    String search = text.lines().filter(l -> l.startsWith("search ")).findFirst().orElseThrow();
    assertThat(search.split(" ")).hasSize(1 + ResolvConf.MAX_SEARCHES);
    assertThat(events).containsExactly("DNSConfigForming: Nameserver limits were exceeded, some nameservers have been"
        + " omitted, the applied nameserver line is: 10.42.1.1 10.0.0.1 10.0.0.2", "DNSConfigForming: Search Line"
        + " limits were exceeded, some search paths have been omitted, the applied search line is: "
        + search.substring("search ".length()));

    String longDomain = "a".repeat(60) + "." + "b".repeat(60) + "." + "c".repeat(60) + "." + "d".repeat(60);
    List<String> longOnes = IntStream.range(0, 10).mapToObj(i -> i + longDomain.substring(2)).toList();
    String cut = text(pod("None", false, new DnsConfigV1(List.of("10.0.0.1"), longOnes, null)), null);
    String line = cut.lines().filter(l -> l.startsWith("search ")).findFirst().orElseThrow();
    assertThat(line.length() - "search ".length()).isLessThanOrEqualTo(ResolvConf.MAX_SEARCH_CHARS);
    assertThat(line.split(" ")).as("cut from the end").hasSize(1 + 8);
  }

  @Test
  void theNodeFileIsReadAsTheKubeletReadsIt() throws IOException {
    ResolvConf.Config parsed = ResolvConf.parse("nameserver 1.1.1.1\nsearch a b\nsearch c. .\noptions x\n"
        + "  # comment\noptions ndots:1 rotate\ndomain ignored\n");
    assertThat(parsed.nameservers()).containsExactly("1.1.1.1");
    assertThat(parsed.searches()).as("the last line wins, trailing dot dropped").containsExactly("c");
    assertThat(parsed.options()).containsExactly("ndots:1", "rotate");
    assertThatThrownBy(() -> ResolvConf.parse("nameserver\n")).hasMessage("nameserver list is empty");
  }

  @Test
  void anEmptyConfigurationCopiesTheNodesFileAsContainerdDoesAndEveryContainerMountsThePodsFile() throws Exception {
    PodV1 none = pod("None", false, new DnsConfigV1(null, null, null));
    List<Volumes.Mount> mounts = resolv.withResolvConf(REF, none, new PodV1.ContainerV1("app", "img", null, null, null,
        null, null), ResolvConf.NONE, List.of());
    assertThat(mounts).singleElement().satisfies(m -> {
      assertThat(m.target()).isEqualTo("/etc/resolv.conf");
      assertThat(m.readOnly()).isFalse();
      assertThat(Path.of(m.source())).hasContent(Files.readString(nodeFile));
    });
    assertThat(resolv.withResolvConf(REF, none, new PodV1.ContainerV1("app", "img", null, null, null, null, null),
        null, List.of())).as("a sandbox from before: the engine's own file").isEmpty();
    ResolvConf.remove(dir.resolve("volumes"), REF.uid());
    assertThat(dir.resolve("volumes").resolve(ResolvConf.DIR).resolve(REF.uid())).doesNotExist();
  }

  @Test
  void aNodeFileThatCannotBeReadFailsLikeTheKubeletsSandbox() throws IOException {
    Files.delete(nodeFile);
    assertThatThrownBy(() -> text(pod("None", false, new DnsConfigV1(List.of("10.0.0.1"), null, null)), null))
        .isInstanceOf(IOException.class);
  }
}
