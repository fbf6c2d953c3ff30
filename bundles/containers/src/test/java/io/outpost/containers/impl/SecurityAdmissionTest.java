package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.SecurityV1.ContainerSecurityV1;
import io.outpost.protocol.SecurityV1.PodSecurityV1;
import io.outpost.protocol.SecurityV1.SysctlV1;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The node's security admission and its configuration, without an engine. */
class SecurityAdmissionTest {
  private static final ObjectRef REF = new ObjectRef("Pod", "default", "p", "uid-7", "1");
  private static final ContainerV1 APP = new ContainerV1("app", "img", null, null, null, null, null);
  private static final ContainerV1 PRIVILEGED = new ContainerV1("init", "img", null, null, null, null, null)
      .withSecurityContext(new ContainerSecurityV1(null, null, null, null, null, null, null, true, null, null, null,
          null));

  private static NodeSecurity allowing(boolean hostNetwork, String... unsafe) {
    return new NodeSecurity(false, hostNetwork, false, false, List.of(unsafe), true, Path.of("/etc/seccomp"));
  }

  private static PodV1 pod(List<SysctlV1> sysctls, Boolean hostNetwork, Boolean hostIPC) {
    return new PodV1("edge-1", "Always", 1L, null, null, List.of(APP)).withSecurityContext(new PodSecurityV1(null,
        null, null, null, null, null, sysctls, null, hostNetwork, null, hostIPC, null, null));
  }

  @Test
  void safeSysctlsPassOthersAreForbiddenUnlessTheNodeAllowsThem() {
    SecurityAdmission strict = new SecurityAdmission(allowing(false));
    assertThat(strict.refusal(REF, pod(List.of(new SysctlV1("net/ipv4/ip_local_port_range", "1024 65000"),
        new SysctlV1("net.ipv4.tcp_keepalive_time", "60")), null, null))).isNull();
    assertThat(strict.refusal(REF, pod(List.of(new SysctlV1("net.core.somaxconn", "1024")), null, null)))
        .isEqualTo(new SecurityAdmission.Refusal("SysctlForbidden",
            "forbidden sysctl: \"net.core.somaxconn\" not allowlisted"));
    SecurityAdmission lenient = new SecurityAdmission(allowing(false, "net.core.*", "kernel.msgmax"));
    assertThat(lenient.refusal(REF, pod(List.of(new SysctlV1("net.core.somaxconn", "1024"),
        new SysctlV1("kernel.msgmax", "65536")), null, null))).isNull();
    assertThat(lenient.refusal(REF, pod(List.of(new SysctlV1("kernel.msgmnb", "1")), null, null)).reason())
        .isEqualTo("SysctlForbidden");
  }

  @Test
  void namespacedSysctlsAreForbiddenInPodsSharingThatHostNamespace() {
    SecurityAdmission admission = new SecurityAdmission(allowing(true));
    assertThat(admission.refusal(REF, pod(List.of(new SysctlV1("net.ipv4.tcp_syncookies", "1")), true, null)))
        .isEqualTo(new SecurityAdmission.Refusal("SysctlForbidden",
            "forbidden sysctl: \"net.ipv4.tcp_syncookies\" not allowed with host net enabled"));
    assertThat(admission.refusal(REF, pod(List.of(new SysctlV1("kernel.shm_rmid_forced", "1")), null, true))
        .message()).isEqualTo("forbidden sysctl: \"kernel.shm_rmid_forced\" not allowed with host ipc enabled");
  }

  @Test
  void privilegedInitContainersAndHostNamespacesNeedTheNodesConsent() {
    PodV1 withPrivilegedInit = new PodV1("edge-1", "Always", 1L, null, null, List.of(APP), List.of(PRIVILEGED));
    assertThat(new SecurityAdmission(allowing(false)).refusal(REF, withPrivilegedInit)).isEqualTo(
        new SecurityAdmission.Refusal("CapabilitiesForbidden",
            "pod with UID \"uid-7\" specified privileged init container, but is disallowed"));
    assertThat(new SecurityAdmission(new NodeSecurity(true, false, false, false, List.of(), true,
        Path.of("/s"))).refusal(REF, withPrivilegedInit)).isNull();
    assertThat(new SecurityAdmission(allowing(false)).refusal(REF, pod(null, true, null)).message())
        .isEqualTo("pod with UID \"uid-7\" specified host networking, but is disallowed");
    assertThat(new SecurityAdmission(allowing(true)).refusal(REF, pod(null, true, null))).isNull();
    assertThat(new SecurityAdmission(allowing(true)).refusal(REF, pod(null, null, true)).message())
        .isEqualTo("pod with UID \"uid-7\" specified host IPC, but is disallowed");
  }

  @Test
  void anAppArmorProfileOtherThanUnconfinedNeedsAppArmorOnTheHost() {
    PodV1 runtimeDefault = new PodV1("edge-1", "Always", 1L, null, null, List.of(APP, APP.withSecurityContext(
        new ContainerSecurityV1(null, null, null, null, null, null, null, null, null, null, "Unconfined", null))))
        .withSecurityContext(new PodSecurityV1(null, null, null, null, null, null, null, null, null, null, null,
            "RuntimeDefault", null));
    assertThat(new SecurityAdmission(allowing(false), false).refusal(REF, runtimeDefault)).isEqualTo(
        new SecurityAdmission.Refusal("AppArmor", "Cannot enforce AppArmor: AppArmor is not enabled on the host"));
    assertThat(new SecurityAdmission(allowing(false), true).refusal(REF, runtimeDefault)).isNull();
    PodV1 unconfined = new PodV1("edge-1", "Always", 1L, null, null, List.of(APP)).withSecurityContext(
        new PodSecurityV1(null, null, null, null, null, null, null, null, null, null, null, "Unconfined", null));
    assertThat(new SecurityAdmission(allowing(false), false).refusal(REF, unconfined)).isNull();
    assertThat(new SecurityAdmission(allowing(false), false).refusal(REF, pod(null, null, null))).isNull();
  }

  @Test
  void onlyNamespacedSysctlsCanBeAllowedAndNamesAreNormalised() {
    assertThatThrownBy(() -> allowing(false, "vm.swappiness")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("allowed.unsafe.sysctls").hasMessageContaining("vm.swappiness");
    assertThatThrownBy(() -> allowing(false, "*")).hasMessageContaining("not known to be namespaced");
    assertThat(NodeSecurity.normalise("net/ipv4/conf/eth0.100/forwarding"))
        .isEqualTo("net.ipv4.conf.eth0/100.forwarding");
    assertThat(NodeSecurity.normalise("net.ipv4.conf.eth0/100.forwarding"))
        .isEqualTo("net.ipv4.conf.eth0/100.forwarding");
    assertThatThrownBy(() -> new NodeSecurity(false, false, false, false, List.of(), true, Path.of("rel")))
        .hasMessageContaining("seccomp.profiles.dir");
  }
}
