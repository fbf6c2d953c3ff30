package io.outpost.bridge;

import static io.outpost.bridge.BridgeHarness.ref;
import static io.outpost.bridge.BridgeHarness.running;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.outpost.protocol.Buckets;
import io.outpost.protocol.Codec;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.ProtocolException;
import io.outpost.protocol.ResyncRequest;
import io.outpost.protocol.Topics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regression tests for defects found in the bridge while its tests were written (all fixed): upstream messages on
 * a non-edge node's topics, pods deleted after their Node object, and content the decoder accepts but the bridge
 * cannot apply. The comment on each test describes the defect it guards against.
 */
@EnableKubernetesMockClient(crud = true)
class BridgeHardeningTest {
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

  /**
   * Guards against upstream messages on a non-edge node's topics being applied: without the edge-node check, anyone
   * who can publish on outpost/v1/worker-1/up/... could rewrite the status of a cloud node's pods, take over its
   * Node status and Lease, and have its pods' specs published on outpost/v1/worker-1/down.
   */
  @Test
  void upstreamOnTheTopicsOfANonEdgeNodeIsNeitherWrittenNorAnswered() throws Exception {
    h.createCloudNode("worker-1");
    Pod api = h.createPod("apps", "api", "worker-1");
    FakeEdge edge = h.registeredEdge("edge-ok");
    Pod marker = h.createPod("apps", "marker", "edge-ok");
    edge.awaitUpsert("marker");
    FakeEdge tap = h.wiretap();
    FakeEdge impostor = h.edge("worker-1");

    impostor.report(running("worker-1", ref(api)));
    impostor.heartbeat();
    impostor.resync(List.of());
    // Published after the impostor's messages were acknowledged: handled after them on the upstream thread.
    edge.report(running("edge-ok", ref(marker)));
    String done = edge.resync(List.of());
    tap.awaitMessage("SYNC_END " + done, m -> done.equals(m.correlationId()) && m.op() == Downstream.Op.SYNC_END);
    await().atMost(FakeEdge.TIMEOUT).until(() -> h.pod("apps", "marker").getStatus() != null);

    SoftAssertions softly = new SoftAssertions();
    softly.assertThat(h.pod("apps", "api").getStatus()).as("status of a cloud node's pod").isNull();
    softly.assertThat(client.nodes().withName("worker-1").get().getStatus()).as("cloud Node status").isNull();
    softly.assertThat(client.leases().inNamespace("kube-node-lease").withName("worker-1").get())
        .as("cloud node Lease").isNull();
    softly.assertThat(tap.received()).as("messages on outpost/v1/worker-1/down")
        .noneMatch(r -> r.topic().equals(Topics.down("worker-1")));
    softly.assertAll();
  }

  /**
   * Guards against a DELETE being routed only while the pod's Node is in the edge node informer: when the Node
   * object is removed (kubectl delete node; the pod GC then deletes its pods), the edge must still be told.
   */
  @Test
  void podDeletedAfterItsNodeObjectWasRemovedIsStillDeletedOnTheEdge() throws Exception {
    FakeEdge tap = h.wiretap();
    FakeEdge gone = h.registeredEdge("edge-gone");
    h.registeredEdge("edge-stay");
    h.createPod("apps", "orphan", "edge-gone");
    gone.awaitUpsert("orphan");

    long nodes = h.metric("outpost_bridge_edge_nodes");
    client.nodes().withName("edge-gone").delete();
    await().atMost(FakeEdge.TIMEOUT).until(() -> h.metric("outpost_bridge_edge_nodes") == nodes - 1);
    client.pods().inNamespace("apps").withName("orphan").withGracePeriod(0).delete();
    // Created after the deletion: once its UPSERT arrived, the deletion event has been routed (or dropped).
    h.createPod("apps", "later", "edge-stay");
    tap.awaitUpsert("later");

    assertThat(gone.messages()).as("messages to edge-gone").anyMatch(FakeEdge.deleteOf("orphan"));
  }

  /**
   * Guards against content the decoder accepts but the bridge cannot apply (a container state without "kind", a null
   * capacity value) escaping into the upstream executor unlogged and uncounted: protocol.md 5.4 requires container
   * statuses to be treated defensively, and section 10 requires every drop to be logged and counted.
   */
  @Test
  void reportsWithOddContentAreAppliedOrRejectedNeverSilentlyLost() throws Exception {
    FakeEdge edge = h.registeredEdge("edge-odd");
    Pod odd = h.createPod("apps", "odd", "edge-odd");
    Pod marker = h.createPod("apps", "marker", "edge-odd");
    edge.awaitUpsert("odd");
    edge.awaitUpsert("marker");

    edge.publishJson(Topics.Up.STATUS, "{\"v\":1,\"node\":\"edge-odd\","
        + "\"ref\":{\"kind\":\"Pod\",\"namespace\":\"apps\",\"name\":\"odd\","
        + "\"uid\":\"" + odd.getMetadata().getUid() + "\",\"resourceVersion\":\"1\"},"
        + "\"phase\":\"Pending\",\"containers\":[{\"name\":\"app\",\"ready\":false,\"restartCount\":0,"
        + "\"state\":{}}],\"stopped\":false}");
    edge.publishJson(Topics.Up.NODE, "{\"v\":1,\"node\":\"edge-odd\",\"sentAt\":\"2024-11-23T09:41:07Z\","
        + "\"ready\":true,\"capacity\":{\"cpu\":null,\"pods\":\"110\"}}");
    edge.report(running("edge-odd", ref(marker)));
    await().atMost(FakeEdge.TIMEOUT).until(() -> h.pod("apps", "marker").getStatus() != null);

    boolean statusApplied = h.pod("apps", "odd").getStatus() != null;
    boolean heartbeatApplied = h.metric("outpost_bridge_heartbeats_total") == 2;
    long rejected = rejectedTotal();
    assertThat((statusApplied ? 1 : 0) + (heartbeatApplied ? 1 : 0) + rejected)
        .as("odd reports applied (status %s, heartbeat %s) or rejected (%s)", statusApplied, heartbeatApplied,
            rejected)
        .isEqualTo(2);
  }

  private long rejectedTotal() {
    List<String> reasons = new ArrayList<>(Stream.of(ProtocolException.Reason.values())
        .map(ProtocolException.Reason::label).toList());
    reasons.addAll(List.of("unknown_pod", "not_bound_to_node"));
    return reasons.stream().mapToLong(h::rejected).sum();
  }

  /** The compact resync form: a matching digest costs two markers, a stale one a DIGEST_MISMATCH and no objects. */
  @Test
  void compactDigestIsAnsweredWithMarkersOrAMismatch() throws Exception {
    FakeEdge edge = h.registeredEdge("edge-compact");
    h.createPod("batch", "c1", "edge-compact");
    h.createPod("batch", "c2", "edge-compact");
    ObjectRef self = edge.awaitMessage("its Node object", m -> m.ref() != null && "Node".equals(m.ref().kind()))
        .ref();
    List<ObjectRef> held = List.of(self, edge.awaitUpsert("c1").ref(), edge.awaitUpsert("c2").ref());

    String matching = edge.resyncCompact(held);
    assertThat(edge.awaitResyncAnswer(matching)).extracting(Downstream::op)
        .containsExactly(Downstream.Op.SYNC_BEGIN, Downstream.Op.SYNC_END);

    String stale = edge.resyncCompact(held.subList(0, 1));
    Downstream mismatch = edge.awaitMessage("DIGEST_MISMATCH", m -> m.op() == Downstream.Op.DIGEST_MISMATCH
        && stale.equals(m.correlationId()));
    assertThat(mismatch.seq()).isPositive();
    assertThat(h.metric("outpost_bridge_digest_mismatches_total")).isEqualTo(1);

    // The node lists only the refs of the buckets whose digest differs; the bridge fills in the rest from what its
    // mismatch described, and sends just what is missing.
    List<ObjectRef> nodeHolds = held.subList(0, 2);
    List<String> theirs = mismatch.buckets();
    assertThat(theirs).hasSize(Buckets.countFor(3));
    List<String> ours = Buckets.digests(nodeHolds, theirs.size());
    List<Integer> differing = new ArrayList<>();
    for (int b = 0; b < theirs.size(); b++) {
      if (!theirs.get(b).equals(ours.get(b))) {
        differing.add(b);
      }
    }
    List<ObjectRef> listed = nodeHolds.stream()
        .filter(r -> differing.contains(Buckets.bucketOf(r.key(), theirs.size()))).toList();
    String partialId = "partial-1";
    edge.publish(Topics.Up.RESYNC, new Codec().encode(new ResyncRequest(Codec.VERSION, "edge-compact", partialId, 0,
        0, "digest_mismatch", listed, ResyncRequest.digestOf(nodeHolds), nodeHolds.size(), theirs.size(),
        differing)));
    List<Downstream> answer = edge.awaitResyncAnswer(partialId);
    assertThat(answer).extracting(Downstream::op).containsExactly(Downstream.Op.SYNC_BEGIN, Downstream.Op.UPSERT,
        Downstream.Op.SYNC_END);
    assertThat(answer.get(1).ref().key()).isEqualTo(held.get(2).key());
    assertThat(answer.get(1).ref().uid()).isEqualTo(held.get(2).uid());

    // A partial request this bridge has no mismatch for (e.g. sent before it restarted) is compared again.
    edge.publish(Topics.Up.RESYNC, new Codec().encode(new ResyncRequest(Codec.VERSION, "edge-compact", "partial-2",
        0, 0, "digest_mismatch", listed, ResyncRequest.digestOf(nodeHolds), nodeHolds.size(), theirs.size(),
        differing)));
    edge.awaitMessage("second DIGEST_MISMATCH", m -> m.op() == Downstream.Op.DIGEST_MISMATCH
        && "partial-2".equals(m.correlationId()));
  }
}
