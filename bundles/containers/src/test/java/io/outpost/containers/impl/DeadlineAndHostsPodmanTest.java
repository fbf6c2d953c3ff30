package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.PodV1.HostAliasV1;
import io.outpost.testing.Podman;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * {@code activeDeadlineSeconds} and the kubelet-managed {@code /etc/hosts} on real Podman, with what Kubernetes shows:
 * active_deadline.go (Event {@code DeadlineExceeded}, type Normal, and phase Failed with its reason and message, the
 * containers stopped and never started again), kubelet_pods.go {@code managedHostsFileContent} (the file's exact
 * content, with {@code hostAliases}), and that a container writing to its /etc/hosts reaches only its own pod's file.
 */
class DeadlineAndHostsPodmanTest extends PodmanFixture {

  private PodV1 pod(String restartPolicy, List<ContainerV1> init, List<ContainerV1> containers, Long deadline,
      String hostname, String subdomain, List<HostAliasV1> aliases) {
    return new PodV1(node, restartPolicy, 1L, null, null, containers, init, null, null, hostname, subdomain, null,
        null, null, deadline, aliases, null, null, null, null);
  }

  private static ContainerV1 plain(String name, String script) {
    return new ContainerV1(name, Podman.TEST_IMAGE, "IfNotPresent", List.of("sh", "-c", script), null, null, null);
  }

  private static ObjectRef ref(String name) {
    return new ObjectRef("Pod", "default", name, UUID.randomUUID().toString(), "1");
  }

  @Test
  void aPodPastItsActiveDeadlineIsStoppedAndFailsWithTheKubeletsReason() {
    ObjectRef ref = ref("deadline");
    store.put(ref, pod("Always", List.of(), List.of(plain("app", "exec sleep 3600")), 2L, null, null, null));

    PodStatusReport running = reconcileUntil(ref.uid(), s -> "Running".equals(s.phase()));
    assertThat(running.startTime()).isNotNull();

    PodStatusReport failed = reconcileUntil(ref.uid(), s -> "Failed".equals(s.phase())
        && "terminated".equals(s.containers().get(0).state().kind()) && Boolean.FALSE.equals(s.sandboxReady()));
    assertThat(failed.reason()).isEqualTo("DeadlineExceeded");
    assertThat(failed.message()).isEqualTo("Pod was active on the node longer than the specified deadline");
    assertThat(failed.containers().get(0).state().exitCode()).as("sleep ignores SIGTERM: killed after 1 s")
        .isEqualTo(137);
    assertThat(failed.containers().get(0).ready()).isFalse();
    assertThat(failed.startTime()).isEqualTo(running.startTime());
    assertThat(store.events).filteredOn(e -> "DeadlineExceeded".equals(e.reason())).singleElement().satisfies(e -> {
      assertThat(e.type()).as("active_deadline.go records it as Normal").isEqualTo("Normal");
      assertThat(e.message()).isEqualTo("Pod was active on the node longer than the specified deadline");
    });
    assertThat(store.events).anySatisfy(e -> assertThat(e.message()).isEqualTo("Stopping container app"));

    for (int i = 0; i < 3; i++) {
      reconciler.reconcile();
    }
    PodStatusReport later = store.status(ref.uid());
    assertThat(later.phase()).isEqualTo("Failed");
    assertThat(later.containers().get(0).restartCount()).as("never started again").isZero();
    assertThat(Podman.appContainersOf(ref.uid())).as("the stopped container is kept (logs, state)").hasSize(1);
  }

  @Test
  void theNodeWritesThePodsEtcHostsAsTheKubeletDoesWithHostAliases() throws Exception {
    ObjectRef ref = ref("hosts");
    store.put(ref, pod("Always", List.of(), List.of(plain("app", "exec sleep 3600")), null, "web", "backend",
        List.of(new HostAliasV1("10.1.2.3", List.of("foo.local", "bar.local")),
            new HostAliasV1("10.1.2.4", List.of("baz.local")))));
    PodStatusReport running = reconcileUntil(ref.uid(), s -> "running".equals(s.containers().get(0).state().kind()));

    String expected = "# Kubernetes-managed hosts file.\n"
        + "127.0.0.1\tlocalhost\n"
        + "::1\tlocalhost ip6-localhost ip6-loopback\n"
        + "fe00::0\tip6-localnet\n"
        + "fe00::0\tip6-mcastprefix\n"
        + "fe00::1\tip6-allnodes\n"
        + "fe00::2\tip6-allrouters\n"
        + running.podIP() + "\tweb.backend.default.svc.cluster.local\tweb\n"
        + "\n"
        + "# Entries added by HostAliases.\n"
        + "10.1.2.3\tfoo.local\tbar.local\n"
        + "10.1.2.4\tbaz.local\n";
    assertThat(Podman.cli("exec", containerId(ref, "app"), "cat", "/etc/hosts")).isEqualTo(expected);
    assertThat(Files.readString(volumes.resolve(".etc-hosts").resolve(ref.uid()))).isEqualTo(expected);
  }

  @Test
  void whatAContainerWritesToEtcHostsStaysInItsPodsFileAndTheNextContainerGetsTheKubeletsAgain() throws Exception {
    Path nodeHosts = Path.of("/etc/hosts");
    String nodeHostsBefore = Files.readString(nodeHosts);
    ObjectRef ref = ref("hostile");
    // The init container tampers with its /etc/hosts and tries to swap it for a link to the node's files.
    store.put(ref, pod("Always", List.of(plain("tamper", "echo '6.6.6.6 evil' >> /etc/hosts;"
        + " rm -f /etc/hosts 2>/dev/null; ln -sf /proc/1/root/etc/passwd /etc/hosts 2>/dev/null;"
        + " cat /etc/hosts > /tmp/seen; exit 0")), List.of(plain("app", "exec sleep 3600")), null, null, null,
        null));
    reconcileUntil(ref.uid(), s -> "running".equals(s.containers().get(0).state().kind()));

    String appHosts = exec(ref, "app", "cat", "/etc/hosts");
    assertThat(appHosts).startsWith("# Kubernetes-managed hosts file.").doesNotContain("evil");
    Path podFile = volumes.resolve(".etc-hosts").resolve(ref.uid());
    assertThat(Files.isSymbolicLink(podFile)).isFalse();
    assertThat(Files.readString(podFile, StandardCharsets.UTF_8)).isEqualTo(appHosts + "\n");
    assertThat(Files.readString(nodeHosts)).as("the node's own hosts file is untouched").isEqualTo(nodeHostsBefore);
    try (var files = Files.list(volumes.resolve(".etc-hosts"))) {
      assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(ref.uid())))
          .as("no temporary file left behind").containsExactly(ref.uid());
    }
    store.remove(ref.uid());
    reconciler.reconcile();
    assertThat(podFile).as("removed with the pod").doesNotExist();
  }
}
