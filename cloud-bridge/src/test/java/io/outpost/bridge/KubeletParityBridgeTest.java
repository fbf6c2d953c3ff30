package io.outpost.bridge;

import static io.outpost.bridge.BridgeHarness.ref;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HostIP;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.outpost.protocol.Codec;
import io.outpost.protocol.EventReport;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodStatusReport.ContainerStateV1;
import io.outpost.protocol.PodStatusReport.ContainerStatusV1;
import io.outpost.protocol.Topics;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One pod life as an edge node reports it (created with its image present, started, crash-looped with back-off,
 * killed on deletion: the reports {@code KubeletParityPodmanTest} sees the node make on real Podman), through the
 * bridge into the CRUD mock API server; the Events and pod status written are compared field by field with what a
 * kubelet 1.32 writes for the same life. Expected values come from the kubelet's source:
 * <ul>
 *   <li>Events: client-go tools/record/event.go {@code makeEvent}/{@code recordToSink} and events_cache.go (one Event
 *       per repeated key, count and lastTimestamp updated), {@code involvedObject} from
 *       {@code kubecontainer.GenerateContainerRef} (apiVersion v1, kind Pod, namespace, name, uid, resourceVersion,
 *       {@code fieldPath spec.containers{web}}), {@code source {component: kubelet, host: <node>}};
 *   <li>status: kubelet_pods.go {@code generateAPIPodStatus} (conditions PodReadyToStartContainers, Initialized,
 *       Ready, ContainersReady, PodScheduled in this order; hostIP/hostIPs the node's own InternalIP), status/
 *       generate.go (reasons and messages), status_manager.go (startTime kept once set).
 * </ul>
 * Outpost differs on purpose in one place: reportingComponent names Outpost (a kubelet writes "kubelet" there).
 */
@EnableKubernetesMockClient(crud = true)
class KubeletParityBridgeTest {
  static KubernetesClient client;

  private static final String NODE = "edge-parity";
  private static final String IMAGE = "localhost/busybox:test";
  private static final Instant T0 = Instant.parse("2026-12-07T01:00:00Z");

  @TempDir Path dir;
  private BridgeHarness h;
  private final Codec codec = new Codec();

  @BeforeEach
  void start() throws Exception {
    h = BridgeHarness.start(dir, client);
  }

  @AfterEach
  void stop() throws Exception {
    h.close();
  }

  @Test
  void aPodLifeBecomesTheEventsAndStatusAKubeletWrites() throws Exception {
    FakeEdge edge = h.registeredEdge(NODE); // its heartbeat reports InternalIP 192.0.2.17
    Pod pod = h.createPod("shop", "web", NODE, b -> b.editSpec().withContainers(new ContainerBuilder()
        .withName("web").withImage(IMAGE).build()).endSpec());
    edge.awaitUpsert("web");
    ObjectRef ref = ref(pod);

    // First status: the sandbox is not up yet, the container is being created.
    edge.report(status(ref, "Pending", false, T0, ContainerStateV1.waiting("ContainerCreating", null), false, 0));
    PodStatus pending = awaitStatus(s -> "Pending".equals(s.getPhase()));
    assertThat(pending.getStartTime()).isEqualTo(T0.toString());
    assertThat(pending.getHostIP()).as("the node's own address, never the bridge's").isEqualTo("192.0.2.17");
    assertThat(pending.getHostIPs()).extracting(HostIP::getIp).containsExactly("192.0.2.17");
    assertThat(conditions(pending)).containsExactly(
        "PodReadyToStartContainers=False reason=null message=null",
        "Initialized=True reason=null message=null",
        "Ready=False reason=ContainersNotReady message=containers with unready status: [web]",
        "ContainersReady=False reason=ContainersNotReady message=containers with unready status: [web]",
        "PodScheduled=True reason=null message=null");

    // The events of the life, as the node sends them: each repeat under its first id with a higher count.
    String web = "spec.containers{web}";
    String backOff = "Back-off restarting failed container web in pod web_shop(" + ref.uid() + ")";
    for (int run = 0; run < 4; run++) {
      Instant at = T0.plusSeconds(new int[] {0, 0, 12, 35}[run]);
      send(edge, event(ref, "00000000000000a1", "Normal", "Pulled", web,
          "Container image \"" + IMAGE + "\" already present on machine", run + 1, T0, at));
      send(edge, event(ref, "00000000000000a2", "Normal", "Created", web, "Created container: web", run + 1, T0, at));
      send(edge, event(ref, "00000000000000a3", "Normal", "Started", web, "Started container web", run + 1, T0, at));
      if (run == 1 || run == 2) {
        send(edge, event(ref, "00000000000000a4", "Warning", "BackOff", web, backOff, run, T0,
            T0.plusSeconds(run == 1 ? 0 : 12)));
      }
    }
    // Running after three restarts, then a redelivery of an older count (QoS 1): changes nothing.
    edge.report(status(ref, "Running", true, T0.plusSeconds(1), ContainerStateV1.running(T0.plusSeconds(35)
        .toString()), true, 3));
    send(edge, event(ref, "00000000000000a1", "Normal", "Pulled", web,
        "Container image \"" + IMAGE + "\" already present on machine", 2, T0, T0));
    PodStatus running = awaitStatus(s -> "Running".equals(s.getPhase()));
    assertThat(running.getStartTime()).as("startTime never moves once set").isEqualTo(T0.toString());
    assertThat(conditions(running)).containsExactly(
        "PodReadyToStartContainers=True reason=null message=null",
        "Initialized=True reason=null message=null",
        "Ready=True reason=null message=null",
        "ContainersReady=True reason=null message=null",
        "PodScheduled=True reason=null message=null");
    assertThat(running.getContainerStatuses().get(0).getRestartCount()).isEqualTo(3);
    assertThat(running.getContainerStatuses().get(0).getLastState().getTerminated().getExitCode()).isEqualTo(1);

    // Deletion: the node stops the container.
    send(edge, event(ref, "00000000000000a5", "Normal", "Killing", web, "Stopping container web", 1,
        T0.plusSeconds(40), T0.plusSeconds(40)));

    await().atMost(FakeEdge.TIMEOUT).until(() -> h.kubeWrites("events") == 15
        && h.metric("outpost_bridge_duplicates_total", "channel", "event") == 1);
    List<Event> events = client.v1().events().inNamespace("shop").list().getItems().stream()
        .sorted(Comparator.comparing(Event::getFirstTimestamp).thenComparing(e -> e.getMetadata().getName())).toList();
    assertThat(events).extracting(KubeletParityBridgeTest::describe).containsExactly(
        "Normal Pulled x4 " + T0 + ".." + T0.plusSeconds(35) + " Container image \"" + IMAGE
            + "\" already present on machine",
        "Normal Created x4 " + T0 + ".." + T0.plusSeconds(35) + " Created container: web",
        "Normal Started x4 " + T0 + ".." + T0.plusSeconds(35) + " Started container web",
        "Warning BackOff x2 " + T0 + ".." + T0.plusSeconds(12) + " " + backOff,
        "Normal Killing x1 " + T0.plusSeconds(40) + ".." + T0.plusSeconds(40) + " Stopping container web");
    for (Event event : events) {
      ObjectReference involved = event.getInvolvedObject();
      assertThat(involved.getApiVersion()).isEqualTo("v1");
      assertThat(involved.getKind()).isEqualTo("Pod");
      assertThat(involved.getNamespace()).isEqualTo("shop");
      assertThat(involved.getName()).isEqualTo("web");
      assertThat(involved.getUid()).isEqualTo(ref.uid());
      assertThat(involved.getResourceVersion()).isNotBlank();
      assertThat(involved.getFieldPath()).isEqualTo(web);
      assertThat(event.getSource().getComponent()).isEqualTo("kubelet");
      assertThat(event.getSource().getHost()).isEqualTo(NODE);
      assertThat(event.getReportingComponent()).isEqualTo("outpost-edge");
      assertThat(event.getReportingInstance()).isEqualTo(NODE);
      assertThat(event.getMetadata().getNamespace()).isEqualTo("shop");
      assertThat(event.getMetadata().getName()).startsWith("web.");
    }
  }

  @Test
  void lateReportsForADeletedPodAreCountedApartFromUnknownPods() throws Exception {
    FakeEdge edge = h.registeredEdge(NODE);
    FakeEdge other = h.registeredEdge("edge-parity-other");
    Pod pod = h.createPod("shop", "gone", NODE);
    edge.awaitUpsert("gone");
    ObjectRef ref = ref(pod);
    client.pods().inNamespace("shop").withName("gone").withGracePeriod(0).delete();
    edge.awaitMessage("delete of gone", FakeEdge.deleteOf("gone"));

    // The node had not seen the deletion yet, or its outbox delivers late: normal.
    edge.report(status(ref, "Running", true, T0, ContainerStateV1.running(T0.toString()), true, 0));
    send(edge, event(ref, "00000000000000b1", "Normal", "Killing", "spec.containers{app}", "Stopping container app",
        1, T0, T0));
    // Never on this node: still an unknown pod.
    other.report(new PodStatusReport(Codec.VERSION, "edge-parity-other", ref, "Running", null, null, null, null,
        null, List.of(), false));
    edge.report(status(new ObjectRef("Pod", "shop", "never", "uid-never", "1"), "Running", true, T0,
        ContainerStateV1.running(T0.toString()), true, 0));

    await().atMost(FakeEdge.TIMEOUT).until(() -> h.metric("outpost_bridge_late_reports_total", "channel", "status")
        == 1 && h.metric("outpost_bridge_late_reports_total", "channel", "event") == 1
        && h.rejected("unknown_pod") == 2);
    assertThat(h.kubeWrites("events")).isZero();
    assertThat(h.kubeWrites("pods/status")).isZero();
  }

  private PodStatus awaitStatus(java.util.function.Predicate<PodStatus> condition) {
    return await().atMost(FakeEdge.TIMEOUT).until(() -> h.pod("shop", "web").getStatus(),
        s -> s != null && condition.test(s));
  }

  private void send(FakeEdge edge, EventReport event) throws Exception {
    edge.publish(Topics.Up.EVENT, codec.encode(event));
  }

  private static PodStatusReport status(ObjectRef ref, String phase, boolean sandboxReady, Instant startTime,
      ContainerStateV1 state, boolean ready, int restarts) {
    ContainerStateV1 last = restarts == 0 ? null : ContainerStateV1.terminated("Error", null, 1,
        T0.plusSeconds(12).toString(), T0.plusSeconds(12).toString());
    ContainerStatusV1 container = new ContainerStatusV1(ref.name().equals("web") ? "web" : "app", IMAGE,
        ready ? "sha256:5b0f" : null, ready ? "docker://c0ffee" : null, ready, restarts, state, last);
    return new PodStatusReport(Codec.VERSION, NODE, ref, phase, null, null, sandboxReady ? "10.88.0.9" : null, null,
        startTime.toString(), List.of(container), false, null, sandboxReady);
  }

  private static EventReport event(ObjectRef ref, String id, String type, String reason, String fieldPath,
      String message, int count, Instant first, Instant last) {
    return new EventReport(Codec.VERSION, NODE, id, ref, type, reason, message, count, first.toString(),
        last.toString(), fieldPath);
  }

  private static List<String> conditions(PodStatus status) {
    return status.getConditions().stream().map(c -> c.getType() + "=" + c.getStatus() + " reason=" + c.getReason()
        + " message=" + c.getMessage()).toList();
  }

  private static String describe(Event event) {
    return event.getType() + " " + event.getReason() + " x" + event.getCount() + " " + event.getFirstTimestamp()
        + ".." + event.getLastTimestamp() + " " + event.getMessage();
  }
}
