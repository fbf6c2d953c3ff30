package io.outpost.bridge;

import static io.outpost.bridge.BridgeHarness.ref;
import static io.outpost.bridge.BridgeHarness.running;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.outpost.bridge.config.BridgeConfig;
import io.outpost.protocol.Codec;
import io.outpost.protocol.ContentHash;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.ResyncRequest;
import io.outpost.protocol.Topics;
import io.outpost.testing.Ports;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bridge end to end: fabric8's CRUD mock API server, a real Mosquitto, and fake edges speaking protocol v1. */
@EnableKubernetesMockClient(crud = true)
class BridgeTest {
  static KubernetesClient client;
  static KubernetesMockServer server;

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

  @Test
  void heartbeatRegistersTheNodeAndRenewsItsLease() throws Exception {
    FakeEdge edge = h.edge("edge-hb");
    edge.heartbeat();

    Node node = await().atMost(FakeEdge.TIMEOUT).until(() -> client.nodes().withName("edge-hb").get(),
        n -> n != null && n.getStatus() != null && n.getStatus().getNodeInfo() != null);
    assertThat(node.getMetadata().getLabels()).containsEntry("outpost.io/edge", "true")
        .containsEntry("kubernetes.io/hostname", "edge-hb").containsEntry("kubernetes.io/arch", "amd64");
    NodeCondition ready = node.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType()))
        .findFirst().orElseThrow();
    assertThat(ready.getStatus()).isEqualTo("True");
    assertThat(ready.getMessage()).isEqualTo("Outpost edge ready");
    assertThat(node.getStatus().getCapacity()).containsOnlyKeys("cpu", "memory", "pods");
    assertThat(node.getStatus().getCapacity().get("cpu").toString()).isEqualTo("4");
    assertThat(node.getStatus().getCapacity().get("memory").toString()).isEqualTo("8167056Ki");
    assertThat(node.getStatus().getCapacity().get("pods").toString()).isEqualTo("110");
    assertThat(node.getStatus().getAllocatable()).isEqualTo(node.getStatus().getCapacity());
    assertThat(node.getStatus().getAddresses()).extracting(a -> a.getType() + "=" + a.getAddress())
        .containsExactly("InternalIP=192.0.2.17", "Hostname=edge-hb");
    assertThat(node.getStatus().getNodeInfo().getKernelVersion()).isEqualTo("6.1.0-26-amd64");
    assertThat(node.getStatus().getNodeInfo().getOsImage()).isEqualTo("Debian GNU/Linux 12 (bookworm)");
    assertThat(node.getStatus().getNodeInfo().getMachineID()).isEqualTo("machine-edge-hb");
    assertThat(node.getStatus().getNodeInfo().getKubeletVersion()).isEqualTo("outpost/0.1.0-test");

    Lease lease = await().atMost(FakeEdge.TIMEOUT).until(this::edgeHbLease, l -> l != null);
    assertThat(lease.getSpec().getHolderIdentity()).isEqualTo("edge-hb");
    assertThat(lease.getSpec().getLeaseDurationSeconds()).isEqualTo(40);
    assertThat(lease.getMetadata().getOwnerReferences()).singleElement()
        .satisfies(o -> assertThat(o.getKind() + "/" + o.getName() + "/" + o.getUid())
            .isEqualTo("Node/edge-hb/" + node.getMetadata().getUid()));
    ZonedDateTime firstRenewal = lease.getSpec().getRenewTime();
    assertThat(firstRenewal).isNotNull();
    assertThat(h.kubeWrites("nodes")).isEqualTo(1);
    assertThat(h.kubeWrites("leases")).isEqualTo(1);

    edge.heartbeat();
    await().atMost(FakeEdge.TIMEOUT).until(() -> h.kubeWrites("leases") == 2);
    Lease renewed = edgeHbLease();
    assertThat(renewed.getSpec().getHolderIdentity()).isEqualTo("edge-hb");
    assertThat(renewed.getSpec().getRenewTime()).isAfterOrEqualTo(firstRenewal);
    assertThat(h.kubeWrites("nodes")).as("registered once").isEqualTo(1);
  }

  private Lease edgeHbLease() {
    return client.leases().inNamespace("kube-node-lease").withName("edge-hb").get();
  }

  @Test
  void podsBoundToAnEdgeNodeAreSentToItAndOnlyToIt() throws Exception {
    FakeEdge tap = h.wiretap();
    FakeEdge edge = h.registeredEdge("edge-route");
    h.createCloudNode("cloud-route");
    h.createPod("shop", "cloud-web", "cloud-route");
    Pod web = h.createPod("shop", "web", "edge-route");

    Downstream first = edge.awaitUpsert("web");
    assertThat(first.epoch()).isPositive();
    assertThat(first.seq()).isPositive();
    assertThat(first.ref()).isEqualTo(ref(web).withHash(ContentHash.of(first.pod())));
    PodV1 pod = first.pod();
    assertThat(pod.nodeName()).isEqualTo("edge-route");
    assertThat(pod.restartPolicy()).isEqualTo("Always");
    assertThat(pod.deleting()).isFalse();
    PodV1.ContainerV1 app = pod.containers().get(0);
    assertThat(app.name()).isEqualTo("app");
    assertThat(app.image()).isEqualTo("docker.io/library/nginx:1.27");
    assertThat(app.command()).containsExactly("nginx", "-g", "daemon off;");
    assertThat(app.args()).containsExactly("-c", "/etc/nginx/nginx.conf");
    assertThat(app.env()).containsExactly(new PodV1.EnvVarV1("GREETING", "hello world"),
        new PodV1.EnvVarV1("MODE", "edge"));

    h.createPod("shop", "web-2", "edge-route");
    Downstream second = edge.awaitUpsert("web-2");
    assertThat(second.epoch()).isEqualTo(first.epoch());
    assertThat(second.seq()).isGreaterThan(first.seq());

    // cloud-web was created before web, so its event was handled before web's UPSERT reached the wiretap.
    tap.awaitUpsert("web-2");
    assertThat(tap.received()).extracting(FakeEdge.Received::topic).containsOnly(Topics.down("edge-route"));
    assertThat(edge.messages()).filteredOn(m -> m.pod() != null).extracting(m -> m.ref().name())
        .containsExactly("web", "web-2");
    assertThat(edge.undecodable()).isEmpty();
  }

  @Test
  void resyncAnswersWithTheDifferenceBetweenMarkers() throws Exception {
    FakeEdge edge = h.registeredEdge("edge-sync");
    h.createCloudNode("cloud-sync");
    h.createPod("batch", "cloud-job", "cloud-sync");
    h.createPod("batch", "a", "edge-sync");
    h.createPod("batch", "b", "edge-sync");
    long lastLive = Math.max(edge.awaitUpsert("a").seq(), edge.awaitUpsert("b").seq());

    String full = edge.resync(List.of());
    List<Downstream> answer = edge.awaitResyncAnswer(full);
    assertThat(answer).extracting(Downstream::op).containsExactly(Downstream.Op.SYNC_BEGIN,
        Downstream.Op.UPSERT, Downstream.Op.UPSERT, Downstream.Op.UPSERT, Downstream.Op.SYNC_END);
    assertThat(answer.get(0).correlationId()).isEqualTo(full);
    assertThat(answer.get(4).correlationId()).isEqualTo(full);
    assertThat(answer.get(0).seq()).isGreaterThan(lastLive);
    assertConsecutive(answer);
    List<Downstream> upserts = answer.subList(1, 4);
    assertThat(upserts.get(0).ref().kind()).as("the node's own Node object comes first").isEqualTo("Node");
    assertThat(upserts.get(0).ref().name()).isEqualTo("edge-sync");
    assertThat(upserts.subList(1, 3)).extracting(m -> m.ref().name()).containsExactlyInAnyOrder("a", "b");
    assertThat(upserts.subList(1, 3)).allSatisfy(m -> assertThat(m.pod().nodeName()).isEqualTo("edge-sync"));
    List<ObjectRef> held = upserts.stream().map(Downstream::ref).toList();

    String exact = edge.resync(held);
    List<Downstream> nothing = edge.awaitResyncAnswer(exact);
    assertThat(nothing).extracting(Downstream::op).containsExactly(Downstream.Op.SYNC_BEGIN,
        Downstream.Op.SYNC_END);
    assertThat(nothing).extracting(Downstream::correlationId).containsOnly(exact);
    assertThat(nothing.get(0).seq()).isEqualTo(answer.get(4).seq() + 1);
    assertConsecutive(nothing);

    ObjectRef ghost = new ObjectRef("Pod", "batch", "ghost", "0d4e-ghost", "47001");
    List<ObjectRef> withGhost = new ArrayList<>(held);
    withGhost.add(ghost);
    String stale = edge.resync(withGhost);
    List<Downstream> delete = edge.awaitResyncAnswer(stale);
    assertThat(delete).extracting(Downstream::op).containsExactly(Downstream.Op.SYNC_BEGIN,
        Downstream.Op.DELETE, Downstream.Op.SYNC_END);
    assertThat(delete.get(1).ref()).isEqualTo(ghost);
    assertConsecutive(delete);

    assertThat(answer.get(0).epoch()).isEqualTo(delete.get(2).epoch());
    assertThat(h.testResyncs()).isEqualTo(3);
    assertThat(h.metric("outpost_bridge_resync_objects_total")).as("the Node object at registration, then 3 + 1")
        .isEqualTo(5);
    assertThat(edge.messages()).noneMatch(m -> m.ref() != null && "cloud-job".equals(m.ref().name()));
    assertThat(edge.undecodable()).isEmpty();
  }

  private static void assertConsecutive(List<Downstream> messages) {
    long base = messages.get(0).seq();
    assertThat(messages).extracting(Downstream::seq)
        .containsExactlyElementsOf(IntStream.range(0, messages.size()).mapToObj(i -> base + i).toList());
  }

  @Test
  void runningStatusIsWrittenToThePodAndNotRewrittenWhenUnchanged() throws Exception {
    FakeEdge edge = h.registeredEdge("edge-status");
    Pod web = h.createPod("shop", "web", "edge-status");
    edge.awaitUpsert("web");

    edge.report(running("edge-status", ref(web)));
    Pod updated = await().atMost(FakeEdge.TIMEOUT).until(() -> h.pod("shop", "web"),
        p -> p.getStatus() != null && "Running".equals(p.getStatus().getPhase()));
    assertThat(updated.getStatus().getPodIP()).isEqualTo("10.88.0.5");
    assertThat(updated.getStatus().getStartTime()).isEqualTo("2024-11-23T09:41:09Z");
    ContainerStatus app = updated.getStatus().getContainerStatuses().get(0);
    assertThat(app.getName()).isEqualTo("app");
    assertThat(app.getReady()).isTrue();
    assertThat(app.getRestartCount()).isZero();
    assertThat(app.getContainerID()).isEqualTo("docker://a3f9");
    assertThat(app.getState().getRunning()).isNotNull();
    assertThat(app.getState().getRunning().getStartedAt()).isEqualTo("2024-11-23T09:41:10Z");
    assertThat(app.getState().getWaiting()).isNull();
    assertThat(updated.getStatus().getConditions()).filteredOn(c -> "Ready".equals(c.getType()))
        .extracting(PodCondition::getStatus).containsExactly("True");
    assertThat(h.kubeWrites("pods/status")).isEqualTo(1);

    // The status write changes only the pod's status: the router does not send it back to the edge (it counts the
    // skip once its informer holds the written status), and a duplicate report is not written again. The heartbeat
    // after it marks when the upstream thread has handled it.
    await().atMost(FakeEdge.TIMEOUT).until(() -> h.metric("outpost_bridge_unchanged_skipped_total") >= 1);
    edge.report(running("edge-status", ref(web)));
    edge.heartbeat();
    await().atMost(FakeEdge.TIMEOUT).until(() -> h.metric("outpost_bridge_heartbeats_total") == 2);
    assertThat(h.kubeWrites("pods/status")).isEqualTo(1);
    assertThat(h.metric("outpost_bridge_messages_in_total", "channel", "status")).isEqualTo(2);
  }

  @Test
  void gracefulDeletionReachesTheEdgeAndIsCompletedWhenTheEdgeReportsStopped() throws Exception {
    FakeEdge edge = h.registeredEdge("edge-del");
    // The CRUD mock removes at once a pod marked for deletion without finalizers; a finalizer keeps the pod in the
    // state a real API server keeps a gracefully deleted pod in (it then also ignores the grace-0 DELETE).
    Pod doomed = h.createPod("shop", "doomed", "edge-del", b -> b.editMetadata()
        .withFinalizers("outpost.io/test-hold").endMetadata().editSpec().withTerminationGracePeriodSeconds(30L)
        .endSpec());
    edge.awaitUpsert("doomed");

    // stopped=true for a pod that is not being deleted is ignored.
    edge.report(BridgeHarness.stopped("edge-del", ref(doomed)));
    await().atMost(FakeEdge.TIMEOUT).until(() -> h.kubeWrites("pods/status") == 1);
    assertThat(h.kubeWrites("pods")).isZero();

    String deletionTimestamp = Instant.now().toString();
    client.pods().inNamespace("shop").withName("doomed").patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"metadata\":{\"deletionTimestamp\":\"" + deletionTimestamp + "\",\"deletionGracePeriodSeconds\":15}}");
    Downstream deleting = edge.awaitMessage("UPSERT with deletionTimestamp",
        m -> m.op() == Downstream.Op.UPSERT && m.pod() != null && m.pod().deleting());
    assertThat(deleting.ref().uid()).isEqualTo(doomed.getMetadata().getUid());
    assertThat(deleting.pod().deletionTimestamp()).isEqualTo(deletionTimestamp);
    assertThat(deleting.pod().deletionGracePeriodSeconds()).isEqualTo(15L);
    assertThat(deleting.pod().gracePeriodSeconds()).isEqualTo(15L);

    edge.report(BridgeHarness.stopped("edge-del", deleting.ref()));
    await().atMost(FakeEdge.TIMEOUT).until(() -> h.kubeWrites("pods") == 1);
    assertThat(h.pod("shop", "doomed").getStatus().getContainerStatuses().get(0).getState().getTerminated()
        .getReason()).isEqualTo("Completed");
    assertThat(deleteRequests("/api/v1/namespaces/shop/pods/doomed")).singleElement()
        .satisfies(body -> assertThat(body).contains("\"gracePeriodSeconds\":0"));

    // The finalizer's owner lets go: the pod leaves the API and the informer, and the edge is told.
    client.pods().inNamespace("shop").withName("doomed").patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"metadata\":{\"finalizers\":null}}");
    await().atMost(FakeEdge.TIMEOUT).until(() -> h.pod("shop", "doomed") == null);
    Downstream gone = edge.awaitMessage("DELETE of doomed", FakeEdge.deleteOf("doomed"));
    assertThat(gone.ref().uid()).isEqualTo(doomed.getMetadata().getUid());
  }

  private static List<String> deleteRequests(String path) throws InterruptedException {
    List<String> bodies = new ArrayList<>();
    RecordedRequest request;
    while ((request = server.takeRequest(10, TimeUnit.MILLISECONDS)) != null) {
      if ("DELETE".equals(request.getMethod()) && request.getPath().startsWith(path)) {
        bodies.add(request.getUtf8Body());
      }
    }
    return bodies;
  }

  @Test
  void rejectedUpstreamMessagesAreCountedAndNeverWritten() throws Exception {
    FakeEdge a = h.registeredEdge("edge-rej-a");
    FakeEdge b = h.registeredEdge("edge-rej-b");
    Pod onA = h.createPod("shop", "on-a", "edge-rej-a");
    Pod onB = h.createPod("shop", "on-b", "edge-rej-b");
    a.awaitUpsert("on-a");
    b.awaitUpsert("on-b");
    ObjectRef refA = ref(onA);

    a.report(BridgeHarness.phase("edge-rej-b", refA, "Failed"));
    a.heartbeat(FakeEdge.nodeReport("edge-rej-b"));
    a.publish(Topics.Up.RESYNC, new Codec().encode(
        new ResyncRequest(Codec.VERSION, "edge-rej-b", "c-1", 0, 0, "test", List.of(), null, null)));
    a.report(BridgeHarness.phase("edge-rej-a", ref(onB), "Failed"));
    a.report(BridgeHarness.phase("edge-rej-a", new ObjectRef("Pod", "shop", "on-a", "not-the-uid", "1"), "Failed"));
    a.report(BridgeHarness.phase("edge-rej-a", new ObjectRef("Pod", "shop", "nobody", "uid-x", "1"), "Failed"));
    a.publishJson(Topics.Up.STATUS, "{not json");
    a.publishJson(Topics.Up.STATUS, "{\"v\":2}");
    a.publish(Topics.Up.STATUS, new byte[262_145]);
    a.report(BridgeHarness.phase("edge-rej-a", refA, "Sleeping"));
    a.publishRaw("outpost/v1/edge-rej-a/up/status/extra", "{}".getBytes(StandardCharsets.UTF_8));

    a.report(running("edge-rej-a", refA));
    await().atMost(FakeEdge.TIMEOUT).until(() -> h.kubeWrites("pods/status") == 1);
    assertThat(h.rejected("wrong_node")).isEqualTo(3);
    assertThat(h.rejected("not_bound_to_node")).isEqualTo(1);
    assertThat(h.rejected("unknown_pod")).isEqualTo(2);
    assertThat(h.rejected("malformed")).isEqualTo(1);
    assertThat(h.rejected("unsupported_version")).isEqualTo(1);
    assertThat(h.rejected("oversized")).isEqualTo(1);
    assertThat(h.rejected("invalid")).isEqualTo(1);
    assertThat(h.rejected("unknown_topic")).isEqualTo(1);
    assertThat(h.pod("shop", "on-a").getStatus().getPhase()).isEqualTo("Running");
    assertThat(h.pod("shop", "on-b").getStatus()).satisfiesAnyOf(
        s -> assertThat(s).isNull(), s -> assertThat(s.getPhase()).isNull());
    assertThat(h.kubeWrites("leases")).as("one lease write per registration only").isEqualTo(2);
    assertThat(h.testResyncs()).isZero();
  }

  @Test
  void httpEndpointsReportHealthReadinessAndMetrics() throws Exception {
    FakeEdge edge = h.registeredEdge("edge-http");
    edge.publishJson(Topics.Up.STATUS, "{not json");
    await().atMost(FakeEdge.TIMEOUT).until(() -> h.rejected("malformed") == 1);

    HttpClient http = HttpClient.newHttpClient();
    assertThat(get(http, h.bridge.httpPort(), "/healthz")).satisfies(r -> {
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("ok\n");
    });
    assertThat(get(http, h.bridge.httpPort(), "/readyz")).satisfies(r -> {
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("ready\n");
    });
    assertThatCode(() -> h.bridge.metrics().render()).as("Metrics.render()").doesNotThrowAnyException();
    HttpResponse<String> metrics = get(http, h.bridge.httpPort(), "/metrics");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4");
    assertThat(metrics.body().lines()).contains("# TYPE outpost_bridge_rejected_total counter",
        "outpost_bridge_rejected_total{reason=\"malformed\"} 1", "# TYPE outpost_bridge_mqtt_connected gauge",
        "outpost_bridge_mqtt_connected 1", "outpost_bridge_messages_in_total{channel=\"status\"} 1");
  }

  @Test
  void notReadyWhileTheBrokerIsUnreachable() throws Exception {
    try (Bridge unconnected = new Bridge(BridgeConfig.forPlaintextBroker("tcp://127.0.0.1:" + Ports.free()), client)) {
      unconnected.start();
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> ready = get(http, unconnected.httpPort(), "/readyz");
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body()).isEqualTo("MQTT not connected\n");
      assertThat(get(http, unconnected.httpPort(), "/healthz").statusCode()).isEqualTo(200);
      assertThat(unconnected.isReady()).isFalse();
      assertThat(unconnected.metrics().get("outpost_bridge_mqtt_connected")).isZero();
    }
  }

  private static HttpResponse<String> get(HttpClient http, int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
