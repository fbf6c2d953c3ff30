package io.outpost.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.outpost.bridge.config.BridgeConfig;
import io.outpost.bridge.ha.ActiveLabels;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.ObjectRef;
import io.outpost.testing.Mosquitto;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Active/standby: two bridges, one Lease; the standby takes over when the active one stops. Both talk to Kubernetes
 * as the bridge's ServiceAccount under the shipped RBAC ({@link RbacEnforcement}).
 */
@EnableKubernetesMockClient(crud = true)
class BridgeFailoverTest {
  static KubernetesClient client;

  @TempDir Path dir;

  private static BridgeConfig config(String broker, String identity) {
    return BridgeConfig.from(Map.of("OUTPOST_BROKER_URL", broker, "OUTPOST_HTTP_PORT", "0",
        "OUTPOST_MQTT_CLIENT_ID", "bridge-" + identity, "OUTPOST_LEADER_ELECTION_NAMESPACE", "outpost-system",
        "OUTPOST_LEADER_IDENTITY", identity, "OUTPOST_LEADER_LEASE_SECONDS", "3",
        "OUTPOST_INSECURE_PLAINTEXT", "true"));
  }

  private static Downstream latest(FakeEdge edge, String kind) {
    List<Downstream> upserts = edge.messages().stream()
        .filter(m -> m.op() == Downstream.Op.UPSERT && kind.equals(m.ref().kind())).toList();
    assertThat(upserts).as("upserts of kind " + kind).isNotEmpty();
    return upserts.get(upserts.size() - 1);
  }

  @Test
  void theStandbyTakesOverAndTheEdgeOnlyResyncs() throws Exception {
    try (RbacEnforcement rbac = RbacEnforcement.forBridge(client);
        Mosquitto broker = Mosquitto.start(dir.resolve("broker"));
        Bridge first = new Bridge(config(broker.url(), "first"), rbac.client(client));
        Bridge second = new Bridge(config(broker.url(), "second"), rbac.client(client));
        FakeEdge edge = FakeEdge.connect(broker.url(), "edge-ha")) {
      first.start();
      await().atMost(FakeEdge.TIMEOUT).until(() -> first.isActive() && first.isReady());
      second.start();
      await().atMost(FakeEdge.TIMEOUT).until(second::isReady);
      assertThat(second.isActive()).as("standby while the first leads").isFalse();
      assertThat(client.leases().inNamespace("outpost-system").withName("outpost-bridge").get().getSpec()
          .getHolderIdentity()).isEqualTo("first");

      edge.heartbeat();
      await().atMost(FakeEdge.TIMEOUT).until(() -> client.nodes().withName("edge-ha").get() != null);
      edge.awaitResyncAnswer(edge.resync(List.of()));
      BridgeHarness.createPod(client, "shop", "before", "edge-ha", b -> b);
      edge.awaitUpsert("before");

      // The pod's status moves its resourceVersion without changing what the edge holds.
      String sentVersion = latest(edge, "Pod").ref().resourceVersion();
      client.pods().inNamespace("shop").withName("before").editStatus(p -> new PodBuilder(p).editOrNewStatus()
          .withPhase("Running").endStatus().build());
      assertThat(client.pods().inNamespace("shop").withName("before").get().getMetadata().getResourceVersion())
          .isNotEqualTo(sentVersion);

      first.close(); // releases the Lease
      await().atMost(FakeEdge.TIMEOUT).until(second::isActive);
      await().atMost(FakeEdge.TIMEOUT).until(second::isReady);
      // The edge resyncs with the new session (a real edge does so when it sees the announcement). The new bridge
      // never sent this node anything, yet the content hashes in the digest show it that the node is current:
      // nothing is sent again, though resourceVersions moved. Then live changes flow from the new bridge.
      List<ObjectRef> held = List.of(latest(edge, "Pod").ref(), latest(edge, "Node").ref());
      assertThat(held).allSatisfy(ref -> assertThat(ref.hash()).hasSize(32));
      List<Downstream> answer = edge.awaitResyncAnswer(edge.resyncCompact(held));
      assertThat(answer).extracting(Downstream::op).containsExactly(Downstream.Op.SYNC_BEGIN, Downstream.Op.SYNC_END);
      assertThat(edge.messages()).noneMatch(m -> m.op() == Downstream.Op.DIGEST_MISMATCH);
      BridgeHarness.createPod(client, "shop", "after", "edge-ha", b -> b);
      Downstream after = edge.awaitUpsert("after");
      assertThat(after.epoch()).as("sent by the new bridge").isGreaterThan(edge.awaitUpsert("before").epoch());
      assertThat(client.leases().inNamespace("outpost-system").withName("outpost-bridge").get().getSpec()
          .getHolderIdentity()).isEqualTo("second");
      rbac.assertNothingDenied();
    } finally {
      client.pods().inAnyNamespace().delete();
      client.nodes().delete();
      client.leases().inAnyNamespace().delete();
    }
  }

  @Test
  void onlyTheActiveReplicasPodCarriesTheKubeletServiceLabel() throws Exception {
    io.outpost.testing.KubeletPki pki = new io.outpost.testing.KubeletPki(dir.resolve("pki"));
    for (String pod : List.of("bridge-a", "bridge-b")) {
      client.pods().inNamespace("outpost-system").resource(new PodBuilder().withNewMetadata().withName(pod)
          .withNamespace("outpost-system").addToLabels(ActiveLabels.LABEL, "true").endMetadata().withNewSpec()
          .addNewContainer().withName("bridge").withImage("bridge").endContainer().endSpec().build()).create();
    }
    try (RbacEnforcement rbac = RbacEnforcement.forBridge(client);
        Mosquitto broker = Mosquitto.start(dir.resolve("broker"));
        Bridge a = new Bridge(withKubelet(config(broker.url(), "bridge-a"), pki), rbac.client(client));
        Bridge b = new Bridge(withKubelet(config(broker.url(), "bridge-b"), pki), rbac.client(client))) {
      a.start();
      await().atMost(FakeEdge.TIMEOUT).until(a::isActive);
      b.start();
      await().atMost(FakeEdge.TIMEOUT).until(b::isReady);
      assertThat(label("bridge-a")).isEqualTo("true");
      assertThat(label("bridge-b")).as("a restarted standby clears its stale mark").isNull();
      assertThat(a.kubeletPort()).isPositive();

      a.close();
      await().atMost(FakeEdge.TIMEOUT).until(b::isActive);
      await().atMost(FakeEdge.TIMEOUT).until(() -> "true".equals(label("bridge-b")));
      assertThat(label("bridge-a")).isNull();
      rbac.assertNothingDenied();
    }
  }

  private static String label(String pod) {
    Map<String, String> labels = client.pods().inNamespace("outpost-system").withName(pod).get().getMetadata()
        .getLabels();
    return labels == null ? null : labels.get(ActiveLabels.LABEL);
  }

  private static BridgeConfig withKubelet(BridgeConfig config, io.outpost.testing.KubeletPki pki) {
    Map<String, String> env = new java.util.HashMap<>(pki.bridgeEnvironment());
    env.put("OUTPOST_BROKER_URL", config.brokerUrl());
    env.put("OUTPOST_HTTP_PORT", "0");
    env.put("OUTPOST_INSECURE_PLAINTEXT", "true"); // the test's own Mosquitto
    env.put("OUTPOST_MQTT_CLIENT_ID", config.mqttClientId());
    env.put("OUTPOST_LEADER_ELECTION_NAMESPACE", config.leaderElectionNamespace());
    env.put("OUTPOST_LEADER_IDENTITY", config.leaderIdentity());
    env.put("OUTPOST_LEADER_LEASE_SECONDS", "3");
    return BridgeConfig.from(env);
  }
}
