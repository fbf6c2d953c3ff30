package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The kubelet's hostname rules (GeneratePodHostNameAndDomain, GetNodenameForKernel), case by case. */
class PodHostnameTest {
  private static final List<ContainerV1> APP = List.of(new ContainerV1("app", "img", null, null, null, null, null));

  private static ObjectRef ref(String name) {
    return new ObjectRef("Pod", "shop", name, "uid-1", "1");
  }

  private static PodV1 pod(String hostname, String subdomain, Boolean fqdn) {
    return new PodV1("edge-1", "Always", 30L, null, null, APP, null, null, null, hostname, subdomain, fqdn);
  }

  @Test
  void thePodNameUnlessTheSpecNamesAHostname() throws Exception {
    assertThat(PodHostname.of(ref("db-0"), pod(null, null, null), "cluster.local")).isEqualTo("db-0");
    assertThat(PodHostname.of(ref("db-0"), pod("", null, null), "cluster.local")).isEqualTo("db-0");
    assertThat(PodHostname.of(ref("web-7d9f"), pod("web-1", null, null), "cluster.local")).isEqualTo("web-1");
    // A pod name is a DNS subdomain: dots stay, as under the kubelet.
    assertThat(PodHostname.of(ref("web.v2"), pod(null, null, null), "cluster.local")).isEqualTo("web.v2");
  }

  @Test
  void aLongPodNameIsCutTo63CharactersWithoutATrailingDashOrDot() throws Exception {
    String name = "a".repeat(61) + "-.-bcd";
    assertThat(PodHostname.of(ref(name), pod(null, null, null), "cluster.local")).isEqualTo("a".repeat(61));
    assertThat(PodHostname.of(ref("b".repeat(70)), pod(null, null, null), "cluster.local"))
        .isEqualTo("b".repeat(63));
  }

  @Test
  void aSubdomainAloneLeavesTheShortHostnameAndFqdnMakesItTheFullName() throws Exception {
    assertThat(PodHostname.of(ref("web-0"), pod(null, "nginx", null), "cluster.local")).isEqualTo("web-0");
    assertThat(PodHostname.of(ref("web-0"), pod("web-0", "nginx", false), "cluster.local")).isEqualTo("web-0");
    assertThat(PodHostname.of(ref("web-0"), pod("web-0", "nginx", true), "edge.example"))
        .isEqualTo("web-0.nginx.shop.svc.edge.example");
    // Without a subdomain there is no domain, so setHostnameAsFQDN changes nothing (as under the kubelet).
    assertThat(PodHostname.of(ref("web-0"), pod(null, null, true), "cluster.local")).isEqualTo("web-0");
  }

  @Test
  void anFqdnOver64CharactersIsRefusedWithTheKubeletsReasonNeverCut() throws Exception {
    String hostname = "h".repeat(64 - ".s.shop.svc.cluster.local".length());
    assertThat(PodHostname.of(ref("p"), pod(hostname, "s", true), "cluster.local")).hasSize(64);
    assertThatThrownBy(() -> PodHostname.of(ref("p"), pod(hostname + "x", "s", true), "cluster.local"))
        .isInstanceOf(PodHostname.Invalid.class)
        .hasMessage("failed to construct FQDN from pod hostname and cluster domain, FQDN " + hostname
            + "x.s.shop.svc.cluster.local is too long (64 characters is the max, 65 characters requested)");
  }

  @Test
  void aHostnameOrSubdomainThatIsNoDnsLabelIsRefused() {
    for (String bad : List.of("Upper", "-lead", "trail-", "dot.ted", "a".repeat(64), "under_score")) {
      assertThatThrownBy(() -> PodHostname.of(ref("p"), pod(bad, null, null), "cluster.local"))
          .isInstanceOf(PodHostname.Invalid.class).hasMessageStartingWith("pod Hostname \"" + bad + "\" is not a"
              + " valid DNS label");
      assertThatThrownBy(() -> PodHostname.of(ref("p"), pod(null, bad, null), "cluster.local"))
          .isInstanceOf(PodHostname.Invalid.class).hasMessageStartingWith("pod Subdomain \"" + bad + "\"");
    }
  }
}
