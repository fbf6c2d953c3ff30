package io.outpost.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.outpost.protocol.Downstream;
import io.outpost.testing.Mosquitto;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Active/standby: two bridges, one Lease; the standby takes over when the active one stops. */
@EnableKubernetesMockClient(crud = true)
class BridgeFailoverTest {
  static KubernetesClient client;

  @TempDir Path dir;

  private static BridgeConfig config(String broker, String identity) {
    return BridgeConfig.from(Map.of("OUTPOST_BROKER_URL", broker, "OUTPOST_HTTP_PORT", "0",
        "OUTPOST_MQTT_CLIENT_ID", "bridge-" + identity, "OUTPOST_LEADER_ELECTION_NAMESPACE", "outpost-system",
        "OUTPOST_LEADER_IDENTITY", identity, "OUTPOST_LEADER_LEASE_SECONDS", "3"));
  }

  @Test
  void theStandbyTakesOverAndTheEdgeOnlyResyncs() throws Exception {
    try (Mosquitto broker = Mosquitto.start(dir.resolve("broker"));
        Bridge first = new Bridge(config(broker.url(), "first"), client);
        Bridge second = new Bridge(config(broker.url(), "second"), client);
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

      first.close(); // releases the Lease
      await().atMost(FakeEdge.TIMEOUT).until(second::isActive);
      await().atMost(FakeEdge.TIMEOUT).until(second::isReady);
      // The edge resyncs with the new session (a real edge does so when it sees the announcement) and then gets
      // live changes from the new bridge.
      List<io.outpost.protocol.ObjectRef> held = List.of(edge.awaitUpsert("before").ref(), edge.awaitMessage("Node",
          m -> m.ref() != null && "Node".equals(m.ref().kind())).ref());
      List<Downstream> answer = edge.awaitResyncAnswer(edge.resync(held));
      // Nothing is deleted or new. An object whose resourceVersion moved without a content change (a Node's status
      // write, a pod's tolerations) may be sent again once: a new bridge cannot know it was unchanged.
      assertThat(answer.get(0).op()).isEqualTo(Downstream.Op.SYNC_BEGIN);
      assertThat(answer.get(answer.size() - 1).op()).isEqualTo(Downstream.Op.SYNC_END);
      assertThat(answer.subList(1, answer.size() - 1)).allSatisfy(m -> {
        assertThat(m.op()).isEqualTo(Downstream.Op.UPSERT);
        assertThat(held).anySatisfy(r -> assertThat(r.uid()).isEqualTo(m.ref().uid()));
      });
      BridgeHarness.createPod(client, "shop", "after", "edge-ha", b -> b);
      Downstream after = edge.awaitUpsert("after");
      assertThat(after.epoch()).as("sent by the new bridge").isGreaterThan(edge.awaitUpsert("before").epoch());
      assertThat(client.leases().inNamespace("outpost-system").withName("outpost-bridge").get().getSpec()
          .getHolderIdentity()).isEqualTo("second");
    } finally {
      client.pods().inAnyNamespace().delete();
      client.nodes().delete();
      client.leases().inAnyNamespace().delete();
    }
  }
}
