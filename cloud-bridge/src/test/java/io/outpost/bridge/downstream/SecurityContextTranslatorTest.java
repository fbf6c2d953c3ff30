package io.outpost.bridge.downstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.outpost.protocol.Codec;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.SecurityV1.ContainerSecurityV1;
import io.outpost.protocol.SecurityV1.PodSecurityV1;
import io.outpost.protocol.SecurityV1.SeccompV1;
import io.outpost.protocol.SecurityV1.SysctlV1;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bridge carries every security setting of a pod: honoured ones field by field, the rest as unsupported. */
class SecurityContextTranslatorTest {

  private static PodBuilder base() {
    return new PodBuilder().withNewMetadata().withName("web").withNamespace("shop").withUid("u-1")
        .withResourceVersion("3").endMetadata();
  }

  @Test
  void podAndContainerSettingsTravelFieldByField() throws Exception {
    Pod pod = base().withNewSpec().withNodeName("edge-1").withHostNetwork(true).withHostPID(false)
        .withNewSecurityContext().withRunAsUser(1000L).withRunAsGroup(3000L).withRunAsNonRoot(true)
        .withSupplementalGroups(4000L, 5000L).withFsGroup(2000L).withFsGroupChangePolicy("OnRootMismatch")
        .addNewSysctl("net.ipv4.ping_group_range", "0 2147483647")
        .withNewSeccompProfile().withType("Localhost").withLocalhostProfile("profiles/audit.json").endSeccompProfile()
        .endSecurityContext()
        .addNewContainer().withName("app").withImage("nginx").withNewSecurityContext().withRunAsUser(1001L)
        .withAllowPrivilegeEscalation(false).withReadOnlyRootFilesystem(true).withPrivileged(false)
        .withNewCapabilities().withAdd("net_bind_service", "CAP_NET_RAW", "NET_RAW").withDrop("ALL")
        .endCapabilities().withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
        .withNewAppArmorProfile().withType("Unconfined").endAppArmorProfile().withProcMount("Default")
        .endSecurityContext().endContainer().endSpec().build();

    PodV1 edge = PodTranslator.toEdge(pod);

    assertThat(edge.securityContext()).isEqualTo(new PodSecurityV1(1000L, 3000L, true, List.of(4000L, 5000L),
        2000L, "OnRootMismatch", List.of(new SysctlV1("net.ipv4.ping_group_range", "0 2147483647")),
        new SeccompV1("Localhost", "profiles/audit.json"), true, null, null, null, null));
    assertThat(edge.containers().get(0).securityContext()).isEqualTo(new ContainerSecurityV1(1001L, null, null,
        List.of("NET_BIND_SERVICE", "NET_RAW"), List.of("ALL"), false, true, null,
        new SeccompV1("RuntimeDefault", null), "Default", "Unconfined", null));
    // What the bridge sends passes the wire's own validation.
    Codec codec = new Codec();
    Downstream message = Downstream.upsertPod(1, 1, PodTranslator.ref(pod), edge);
    assertThat(codec.decode(codec.encode(message), Downstream.class)).isEqualTo(message);
  }

  @Test
  void settingsTheEdgeCannotHonourAreCarriedAsUnsupportedNeverDropped() throws Exception {
    Pod pod = base().withNewSpec().withNodeName("edge-1").withHostUsers(false)
        .withNewSecurityContext().withNewSeLinuxOptions().withLevel("s0:c1").endSeLinuxOptions()
        .withSupplementalGroupsPolicy("Strict").endSecurityContext()
        .addNewContainer().withName("app").withImage("nginx").withNewSecurityContext()
        .withNewWindowsOptions().withRunAsUserName("ContainerUser").endWindowsOptions()
        .withNewAppArmorProfile().withType("Localhost").withLocalhostProfile("k8s-nginx").endAppArmorProfile()
        .withNewCapabilities().withAdd("NET_ADMIN", "FLY").endCapabilities()
        .addToAdditionalProperties("futureField", true)
        .endSecurityContext().endContainer().endSpec().build();

    PodV1 edge = PodTranslator.toEdge(pod);

    assertThat(edge.securityContext().unsupported()).containsExactly("hostUsers: false (user namespaces)",
        "securityContext.seLinuxOptions", "securityContext.supplementalGroupsPolicy: Strict");
    ContainerSecurityV1 container = edge.containers().get(0).securityContext();
    assertThat(container.unsupported()).containsExactly("securityContext.windowsOptions",
        "securityContext.appArmorProfile: Localhost k8s-nginx", "securityContext.futureField",
        "securityContext.capabilities.add: unknown capability \"FLY\"");
    assertThat(container.capAdd()).containsExactly("NET_ADMIN");
    Codec codec = new Codec();
    Downstream message = Downstream.upsertPod(1, 1, PodTranslator.ref(pod), edge);
    assertThat(codec.decode(codec.encode(message), Downstream.class)).isEqualTo(message);
  }

  @Test
  void aPodWithoutSettingsOrWithOnlyDefaultsEncodesAsBefore() {
    Pod plain = base().withNewSpec().withNodeName("edge-1").withHostNetwork(false)
        .addNewContainer().withName("app").withImage("nginx").endContainer().endSpec().build();
    assertThat(PodTranslator.toEdge(plain).securityContext()).isNull();
    assertThat(PodTranslator.toEdge(plain).containers().get(0).securityContext()).isNull();

    Pod defaults = base().withNewSpec().withNodeName("edge-1").withNewSecurityContext().endSecurityContext()
        .addNewContainer().withName("app").withImage("nginx").withNewSecurityContext().withPrivileged(false)
        .withReadOnlyRootFilesystem(false).endSecurityContext().endContainer().endSpec().build();
    assertThat(PodTranslator.toEdge(defaults)).isEqualTo(PodTranslator.toEdge(plain));
  }

  @Test
  void hostNamespacesTravelWithoutASecurityContext() {
    Pod pod = base().withNewSpec().withNodeName("edge-1").withHostPID(true).withHostIPC(true)
        .addNewContainer().withName("app").withImage("nginx").endContainer().endSpec().build();
    PodSecurityV1 security = PodTranslator.toEdge(pod).securityContext();
    assertThat(security.usesHostPID()).isTrue();
    assertThat(security.usesHostIPC()).isTrue();
    assertThat(security.usesHostNetwork()).isFalse();
  }
}
