package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.testing.Podman;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Every container of a pod, init and app, has the pod's hostname in {@code hostname} and {@code /etc/hostname}, as
 * under a kubelet: the pod name, or {@code spec.hostname}, or with {@code setHostnameAsFQDN} the pod's FQDN.
 */
class HostnamePodmanTest extends PodmanFixture {
  /** What a container sees: the kernel's hostname and the file, on one line. */
  private static final String SHOW = "echo \"$(hostname) $(cat /etc/hostname)\"";

  private ObjectRef run(String name, String hostname, String subdomain, Boolean fqdn) {
    ObjectRef ref = new ObjectRef("Pod", "shop", name, UUID.randomUUID().toString(), "1");
    store.put(ref, new PodV1(node, "Always", 1L, null, null,
        List.of(new ContainerV1("app", Podman.TEST_IMAGE, "IfNotPresent", List.of("sleep", "3600"), null, null,
            null), new ContainerV1("sidecar", Podman.TEST_IMAGE, "IfNotPresent", List.of("sleep", "3600"), null,
            null, null)),
        List.of(new ContainerV1("init", Podman.TEST_IMAGE, "IfNotPresent", List.of("sh", "-c", SHOW), null, null,
            null)),
        null, null, hostname, subdomain, fqdn));
    return ref;
  }

  /** The output of the pod's container {@code name}, which ran {@link #SHOW}. */
  private static String logOf(ObjectRef ref, String name) {
    String id = Podman.appContainersOf(ref.uid()).stream().filter(c -> name.equals(Podman.cli("inspect",
        "--format", "{{index .Config.Labels \"io.outpost.container\"}}", c).trim())).findFirst().orElseThrow();
    return Podman.cli("logs", id).trim();
  }

  private void assertEveryContainerIsNamed(ObjectRef ref, String expected) {
    reconcileUntil(ref.uid(), s -> "Running".equals(s.phase()));
    assertThat(exec(ref, "app", "hostname")).isEqualTo(expected);
    assertThat(exec(ref, "app", "cat", "/etc/hostname")).isEqualTo(expected);
    assertThat(exec(ref, "sidecar", "sh", "-c", SHOW)).isEqualTo(expected + " " + expected);
    assertThat(logOf(ref, "init")).as("the init container, before the app containers").isEqualTo(expected + " "
        + expected);
    String infra = Podman.infraContainersOf(ref.uid()).get(0);
    assertThat(exec(ref, "app", "readlink", "/proc/1/ns/uts")).as("one UTS namespace for the pod")
        .isEqualTo(Podman.cli("exec", infra, "readlink", "/proc/1/ns/uts").trim())
        .isEqualTo(exec(ref, "sidecar", "readlink", "/proc/1/ns/uts"));
  }

  @Test
  void everyContainerHasThePodNameAsHostname() {
    assertEveryContainerIsNamed(run("db-0", null, null, null), "db-0");
  }

  @Test
  void specHostnameWithSubdomainIsTheShortHostname() {
    assertEveryContainerIsNamed(run("web-6f9c", "web-1", "nginx", null), "web-1");
  }

  @Test
  void setHostnameAsFqdnGivesTheFullName() {
    assertEveryContainerIsNamed(run("web-6f9c", "web-1", "nginx", true), "web-1.nginx.shop.svc.cluster.local");
  }

  @Test
  void anFqdnTooLongForTheKernelIsRefusedWithTheReasonAndNothingRuns() {
    String hostname = "h".repeat(40); // 40 + ".nginx.shop.svc.cluster.local" = 69 > 64
    ObjectRef ref = run("long", hostname, "nginx", true);

    PodStatusReport status = reconcileUntil(ref.uid(), s -> s.containers().get(0).state().message() != null);

    PodStatusReport.ContainerStateV1 waiting = status.containers().get(0).state();
    assertThat(waiting.reason()).isEqualTo("ContainerCreating");
    assertThat(waiting.message()).isEqualTo("Failed to create pod sandbox: failed to construct FQDN from pod "
        + "hostname and cluster domain, FQDN " + hostname + ".nginx.shop.svc.cluster.local is too long (64 "
        + "characters is the max, 69 characters requested)");
    assertThat(store.events).anySatisfy(e -> {
      assertThat(e.reason()).isEqualTo("FailedCreatePodSandBox");
      assertThat(e.message()).contains("is too long (64 characters is the max");
    });
    assertThat(Podman.containersLabelled(Naming.POD_UID, ref.uid())).isEmpty();
    assertThat(reconciler.pods()).singleElement().satisfies(p -> assertThat(p.failedAttempts()).isPositive());
  }
}
