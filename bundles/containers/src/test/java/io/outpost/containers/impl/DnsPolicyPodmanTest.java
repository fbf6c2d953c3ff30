package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.protocol.DnsConfigV1;
import io.outpost.protocol.DnsConfigV1.OptionV1;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.SecurityV1;
import io.outpost.testing.Podman;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Each {@code dnsPolicy} read back from the real containers' {@code /etc/resolv.conf} on Podman 4.3, against a node
 * resolv.conf of the test's own: what a kubelet (dns.go) with containerd writes, in every container of the pod.
 */
class DnsPolicyPodmanTest extends SiteNetworkFixture {
  private static final String NODE_FILE = "# the node's resolvers\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n"
      + "search corp.example lab.example\noptions timeout:2 attempts:3\n";
  private static final String NODE_CONTENT = "search corp.example lab.example\nnameserver 192.0.2.53\n"
      + "nameserver 192.0.2.54\noptions timeout:2 attempts:3\n";

  @BeforeEach
  void nodeResolvConf() throws Exception {
    Path file = Files.writeString(dir.resolve(node).resolve("resolv.conf"), NODE_FILE);
    reconciler.close();
    reconciler = new Reconciler(new Settings(node, podman.host(), Duration.ofSeconds(10))
        .withInfra(Podman.TEST_IMAGE, List.of("sleep", "2147483647")).withVolumes(volumes, List.of(allowed))
        .withSecurity(new NodeSecurity(false, true, false, false, List.of(), true, NodeSecurity.defaultSeccompDir()))
        .withResolvConf(file), store, engine, Clock.systemUTC(), () -> { }, null, java.util.Map::of,
        () -> podNetwork);
  }

  private ObjectRef run(String policy, boolean hostNetwork, DnsConfigV1 dnsConfig) {
    SecurityV1.PodSecurityV1 security = hostNetwork ? new SecurityV1.PodSecurityV1(null, null, null, null, null, null,
        null, null, true, null, null, null, null) : null;
    ObjectRef ref = new ObjectRef("Pod", "shop", "dns", UUID.randomUUID().toString(), "1");
    store.put(ref, new PodV1(node, "Always", 1L, null, null, List.of(sleeper("app"), sleeper("sidecar")), null, null,
        null, null, null, null, security, null, null, null, null, null, null, null, policy, dnsConfig, null));
    reconcileUntil(ref.uid(), s -> "Running".equals(s.phase())
        && s.containers().stream().allMatch(c -> "running".equals(c.state().kind())));
    return ref;
  }

  private static ContainerV1 sleeper(String name) {
    return new ContainerV1(name, Podman.TEST_IMAGE, "IfNotPresent", List.of("sh", "-c", "exec sleep 3600"), null, null,
        null);
  }

  /** The pod's /etc/resolv.conf, the same in each of its containers and in the node's file for the pod. */
  private String resolvConf(ObjectRef ref) throws Exception {
    String app = Podman.cli("exec", containerId(ref, "app"), "cat", "/etc/resolv.conf");
    assertThat(Podman.cli("exec", containerId(ref, "sidecar"), "cat", "/etc/resolv.conf")).isEqualTo(app);
    assertThat(volumes.resolve(ResolvConf.DIR).resolve(ref.uid())).hasContent(app);
    return app;
  }

  private static String cluster(String dns) {
    return "search shop.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example\nnameserver " + dns
        + "\noptions ndots:5\n";
  }

  @Test
  void clusterFirstPodsAskTheClusterDnsServerWithTheClusterSearchList() throws Exception {
    TestNetwork network = network(null);
    String dns = network.gateway();
    podNetwork = new TestNetwork(network.engineNetwork(), network.bridge(), network.subnet(), network.gateway(), dns);
    assertThat(resolvConf(run(null, false, null))).isEqualTo(cluster(dns));
    assertThat(store.events).noneMatch(e -> "MissingClusterDNS".equals(e.reason()));
  }

  @Test
  void clusterFirstOnTheHostsNetworkGetsTheNodesResolversAndClusterFirstWithHostNetTheClusters() throws Exception {
    podNetwork = network("10.250.0.10");
    assertThat(resolvConf(run("ClusterFirst", true, null))).isEqualTo(NODE_CONTENT);
    assertThat(resolvConf(run("ClusterFirstWithHostNet", true, null))).isEqualTo(cluster("10.250.0.10"));
  }

  @Test
  void defaultGetsTheNodesResolvers() throws Exception {
    podNetwork = network("10.250.0.10");
    assertThat(resolvConf(run("Default", false, null))).isEqualTo(NODE_CONTENT);
  }

  @Test
  void noneGetsOnlyItsDnsConfig() throws Exception {
    ObjectRef ref = run("None", false, new DnsConfigV1(List.of("10.9.9.9"), List.of("custom.example"),
        List.of(new OptionV1("ndots", "2"), new OptionV1("edns0", null))));
    assertThat(resolvConf(ref)).isEqualTo("search custom.example\nnameserver 10.9.9.9\noptions ndots:2 edns0\n");
  }

  @Test
  void withoutClusterDnsClusterFirstFallsBackToTheNodesResolversWithTheKubeletsWarning() throws Exception {
    ObjectRef ref = run("ClusterFirst", false, new DnsConfigV1(null, List.of("extra.example"), null));
    assertThat(resolvConf(ref)).isEqualTo("search corp.example lab.example extra.example\nnameserver 192.0.2.53\n"
        + "nameserver 192.0.2.54\noptions timeout:2 attempts:3\n");
    assertThat(store.events).filteredOn(e -> "MissingClusterDNS".equals(e.reason())).singleElement().satisfies(e -> {
      assertThat(e.type()).isEqualTo("Warning");
      assertThat(e.message()).isEqualTo("pod: \"dns_shop(" + ref.uid() + ")\". kubelet does not have ClusterDNS IP"
          + " configured and cannot create Pod using \"ClusterFirst\" policy. Falling back to \"Default\" policy.");
    });
  }

  @Test
  void whatAContainerWritesToItsResolvConfIsNotWhatTheNextContainerGets() throws Exception {
    ObjectRef ref = new ObjectRef("Pod", "shop", "dns", UUID.randomUUID().toString(), "1");
    store.put(ref, new PodV1(node, "Always", 1L, null, null, List.of(sleeper("app")), List.of(new ContainerV1("tamper",
        Podman.TEST_IMAGE, "IfNotPresent", List.of("sh", "-c", "echo 'nameserver 6.6.6.6' >> /etc/resolv.conf"),
        null, null, null)), null, null, null, null, null, null, null, null, null, null, null, null, null, "Default",
        null, null));
    reconcileUntil(ref.uid(), s -> "running".equals(s.containers().get(0).state().kind()));
    assertThat(Podman.cli("exec", containerId(ref, "app"), "cat", "/etc/resolv.conf")).isEqualTo(NODE_CONTENT);
    assertThat(Files.readString(dir.resolve(node).resolve("resolv.conf"))).as("the node's own file is untouched")
        .isEqualTo(NODE_FILE);
  }
}
