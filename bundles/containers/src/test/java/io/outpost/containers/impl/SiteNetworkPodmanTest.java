package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.testing.Podman;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Pods on the node's pod network ({@link io.outpost.containers.PodNetwork}) on real Podman 4.3 (CNI): the engine
 * network is created with the node's subnet, gateway and bridge; the pod IP comes from it; a pod keeps the network it
 * was created on when the pod network comes or goes; a network of that name with another subnet is created again
 * when unused and refused, with a reason, while in use.
 */
class SiteNetworkPodmanTest extends SiteNetworkFixture {

  private PodV1 pod() {
    return new PodV1(node, "Always", 1L, null, null, List.of(new ContainerV1("app", Podman.TEST_IMAGE, "IfNotPresent",
        List.of("sh", "-c", "exec sleep 3600"), null, null, null)), null, null, null);
  }

  private ObjectRef start(String name) {
    ObjectRef ref = new ObjectRef("Pod", "default", name, UUID.randomUUID().toString(), "1");
    store.put(ref, pod());
    return ref;
  }

  private PodStatusReport running(ObjectRef ref) {
    return reconcileUntil(ref.uid(), s -> "Running".equals(s.phase()) && s.podIP() != null);
  }

  private static String infraOf(ObjectRef ref) {
    return Podman.infraContainersOf(ref.uid()).get(0);
  }

  @Test
  void aPodOnThePodNetworkGetsAnAddressOfTheNodesRangeOnTheNodesBridge() throws Exception {
    TestNetwork network = network(null);
    podNetwork = network;
    ObjectRef ref = start("on-net");
    PodStatusReport status = running(ref);

    String prefix = network.subnet().substring(0, network.subnet().length() - "0/24".length());
    assertThat(status.podIP()).startsWith(prefix).isNotEqualTo(network.gateway());
    assertThat(exec(ref, "app", "ip", "-4", "-o", "addr", "show", "eth0")).contains(status.podIP() + "/24");
    assertThat(exec(ref, "app", "ip", "route")).contains("default via " + network.gateway());
    assertThat(ip("-4", "-o", "addr", "show", "dev", bridge)).as("the bridge holds the gateway")
        .contains(network.gateway() + "/24");
    String conflist = Files.readString(Path.of("/etc/cni/net.d", networkName + ".conflist"));
    assertThat(conflist).contains("\"bridge\": \"" + bridge + "\"", "\"subnet\": \"" + network.subnet() + "\"",
        "\"gateway\": \"" + network.gateway() + "\"");
    assertThat(Podman.cli("network", "inspect", "--format", "{{index .Labels \"" + PodNetworks.LABEL + "\"}}",
        networkName).trim()).isEqualTo(node);
    assertThat(Podman.cli("inspect", "--format", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}",
        infraOf(ref)).trim()).isEqualTo(networkName);
  }

  @Test
  void thePodNetworkComingOrGoingRestartsNoPod() {
    ObjectRef before = start("before");
    PodStatusReport first = running(before);
    assertThat(first.podIP()).as("the engine's default network").startsWith("10.88.");
    String infra = infraOf(before);
    String app = containerId(before, "app");

    TestNetwork network = network(null);
    podNetwork = network;
    ObjectRef during = start("during");
    PodStatusReport second = running(during);
    String prefix = network.subnet().substring(0, network.subnet().length() - "0/24".length());
    assertThat(second.podIP()).startsWith(prefix);
    String duringInfra = infraOf(during);

    podNetwork = null;
    ObjectRef after = start("after");
    assertThat(running(after).podIP()).startsWith("10.88.");
    for (int i = 0; i < 3; i++) {
      reconciler.reconcile();
    }
    assertThat(infraOf(before)).isEqualTo(infra);
    assertThat(containerId(before, "app")).isEqualTo(app);
    assertThat(store.status(before.uid()).podIP()).isEqualTo(first.podIP());
    assertThat(store.status(before.uid()).containers().get(0).restartCount()).isZero();
    assertThat(infraOf(during)).isEqualTo(duringInfra);
    assertThat(store.status(during.uid()).podIP()).isEqualTo(second.podIP());
    assertThat(store.status(during.uid()).containers().get(0).restartCount()).isZero();
    assertThat(store.events).noneMatch(e -> "SandboxChanged".equals(e.reason()) || "Killing".equals(e.reason()));
  }

  @Test
  void aNetworkWithAnotherSubnetIsCreatedAgainWhenUnusedAndRefusedWithAReasonWhileUsed() {
    TestNetwork stale = network(null);
    // No container ever joins it, so no bridge is ever made for it.
    Podman.cli("network", "create", "--subnet", stale.subnet(), "--gateway", stale.gateway(), networkName);
    TestNetwork current = network(null);
    podNetwork = current;
    ObjectRef first = start("first");
    String currentPrefix = current.subnet().substring(0, current.subnet().length() - "0/24".length());
    assertThat(running(first).podIP()).as("the unused network was created again with the node's range")
        .startsWith(currentPrefix);

    TestNetwork moved = network(null); // the node's range changes while a pod uses the network
    podNetwork = moved;
    ObjectRef second = start("second");
    PodStatusReport waiting = reconcileUntil(second.uid(), s -> s.containers().get(0).state().message() != null
        && s.containers().get(0).state().message().contains("still use it"));
    assertThat(waiting.phase()).isEqualTo("Pending");
    assertThat(waiting.containers().get(0).state().reason()).isEqualTo("ContainerCreating");
    assertThat(waiting.containers().get(0).state().message()).startsWith("Failed to create pod sandbox: engine network "
        + networkName + " has subnet " + current.subnet()).contains("not the node's pod range " + moved.subnet());
    assertThat(store.events).anySatisfy(e -> {
      assertThat(e.reason()).isEqualTo("FailedCreatePodSandBox");
      assertThat(e.ref().uid()).isEqualTo(second.uid());
    });
    assertThat(store.status(first.uid()).phase()).as("the pod on it keeps running").isEqualTo("Running");

    store.remove(first.uid()); // once nothing uses it, the next attempt creates it again
    String movedPrefix = moved.subnet().substring(0, moved.subnet().length() - "0/24".length());
    assertThat(running(second).podIP()).startsWith(movedPrefix);
  }
}
