package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.protocol.EventReport;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.SecretV1;
import io.outpost.protocol.SecurityV1.ContainerSecurityV1;
import io.outpost.protocol.SecurityV1.PodSecurityV1;
import io.outpost.protocol.SecurityV1.SeccompV1;
import io.outpost.protocol.SecurityV1.SysctlV1;
import io.outpost.protocol.VolumeV1;
import io.outpost.protocol.VolumeV1.VolumeMountV1;
import io.outpost.testing.Podman;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * securityContext against Podman, inspected from inside the containers as a kubelet's e2e tests do (id, /proc/1/status,
 * /proc/sys, namespaces), and the refusals as Kubernetes shows them (status reason and message, Warning Event).
 */
class SecurityContextPodmanTest extends PodmanFixture {
  private static final List<String> SLEEP = List.of("sleep", "3600");

  private static ObjectRef ref(String name) {
    return new ObjectRef("Pod", "default", name, UUID.randomUUID().toString(), "1");
  }

  private static PodSecurityV1 podSecurity(Long user, Long group, Boolean nonRoot, List<Long> groups, Long fsGroup,
      List<SysctlV1> sysctls, Boolean hostNetwork, Boolean hostPID, Boolean hostIPC, List<String> unsupported) {
    return new PodSecurityV1(user, group, nonRoot, groups, fsGroup, null, sysctls, null, hostNetwork, hostPID,
        hostIPC, null, unsupported);
  }

  private static ContainerSecurityV1 containerSecurity(Long user, List<String> add, List<String> drop,
      Boolean escalation, Boolean readOnly, Boolean privileged, SeccompV1 seccomp) {
    return new ContainerSecurityV1(user, null, null, add, drop, escalation, readOnly, privileged, seccomp, null,
        null, null);
  }

  private static ContainerV1 app(String name, ContainerSecurityV1 security) {
    return container(name, SLEEP, null).withSecurityContext(security);
  }

  private PodV1 pod(PodSecurityV1 security, ContainerV1... containers) {
    return new PodV1(node, "Always", 1L, null, null, List.of(containers)).withSecurityContext(security);
  }

  private PodStatusReport running(ObjectRef ref) {
    return reconcileUntil(ref.uid(), s -> "Running".equals(s.phase()) && s.containers().stream()
        .allMatch(c -> "running".equals(c.state().kind())));
  }

  /** A reconciler of this test's node with the given security settings instead of the defaults. */
  private void nodeAllows(NodeSecurity security) {
    reconciler.close();
    reconciler = new Reconciler(new Settings(node, podman.host(), Duration.ofSeconds(10))
        .withInfra(Podman.TEST_IMAGE, List.of("sleep", "2147483647"))
        .withVolumes(volumes, List.of(allowed)).withSecurity(security), store, engine, Clock.systemUTC(), () -> { });
  }

  private static String status(String procStatus, String field) {
    return procStatus.lines().filter(l -> l.startsWith(field + ":")).map(l -> l.substring(field.length() + 1)
        .trim()).findFirst().orElseThrow();
  }

  @Test
  void usersGroupsAndContainerOverridesAreTheProcessIdentity() {
    ObjectRef ref = ref("identity");
    store.put(ref, pod(podSecurity(1000L, 3000L, null, List.of(4000L), 2000L, null, null, null, null, null),
        app("pod-level", null), app("own-user", containerSecurity(1001L, null, null, null, null, null, null))));

    running(ref);

    assertThat(exec(ref, "pod-level", "id", "-u")).isEqualTo("1000");
    assertThat(exec(ref, "pod-level", "id", "-g")).isEqualTo("3000");
    assertThat(exec(ref, "pod-level", "id", "-G").split(" ")).contains("3000", "2000", "4000");
    assertThat(exec(ref, "own-user", "id", "-u")).as("the container's runAsUser overrides the pod's")
        .isEqualTo("1001");
    assertThat(exec(ref, "own-user", "id", "-g")).isEqualTo("3000");
  }

  @Test
  void capabilitiesNoNewPrivilegesAndSeccompReachTheKernel() {
    ObjectRef ref = ref("confined");
    store.put(ref, pod(null,
        app("restricted", containerSecurity(null, List.of("NET_BIND_SERVICE"), List.of("ALL"), false, null, null,
            new SeccompV1("RuntimeDefault", null))),
        app("unconfined", containerSecurity(null, null, null, null, null, null, new SeccompV1("Unconfined", null))),
        app("defaults", null)));

    running(ref);

    String restricted = exec(ref, "restricted", "cat", "/proc/1/status");
    assertThat(status(restricted, "CapBnd")).as("only NET_BIND_SERVICE (bit 10)").isEqualTo("0000000000000400");
    assertThat(status(restricted, "CapEff")).isEqualTo("0000000000000400");
    assertThat(status(restricted, "NoNewPrivs")).isEqualTo("1");
    assertThat(status(restricted, "Seccomp")).as("filter mode").isEqualTo("2");
    String unconfined = exec(ref, "unconfined", "cat", "/proc/1/status");
    assertThat(status(unconfined, "Seccomp")).isEqualTo("0");
    assertThat(status(unconfined, "NoNewPrivs")).as("allowPrivilegeEscalation unset: allowed").isEqualTo("0");
    assertThat(status(unconfined, "CapBnd")).isNotEqualTo("0000000000000400").isNotEqualTo("0000000000000000");
    assertThat(status(exec(ref, "defaults", "cat", "/proc/1/status"), "Seccomp"))
        .as("no profile named: the node's default, RuntimeDefault").isEqualTo("2");
  }

  @Test
  void aReadOnlyRootFilesystemRefusesWrites() {
    ObjectRef ref = ref("read-only");
    store.put(ref, pod(null, app("ro", containerSecurity(null, null, null, null, true, null, null)),
        app("rw", null)));

    running(ref);

    assertThat(exec(ref, "ro", "sh", "-c", "touch /written 2>&1; echo rc=$?")).contains("Read-only file system")
        .endsWith("rc=1");
    assertThat(exec(ref, "rw", "sh", "-c", "touch /written 2>&1; echo rc=$?")).isEqualTo("rc=0");
  }

  @Test
  void safeSysctlsAreSetOnTheSandboxForTheWholePod() {
    ObjectRef ref = ref("tuned");
    store.put(ref, pod(podSecurity(null, null, null, null, null, List.of(
        new SysctlV1("net.ipv4.ip_unprivileged_port_start", "80"), new SysctlV1("kernel/shm_rmid_forced", "1")),
        null, null, null, null), app("app", null)));

    running(ref);

    assertThat(exec(ref, "app", "cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start")).isEqualTo("80");
    assertThat(exec(ref, "app", "cat", "/proc/sys/kernel/shm_rmid_forced")).as("IPC shared with the sandbox")
        .isEqualTo("1");
  }

  @Test
  void anUnsafeSysctlIsRejectedAsTheKubeletRejectsIt() {
    ObjectRef ref = ref("unsafe-sysctl");
    store.put(ref, pod(podSecurity(null, null, null, null, null, List.of(new SysctlV1("net.core.somaxconn",
        "1024")), null, null, null, null), app("app", null)));

    PodStatusReport status = reconcileUntil(ref.uid(), s -> "Failed".equals(s.phase()));

    assertThat(status.reason()).isEqualTo("SysctlForbidden");
    assertThat(status.message()).isEqualTo("Pod was rejected: forbidden sysctl: \"net.core.somaxconn\" not "
        + "allowlisted");
    assertThat(store.events).anySatisfy(e -> assertEvent(e, "SysctlForbidden",
        "forbidden sysctl: \"net.core.somaxconn\" not allowlisted"));
    assertThat(Podman.infraContainersOf(ref.uid())).isEmpty();
    assertThat(Podman.appContainersOf(ref.uid())).isEmpty();
  }

  @Test
  void privilegedAndHostNamespacesAreRejectedWhereTheNodeDoesNotAllowThem() {
    ObjectRef privileged = ref("privileged");
    store.put(privileged, pod(null, app("app", containerSecurity(null, null, null, null, null, true, null))));
    ObjectRef hostNetwork = ref("host-network");
    store.put(hostNetwork, pod(podSecurity(null, null, null, null, null, null, true, null, null, null),
        app("app", null)));
    ObjectRef hostPID = ref("host-pid");
    store.put(hostPID, pod(podSecurity(null, null, null, null, null, null, null, true, null, null),
        app("app", null)));
    ObjectRef hostIPC = ref("host-ipc");
    store.put(hostIPC, pod(podSecurity(null, null, null, null, null, null, null, null, true, null),
        app("app", null)));

    assertForbidden(privileged, "privileged container");
    assertForbidden(hostNetwork, "host networking");
    assertForbidden(hostPID, "host PID");
    assertForbidden(hostIPC, "host IPC");
  }

  @Test
  void aPodAdmittedBeforeGetsNoHostNamespaceTheNodeDoesNotAllowNow() {
    ObjectRef ref = ref("admitted-before");
    store.put(ref, pod(podSecurity(null, null, null, null, null, null, true, null, null, null), app("app", null)));
    // Ran on this node before (an earlier version, or before allow.host.network was turned off): never re-admitted.
    store.recordStatus(new PodStatusReport(1, node, ref, "Running", null, null, "10.88.0.9", null,
        "2026-12-01T00:00:00Z", List.of(), false));

    PodStatusReport status = reconcileUntil(ref.uid(), s -> !s.containers().isEmpty()
        && s.containers().get(0).state().message() != null
        && s.containers().get(0).state().message().startsWith("Failed to create pod sandbox"));

    String message = "Failed to create pod sandbox: pod with UID \"" + ref.uid() + "\" specified host networking, "
        + "but is disallowed";
    assertThat(status.containers().get(0).state().message()).isEqualTo(message);
    assertThat(store.events).anySatisfy(e -> {
      assertThat(e.reason()).isEqualTo("FailedCreatePodSandBox");
      assertThat(e.message()).isEqualTo(message);
    });
    assertThat(Podman.infraContainersOf(ref.uid())).isEmpty();
  }

  private void assertForbidden(ObjectRef ref, String what) {
    PodStatusReport status = reconcileUntil(ref.uid(), s -> "Failed".equals(s.phase()));
    String message = "pod with UID \"" + ref.uid() + "\" specified " + what + ", but is disallowed";
    assertThat(status.reason()).isEqualTo("CapabilitiesForbidden");
    assertThat(status.message()).isEqualTo("Pod was rejected: " + message);
    assertThat(store.events).anySatisfy(e -> assertEvent(e, "CapabilitiesForbidden", message));
    assertThat(Podman.appContainersOf(ref.uid())).isEmpty();
    assertThat(Podman.infraContainersOf(ref.uid())).isEmpty();
  }

  private static void assertEvent(EventReport event, String reason, String message) {
    assertThat(event.type()).isEqualTo(EventReport.WARNING);
    assertThat(event.reason()).isEqualTo(reason);
    assertThat(event.message()).isEqualTo(message);
    assertThat(event.fieldPath()).isNull();
  }

  @Test
  void whereTheNodeAllowsThemHostNamespacesArePrivilegedReallyTheHosts() throws Exception {
    nodeAllows(new NodeSecurity(true, true, true, true, List.of(), true, NodeSecurity.defaultSeccompDir()));
    ObjectRef ref = ref("on-the-host");
    store.put(ref, pod(podSecurity(null, null, null, null, null, null, true, true, true, null),
        app("app", null), app("admin", containerSecurity(null, null, null, null, null, true, null))));

    PodStatusReport status = running(ref);

    for (String ns : List.of("net", "pid", "ipc", "uts")) {
      assertThat(exec(ref, "app", "readlink", "/proc/self/ns/" + ns)).as(ns + " namespace")
          .isEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/" + ns)).toString());
    }
    assertThat(status.podIP()).as("the node's address, as a kubelet reports it").isEqualTo(HostAddress.primary());
    String admin = exec(ref, "admin", "cat", "/proc/self/status");
    assertThat(status(admin, "CapEff")).isEqualTo(status(admin, "CapBnd"));
    assertThat(Long.parseLong(status(admin, "CapBnd"), 16)).as("every capability, CAP_SYS_ADMIN (21) too")
        .satisfies(caps -> assertThat(caps & (1L << 21)).isNotZero());
    assertThat(status(admin, "Seccomp")).isEqualTo("0");
  }

  @Test
  void runAsNonRootRefusesAnImageThatRunsAsRootWithTheKubeletsMessage() {
    ObjectRef ref = ref("non-root");
    store.put(ref, pod(podSecurity(null, null, true, null, null, null, null, null, null, null), app("app", null),
        app("numeric", containerSecurity(1000L, null, null, null, null, null, null))));

    PodStatusReport status = reconcileUntil(ref.uid(), s -> s.containers().stream().anyMatch(c ->
        "CreateContainerConfigError".equals(c.state().reason())) && s.containers().stream().anyMatch(c ->
        "running".equals(c.state().kind())));

    String message = "container has runAsNonRoot and image will run as root (pod: \"non-root_default(" + ref.uid()
        + ")\", container: app)";
    assertThat(status.containers()).filteredOn(c -> "app".equals(c.name())).singleElement()
        .satisfies(c -> assertThat(c.state().message()).isEqualTo(message));
    assertThat(store.events).anySatisfy(e -> {
      assertThat(e.reason()).isEqualTo("Failed");
      assertThat(e.message()).isEqualTo("Error: " + message);
      assertThat(e.fieldPath()).isEqualTo("spec.containers{app}");
    });
    assertThat(exec(ref, "numeric", "id", "-u")).isEqualTo("1000");
  }

  @Test
  void runAsNonRootCannotVerifyAnImageWithANamedUser() {
    String image = "localhost/busybox:named-user-" + UUID.randomUUID().toString().substring(0, 8);
    String builder = "secctx-build-" + UUID.randomUUID().toString().substring(0, 8);
    Podman.cli("create", "--name", builder, Podman.TEST_IMAGE, "true");
    try {
      Podman.cli("commit", "--change", "USER=nobody", builder, image);
      ObjectRef ref = ref("named-user");
      store.put(ref, pod(null, new ContainerV1("app", image, "Never", SLEEP, null, null, null)
          .withSecurityContext(new ContainerSecurityV1(null, null, true, null, null, null, null, null, null, null,
              null, null))));

      PodStatusReport status = reconcileUntil(ref.uid(), s -> "CreateContainerConfigError".equals(
          s.containers().get(0).state().reason()));

      assertThat(status.containers().get(0).state().message()).isEqualTo("container has runAsNonRoot and image has "
          + "non-numeric user (nobody), cannot verify user is non-root (pod: \"named-user_default(" + ref.uid()
          + ")\", container: app)");
      assertThat(Podman.appContainersOf(ref.uid())).isEmpty();
    } finally {
      Podman.removeContainersLabelled(Naming.NODE, node);
      Podman.cli("rm", "-f", builder);
      Podman.cli("rmi", "-f", image);
    }
  }

  @Test
  void aLocalhostSeccompProfileIsLoadedFromTheNodesDirectoryAndOnlyFromThere() throws Exception {
    Path profiles = Files.createDirectories(dir.resolve(node).resolve("seccomp"));
    Files.writeString(profiles.resolve("deny-mkdir.json"), "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
        + "[{\"names\":[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\"}]}");
    Path outside = Files.writeString(dir.resolve(node).resolve("outside.json"), "{\"defaultAction\":"
        + "\"SCMP_ACT_ALLOW\"}");
    Files.createSymbolicLink(profiles.resolve("escape.json"), outside);
    nodeAllows(new NodeSecurity(false, false, false, false, List.of(), true, profiles));
    ObjectRef ref = ref("profiled");
    store.put(ref, pod(null, app("app", containerSecurity(null, null, null, null, null, null,
        new SeccompV1("Localhost", "deny-mkdir.json")))));
    ObjectRef missing = ref("missing-profile");
    store.put(missing, pod(null, app("app", containerSecurity(null, null, null, null, null, null,
        new SeccompV1("Localhost", "absent.json")))));
    ObjectRef escaping = ref("escaping-profile");
    store.put(escaping, pod(null, app("app", containerSecurity(null, null, null, null, null, null,
        new SeccompV1("Localhost", "escape.json")))));

    running(ref);

    assertThat(exec(ref, "app", "sh", "-c", "mkdir /tmp/made 2>&1; echo rc=$?")).contains("Operation not permitted")
        .endsWith("rc=1");
    assertThat(status(exec(ref, "app", "cat", "/proc/1/status"), "Seccomp")).isEqualTo("2");
    PodStatusReport refused = reconcileUntil(missing.uid(), s -> "CreateContainerError".equals(
        s.containers().get(0).state().reason()));
    Path absent = profiles.resolve("absent.json");
    assertThat(refused.containers().get(0).state().message()).isEqualTo("cannot load seccomp profile \"" + absent
        + "\": open " + absent + ": no such file or directory");
    PodStatusReport escaped = reconcileUntil(escaping.uid(), s -> "CreateContainerError".equals(
        s.containers().get(0).state().reason()));
    assertThat(escaped.containers().get(0).state().message()).contains("not a file in the node's seccomp profile "
        + "directory");
    assertThat(Podman.appContainersOf(missing.uid())).isEmpty();
    assertThat(Podman.appContainersOf(escaping.uid())).isEmpty();
  }

  @Test
  void settingsTheNodeCannotEnforceAreRefusedNotIgnored() {
    ObjectRef ref = ref("selinux");
    store.put(ref, pod(podSecurity(null, null, null, null, null, null, null, null, null,
        List.of("securityContext.seLinuxOptions")), app("app", null)));

    PodStatusReport status = reconcileUntil(ref.uid(), s -> "CreateContainerConfigError".equals(
        s.containers().get(0).state().reason()));

    assertThat(status.containers().get(0).state().message()).isEqualTo("unsupported security settings: pod "
        + "securityContext.seLinuxOptions (this node cannot enforce them)");
    assertThat(store.events).anySatisfy(e -> assertThat(e.message()).isEqualTo("Error: "
        + status.containers().get(0).state().message()));
    assertThat(Podman.appContainersOf(ref.uid())).isEmpty();
  }

  @Test
  void fsGroupOwnsThePodsVolumesAsUnderAKubelet() {
    ObjectRef ref = ref("fs-group");
    store.secrets.put("default/creds", new SecretV1("Opaque", Map.of("password",
        Base64.getEncoder().encodeToString("s3cret".getBytes(StandardCharsets.UTF_8)))));
    List<VolumeV1> podVolumes = List.of(
        new VolumeV1("sec", null, null, new VolumeV1.KeyedSourceV1("creds", null, 0400, null), null, null, null),
        new VolumeV1("scratch", new VolumeV1.EmptyDirV1(null), null, null, null, null, null));
    store.put(ref, new PodV1(node, "Always", 1L, null, null, List.of(container("app", SLEEP, List.of(
        new VolumeMountV1("sec", "/etc/creds", null, true), new VolumeMountV1("scratch", "/scratch", null, null)))),
        null, podVolumes).withSecurityContext(podSecurity(1000L, 3000L, null, null, 2000L, null, null, null, null,
        null)));

    running(ref);

    assertThat(exec(ref, "app", "cat", "/etc/creds/password")).as("0400 secret readable through fsGroup")
        .isEqualTo("s3cret");
    assertThat(exec(ref, "app", "stat", "-L", "-c", "%a %g", "/etc/creds/password")).isEqualTo("440 2000");
    assertThat(exec(ref, "app", "sh", "-c", "echo x > /scratch/f && stat -c %g /scratch/f"))
        .as("setgid emptyDir: new files belong to the fsGroup").isEqualTo("2000");
    assertThat(exec(ref, "app", "stat", "-c", "%A", "/scratch")).isEqualTo("drwxrwsrwx");
  }
}
