package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.PodV1.HostAliasV1;
import io.outpost.protocol.SecurityV1;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hosts file as kubelet_pods.go {@code managedHostsFileContent}/{@code nodeHostsFileContent} write it. */
class EtcHostsTest {
  private static final ObjectRef REF = new ObjectRef("Pod", "shop", "web-0", "uid-1", "5");
  private static final ContainerV1 APP = new ContainerV1("app", "img", "IfNotPresent", null, null, null, null);

  @TempDir
  Path dir;

  private static PodV1 pod(String hostname, String subdomain, boolean hostNetwork, List<HostAliasV1> aliases) {
    SecurityV1.PodSecurityV1 security = hostNetwork ? new SecurityV1.PodSecurityV1(null, null, null, null, null, null,
        null, null, true, null, null, null, null) : null;
    return new PodV1("edge", "Always", 30L, null, null, List.of(APP), null, null, null, hostname, subdomain, null,
        security, null, null, aliases, null, null, null, null);
  }

  @Test
  void withoutSubdomainThePodIpCarriesTheHostnameAlone() throws Exception {
    EtcHosts hosts = new EtcHosts(dir, "cluster.local", dir.resolve("unused"));
    assertThat(hosts.content(REF, pod(null, null, false, null), "10.88.0.7")).isEqualTo(
        "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
            + "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n"
            + "10.88.0.7\tweb-0\n");
  }

  @Test
  void aHostNetworkPodGetsTheNodesHostsFileUnderItsOwnHeaderPlusItsAliases() throws Exception {
    Path node = Files.writeString(dir.resolve("hosts"), "127.0.0.1 localhost\n192.0.2.9 edge-1\n");
    EtcHosts hosts = new EtcHosts(dir, "cluster.local", node);
    assertThat(hosts.content(REF, pod(null, null, true, List.of(new HostAliasV1("10.1.2.3", List.of("a", "b")))),
        "192.0.2.9")).isEqualTo("# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n"
            + "192.0.2.9 edge-1\n\n# Entries added by HostAliases.\n10.1.2.3\ta\tb\n");
  }

  @Test
  void theFileIsMountedOnlyOnceThePodHasAnIpAndNotOverAContainersOwnMount() throws Exception {
    EtcHosts hosts = new EtcHosts(dir, "cluster.local", dir.resolve("unused"));
    PodV1 pod = pod("web", "svc", false, null);
    assertThat(hosts.withHostsFile(REF, pod, APP, null, List.of())).isEmpty();
    List<Volumes.Mount> own = List.of(new Volumes.Mount("/x", "/etc/hosts/", true));
    assertThat(hosts.withHostsFile(REF, pod, APP, "10.88.0.7", own)).isEqualTo(own);
    assertThat(hosts.withHostsFile(REF, pod, APP, "10.88.0.7", List.of())).containsExactly(new Volumes.Mount(
        dir.resolve(".etc-hosts").resolve("uid-1").toString(), "/etc/hosts", false));
    assertThat(Files.readString(dir.resolve(".etc-hosts").resolve("uid-1")))
        .contains("10.88.0.7\tweb.svc.shop.svc.cluster.local\tweb\n");
  }
}
