package io.outpost.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.protocol.SecurityV1.ContainerSecurityV1;
import io.outpost.protocol.SecurityV1.PodSecurityV1;
import io.outpost.protocol.SecurityV1.SeccompV1;
import io.outpost.protocol.SecurityV1.SysctlV1;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The security settings on the wire: round trip, compatibility with senders that predate them, bounds. */
class SecurityV1Test {
  private final Codec codec = new Codec();
  private static final ObjectRef REF = new ObjectRef("Pod", "default", "web", "uid-1", "42");

  private static PodSecurityV1 pod(Long user, List<Long> groups, List<SysctlV1> sysctls, SeccompV1 seccomp) {
    return new PodSecurityV1(user, 3000L, true, groups, 2000L, null, sysctls, seccomp, true, null, true, null, null);
  }

  private static ContainerSecurityV1 container(List<String> add, List<String> drop, Boolean escalation,
      Boolean privileged, SeccompV1 seccomp, String procMount) {
    return new ContainerSecurityV1(1000L, null, null, add, drop, escalation, true, privileged, seccomp, procMount,
        "Unconfined", null);
  }

  private Downstream message(PodSecurityV1 pod, ContainerSecurityV1 container) {
    PodV1.ContainerV1 app = new PodV1.ContainerV1("app", "reg.example.com/app", null, null, null, null, null)
        .withSecurityContext(container);
    return Downstream.upsertPod(7, 1, REF, new PodV1("edge-1", "Always", 30L, null, null, List.of(app))
        .withSecurityContext(pod));
  }

  private void assertInvalid(Downstream message, String text) {
    byte[] bytes = codec.encode(message);
    assertThatThrownBy(() -> codec.decode(bytes, Downstream.class)).isInstanceOf(ProtocolException.class)
        .hasMessageContaining(text)
        .satisfies(e -> assertThat(((ProtocolException) e).reason()).isEqualTo(ProtocolException.Reason.INVALID));
  }

  @Test
  void everyFieldRoundTrips() throws Exception {
    Downstream message = message(pod(1000L, List.of(4000L, 5000L), List.of(new SysctlV1("net.ipv4.ping_group_range",
        "0 2147483647")), new SeccompV1("Localhost", "profiles/audit.json")),
        container(List.of("NET_ADMIN"), List.of("ALL"), false, null, new SeccompV1("RuntimeDefault", null),
            "Default"));

    Downstream decoded = codec.decode(codec.encode(message), Downstream.class);

    assertThat(decoded).isEqualTo(message);
    assertThat(decoded.pod().security().usesHostNetwork()).isTrue();
    assertThat(decoded.pod().security().usesHostPID()).isFalse();
    assertThat(decoded.pod().containers().get(0).securityContext().capDrop()).containsExactly("ALL");
  }

  @Test
  void aPodWithoutSecuritySettingsEncodesAsBeforeAndOldPayloadsDecode() throws Exception {
    Downstream plain = message(null, null);
    String json = new String(codec.encode(plain), StandardCharsets.UTF_8);
    assertThat(json).doesNotContain("securityContext");
    Downstream decoded = codec.decode(json.getBytes(StandardCharsets.UTF_8), Downstream.class);
    assertThat(decoded.pod().securityContext()).isNull();
    assertThat(decoded.pod().security().usesHostNetwork()).isFalse();
    assertThat(decoded.pod().security().sysctlList()).isEmpty();
  }

  @Test
  void idsOutsideKubernetesRangeAreInvalid() {
    assertInvalid(message(pod(-1L, null, null, null), null), "runAsUser must be between 0 and 2147483647");
    assertInvalid(message(pod(2147483648L, null, null, null), null), "runAsUser");
    assertInvalid(message(pod(1L, List.of(1L, -5L), null, null), null), "supplementalGroups[]");
    assertInvalid(message(null, new ContainerSecurityV1(null, 4294967295L, null, null, null, null, null, null, null,
        null, null, null)), "container app securityContext.runAsGroup");
  }

  @Test
  void capabilityNamesMustBeKnownLinuxCapabilities() {
    assertInvalid(message(null, container(List.of("CAP_NET_ADMIN"), null, null, null, null, null)),
        "unknown capability 'CAP_NET_ADMIN'");
    assertInvalid(message(null, container(null, List.of("net_raw"), null, null, null, null)),
        "capabilities.drop: unknown capability 'net_raw'");
  }

  @Test
  void sysctlNamesAndValuesAreChecked() {
    assertInvalid(message(pod(1L, null, List.of(new SysctlV1("net..ipv4", "1")), null), null),
        "not a valid sysctl name");
    assertInvalid(message(pod(1L, null, List.of(new SysctlV1("kernel.shm_rmid_forced", "1\nkernel.x=1")), null),
        null), "single-line value");
    assertInvalid(message(pod(1L, null, List.of(new SysctlV1("net.ipv4.tcp_syncookies", "1"),
        new SysctlV1("net/ipv4/tcp_syncookies", "0")), null), null), "set twice");
  }

  @Test
  void seccompProfilesFollowKubernetesRules() {
    assertInvalid(message(pod(1L, null, null, new SeccompV1("Unconfined", "x.json")), null),
        "localhostProfile may only be set for type Localhost");
    assertInvalid(message(null, container(null, null, null, null, new SeccompV1("Localhost", "../../etc/x.json"),
        null)), "must not contain '..'");
    assertInvalid(message(null, container(null, null, null, null, new SeccompV1("Localhost", "/etc/x.json"),
        null)), "must be a relative path");
    assertInvalid(message(pod(1L, null, null, new SeccompV1("Strict", null)), null),
        "type must be RuntimeDefault, Unconfined or Localhost");
  }

  @Test
  void privilegedWithoutEscalationAndUnknownProcMountAreInvalid() {
    assertInvalid(message(null, container(null, null, false, true, null, null)),
        "cannot set allowPrivilegeEscalation to false and privileged to true");
    assertInvalid(message(null, container(null, null, null, null, null, "Masked")),
        "procMount must be Default or Unmasked");
    assertInvalid(message(null, new ContainerSecurityV1(null, null, null, null, null, null, null, null, null, null,
        "Localhost", null)), "appArmorProfile must be RuntimeDefault or Unconfined");
  }
}
