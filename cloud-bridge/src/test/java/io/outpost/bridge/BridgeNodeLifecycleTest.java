package io.outpost.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Leases follow heartbeats (paced, and never for a silent node); bound edge pods get no-eviction tolerations. */
@EnableKubernetesMockClient(crud = true)
class BridgeNodeLifecycleTest {
  static KubernetesClient client;

  @TempDir Path dir;
  private BridgeHarness h;

  @BeforeEach
  void start() throws Exception {
    h = BridgeHarness.start(dir, client);
  }

  @AfterEach
  void stop() throws Exception {
    h.close();
  }

  private ZonedDateTime renewTime(String node) {
    Lease lease = client.leases().inNamespace("kube-node-lease").withName(node).get();
    return lease == null ? null : lease.getSpec().getRenewTime();
  }

  @Test
  void aSilentNodesLeaseIsNotRenewedWhileALiveOnesIs() throws Exception {
    FakeEdge silent = h.registeredEdge("edge-silent");
    FakeEdge alive = h.registeredEdge("edge-alive");
    ZonedDateTime silentRenewed = renewTime("edge-silent");
    ZonedDateTime first = renewTime("edge-alive");
    assertThat(silentRenewed).isNotNull();
    // Heartbeats from one node only, until its Lease has been renewed twice more (each renewal needs a fresh one).
    await().atMost(FakeEdge.TIMEOUT).until(() -> {
      alive.heartbeat();
      ZonedDateTime now = renewTime("edge-alive");
      return now != null && now.isAfter(first.plusSeconds(1));
    });
    assertThat(renewTime("edge-silent")).as("no heartbeat, no renewal: Kubernetes sees the truth")
        .isEqualTo(silentRenewed);
    assertThat(silent.messages()).isNotEmpty();
  }

  @Test
  void boundEdgePodsWithoutTolerationsGetThemAndBoundedOnesAreCounted() throws Exception {
    h.registeredEdge("edge-tol");
    h.createPod("shop", "bare", "edge-tol");
    h.createPod("shop", "bounded", "edge-tol", b -> b.editSpec().withTolerations(
        new Toleration("NoExecute", "node.kubernetes.io/unreachable", "Exists", 300L, null),
        new Toleration("NoExecute", "node.kubernetes.io/not-ready", "Exists", 300L, null)).endSpec());
    h.createCloudNode("worker-tol");
    h.createPod("shop", "cloud", "worker-tol");

    Pod bare = await().atMost(FakeEdge.TIMEOUT).until(() -> h.pod("shop", "bare"),
        p -> p.getSpec().getTolerations() != null && p.getSpec().getTolerations().size() == 2);
    assertThat(bare.getSpec().getTolerations()).allSatisfy(t -> {
      assertThat(t.getEffect()).isEqualTo("NoExecute");
      assertThat(t.getOperator()).isEqualTo("Exists");
      assertThat(t.getTolerationSeconds()).isNull();
    }).extracting(Toleration::getKey)
        .containsExactlyInAnyOrder("node.kubernetes.io/unreachable", "node.kubernetes.io/not-ready");
    await().atMost(FakeEdge.TIMEOUT).until(() -> h.metric("outpost_bridge_evictable_pods_total") == 1);
    assertThat(h.pod("shop", "bounded").getSpec().getTolerations()).hasSize(2);
    assertThat(h.pod("shop", "cloud").getSpec().getTolerations()).as("cloud pods are not touched")
        .isNullOrEmpty();
    assertThat(h.metric("outpost_bridge_tolerations_added_total")).isEqualTo(1);
    assertThat(List.of(h.pod("shop", "bare").getMetadata().getName())).containsExactly("bare");
  }
}
