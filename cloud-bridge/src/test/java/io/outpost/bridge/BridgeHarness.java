package io.outpost.bridge;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.outpost.bridge.config.BridgeConfig;
import io.outpost.bridge.kube.Devices;
import io.outpost.protocol.Codec;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.testing.Mosquitto;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * One bridge under test: a real Mosquitto, the bridge on the given (mock) Kubernetes client, and the fake edges
 * of one test. {@link #close()} closes them all and removes every Pod, Node and Lease the test left behind.
 */
final class BridgeHarness implements AutoCloseable {
  final Mosquitto broker;
  final Bridge bridge;
  /** The test's own client: no RBAC, for arranging and inspecting the cluster. */
  final KubernetesClient client;
  /** The shipped RBAC, enforced on every request of the bridge's client; checked at {@link #close()}. */
  final RbacEnforcement rbac;
  private final List<FakeEdge> edges = new ArrayList<>();

  private BridgeHarness(Mosquitto broker, Bridge bridge, KubernetesClient client, RbacEnforcement rbac) {
    this.broker = broker;
    this.bridge = bridge;
    this.client = client;
    this.rbac = rbac;
  }

  /**
   * Starts a broker and a bridge and waits until the bridge is ready (informers synced, MQTT subscribed). The bridge
   * talks to Kubernetes as its ServiceAccount under the shipped RBAC ({@link RbacEnforcement}).
   */
  static BridgeHarness start(Path dir, KubernetesClient client) throws Exception {
    return start(dir, client, Map.of());
  }

  /** {@link #start(Path, KubernetesClient)} with further {@code OUTPOST_*} settings. */
  static BridgeHarness start(Path dir, KubernetesClient client, Map<String, String> settings) throws Exception {
    Mosquitto broker = Mosquitto.start(dir.resolve("broker"));
    RbacEnforcement rbac = RbacEnforcement.forBridge(client);
    // Leases renewed every second (the least allowed), so that tests see renewals without waiting long.
    Map<String, String> env = new java.util.HashMap<>(Map.of("OUTPOST_BROKER_URL", broker.url(),
        "OUTPOST_HTTP_PORT", "0", "OUTPOST_LEASE_RENEW_SECONDS", "1",
        "OUTPOST_INSECURE_PLAINTEXT", "true", // its own Mosquitto: plain MQTT allowed explicitly
        "OUTPOST_POD_CIDRS", "10.88.0.0/16")); // Podman's default network, where the test reports' pod IPs lie
    env.putAll(settings);
    Bridge bridge = new Bridge(BridgeConfig.from(env), rbac.client(client));
    BridgeHarness harness = new BridgeHarness(broker, bridge, client, rbac);
    try {
      bridge.start();
      await("bridge ready").atMost(FakeEdge.TIMEOUT).until(bridge::isReady);
      return harness;
    } catch (Exception | AssertionError e) {
      harness.close();
      throw e;
    }
  }

  FakeEdge edge(String node) throws Exception {
    FakeEdge edge = FakeEdge.connect(broker.url(), node);
    edges.add(edge);
    return edge;
  }

  FakeEdge wiretap() throws Exception {
    FakeEdge tap = FakeEdge.wiretap(broker.url());
    edges.add(tap);
    return tap;
  }

  /**
   * A connected edge whose first heartbeat registered its Node, once the bridge's node informer holds it, and that
   * has resynced as a real edge does on connect (the bridge streams live changes only to resynced nodes). Its
   * store is empty at first, so the answer carries its Node object.
   */
  FakeEdge registeredEdge(String node) throws Exception {
    FakeEdge edge = edge(node);
    long before = metric("outpost_bridge_edge_nodes");
    edge.heartbeat();
    await("edge node " + node + " in the bridge's informer").atMost(FakeEdge.TIMEOUT)
        .until(() -> metric("outpost_bridge_edge_nodes") == before + 1);
    edge.awaitResyncAnswer(edge.resync(List.of()));
    handshakes++;
    return edge;
  }

  private long handshakes;

  /** Resyncs answered other than the ones {@link #registeredEdge} did. */
  long testResyncs() {
    return metric("outpost_bridge_resyncs_total") - handshakes;
  }

  long metric(String name, String... labels) {
    return bridge.metrics().get(name, labels);
  }

  long kubeWrites(String resource) {
    return metric("outpost_bridge_kube_writes_total", "resource", resource);
  }

  long rejected(String reason) {
    return metric("outpost_bridge_rejected_total", "reason", reason);
  }

  /** A Node without the edge label, as a cloud worker would be. */
  void createCloudNode(String name) {
    client.nodes().resource(new NodeBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
  }

  Pod createPod(String namespace, String name, String node) {
    return createPod(namespace, name, node, b -> b);
  }

  Pod createPod(String namespace, String name, String node, UnaryOperator<PodBuilder> customize) {
    return createPod(client, namespace, name, node, customize);
  }

  static Pod createPod(KubernetesClient client, String namespace, String name, String node,
      UnaryOperator<PodBuilder> customize) {
    PodBuilder builder = new PodBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
        .withNewSpec().withNodeName(node).withRestartPolicy("Always")
        .addNewContainer().withName("app").withImage("docker.io/library/nginx:1.27")
        .withCommand("nginx", "-g", "daemon off;").withArgs("-c", "/etc/nginx/nginx.conf")
        .withEnv(new EnvVar("GREETING", "hello world", null), new EnvVar("MODE", "edge", null))
        .endContainer().endSpec();
    return client.pods().inNamespace(namespace).resource(customize.apply(builder).build()).create();
  }

  Pod pod(String namespace, String name) {
    return client.pods().inNamespace(namespace).withName(name).get();
  }

  static ObjectRef ref(HasMetadata object) {
    return new ObjectRef(Downstream.KIND_POD, object.getMetadata().getNamespace(), object.getMetadata().getName(),
        object.getMetadata().getUid(), object.getMetadata().getResourceVersion());
  }

  static PodStatusReport running(String node, ObjectRef ref) {
    return new PodStatusReport(Codec.VERSION, node, ref, "Running", null, null, "10.88.0.5", null,
        "2024-11-23T09:41:09Z", List.of(new PodStatusReport.ContainerStatusV1("app", "docker.io/library/nginx:1.27",
            "sha256:9a1e", "docker://a3f9", true, 0, PodStatusReport.ContainerStateV1.running("2024-11-23T09:41:10Z"),
            null)), false);
  }

  static PodStatusReport phase(String node, ObjectRef ref, String phase) {
    return new PodStatusReport(Codec.VERSION, node, ref, phase, null, null, null, null, null, List.of(), false);
  }

  static PodStatusReport stopped(String node, ObjectRef ref) {
    return new PodStatusReport(Codec.VERSION, node, ref, "Succeeded", null, null, null, null, null,
        List.of(new PodStatusReport.ContainerStatusV1("app", "docker.io/library/nginx:1.27", null, null, false, 0,
            PodStatusReport.ContainerStateV1.terminated("Completed", null, 0, "2024-11-23T09:41:10Z",
                "2024-11-23T10:15:03Z"), null)), true);
  }

  @Override
  public void close() throws Exception {
    Exception failure = null;
    for (FakeEdge edge : edges) {
      try {
        edge.close();
      } catch (Exception e) {
        failure = e;
      }
    }
    bridge.close();
    broker.close();
    rbac.close();
    for (Pod pod : client.pods().inAnyNamespace().list().getItems()) {
      if (!pod.getMetadata().getFinalizers().isEmpty()) {
        client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
            .edit(p -> new PodBuilder(p).editMetadata().withFinalizers(List.of()).endMetadata().build());
      }
      client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).delete();
    }
    client.genericKubernetesResources(Devices.DEVICES).inAnyNamespace().delete();
    client.genericKubernetesResources(Devices.DEVICE_MODELS).inAnyNamespace().delete();
    client.configMaps().inAnyNamespace().delete();
    client.secrets().inAnyNamespace().delete();
    client.v1().events().inAnyNamespace().delete();
    client.nodes().list().getItems().forEach(node -> client.nodes().withName(node.getMetadata().getName()).delete());
    client.leases().inAnyNamespace().list().getItems().forEach(lease -> client.leases()
        .inNamespace(lease.getMetadata().getNamespace()).withName(lease.getMetadata().getName()).delete());
    if (failure != null) {
      throw failure;
    }
    rbac.assertNothingDenied();
  }
}
