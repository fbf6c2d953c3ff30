package io.outpost.itests;

import static io.outpost.itests.OutpostStack.NODE_LABEL;
import static io.outpost.itests.OutpostStack.PATIENCE;
import static io.outpost.itests.OutpostStack.containersOf;
import static io.outpost.itests.OutpostStack.running;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.outpost.store.StoredPod;
import io.outpost.store.impl.XodusEdgeStore;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.outpost.protocol.Topics;
import io.outpost.testing.Mosquitto;
import io.outpost.testing.Podman;
import java.util.concurrent.CountDownLatch;
import org.eclipse.paho.mqttv5.client.IMqttMessageListener;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The edge keeps serving on its own (issue 4): a gateway crash does not touch running workloads, a node that
 * restarts with no cloud reachable brings its pods back from its store, and reconnecting costs the Kubernetes API
 * no list or watch. Each test leaves the stack as it found it: bridge, broker and edge up.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EdgeAutonomyIT extends StackTest {
  @Test
  @Order(1)
  void gatewayCrashLeavesContainersRunningAndTheyAreAdoptedNotRestarted() {
    stack.createSleeper("adopted");
    Pod before = stack.awaitRunning("adopted");
    String container = containersOf(before).get(0);
    String started = OutpostStack.startedAt(container);
    long syncsBefore = stack.edge.logCount("Resync complete");

    stack.edge.kill(); // kill -9 of the whole Karaf process tree
    assertThat(running(container)).as("workload survives the gateway crash").isTrue();
    stack.edge.start();
    await("edge back and resynced").atMost(PATIENCE)
        .until(() -> stack.edge.logCount("Resync complete") > syncsBefore);

    stack.createSleeper("after-crash");
    stack.awaitRunning("after-crash");
    Pod after = stack.awaitRunning("adopted");
    assertThat(containersOf(after)).containsExactly(container);
    assertThat(OutpostStack.startedAt(container)).isEqualTo(started);
    assertThat(after.getStatus().getContainerStatuses().get(0).getRestartCount()).isZero();
  }

  @Test
  @Order(2)
  void nodeRestartingWithoutTheCloudRunsItsPodsFromItsStoreWithTheirConfigMapsAndSecrets() {
    stack.configMap("offline-cfg", Map.of("mode", "autonomous"));
    stack.secret("offline-secret", Map.of("password", "kept-on-the-node"));
    List<String> names = List.of("offline-a", "offline-b");
    names.forEach(name -> stack.createConfiguredSleeper(name, "offline-cfg", "offline-secret"));
    List<Pod> pods = names.stream().map(stack::awaitRunning).toList();
    for (Pod pod : pods) {
      assertThat(OutpostStack.envOf(containersOf(pod).get(0))).contains("MODE=autonomous",
          "PASSWORD=kept-on-the-node");
    }

    stack.bridge.close();
    stack.broker.stop();
    stack.edge.kill();
    Podman.removeContainersLabelled(NODE_LABEL, stack.node); // what a host reboot leaves: no containers
    for (Pod pod : pods) {
      assertThat(containersOf(pod)).isEmpty();
    }
    stack.edge.start();

    await("pods running again from the store, no cloud reachable").atMost(PATIENCE).untilAsserted(() -> {
      for (Pod pod : pods) {
        List<String> ids = containersOf(pod);
        assertThat(ids).hasSize(1);
        assertThat(running(ids.get(0))).isTrue();
        assertThat(OutpostStack.envOf(ids.get(0))).as("ConfigMap and Secret values from the store")
            .contains("MODE=autonomous", "PASSWORD=kept-on-the-node");
      }
    });

    stack.broker.restart(true); // the broker lost every session and queued message meanwhile
    stack.startBridge();
    for (Pod pod : pods) {
      String container = containersOf(pod).get(0);
      await(pod.getMetadata().getName() + " status from the new container").atMost(PATIENCE).untilAsserted(() ->
          assertThat(stack.pod(pod.getMetadata().getName()).getStatus().getContainerStatuses().get(0)
              .getContainerID()).endsWith(container));
      stack.awaitRunning(pod.getMetadata().getName());
      // The events of the offline restart were kept in the outbox and reach Kubernetes after reconnect.
      await(pod.getMetadata().getName() + " Started twice in its Events").atMost(PATIENCE).until(() ->
          stack.client.v1().events().inNamespace("default").list().getItems().stream()
              .filter(e -> pod.getMetadata().getUid().equals(e.getInvolvedObject().getUid()))
              .filter(e -> "Started".equals(e.getReason()) && stack.node.equals(e.getSource().getHost()))
              .mapToInt(e -> e.getCount() == null ? 1 : e.getCount()).sum() >= 2);
    }
  }

  @Test
  @Order(3)
  void reconnectingNodesCostTheKubernetesApiNoListOrWatch() throws Exception {
    stack.awaitRunning("adopted");
    drainRequests();
    long resyncs = stack.bridge.metrics().get("outpost_bridge_resyncs_total");
    long objects = stack.bridge.metrics().get("outpost_bridge_resync_objects_total");
    long syncsBefore = stack.edge.logCount("Resync complete");

    stack.broker.restart(true); // every node (and the bridge) reconnects and resyncs
    await("edge reconnected and resynced").atMost(PATIENCE).until(() ->
        stack.edge.logCount("Resync complete") > syncsBefore
            && stack.bridge.metrics().get("outpost_bridge_resyncs_total") > resyncs);

    List<String> listsAndWatches = new ArrayList<>();
    for (RecordedRequest request : drainRequests()) {
      String path = request.getPath();
      boolean collection = path.matches("/api/v1/(namespaces/[^/]+/)?(pods|nodes|configmaps|secrets)(\\?.*)?")
          || path.contains("watch=");
      if ("GET".equals(request.getMethod()) && collection) {
        listsAndWatches.add(request.getMethod() + " " + path);
      }
    }
    assertThat(listsAndWatches).as("requests caused by the reconnect wave").isEmpty();
    assertThat(stack.bridge.metrics().get("outpost_bridge_resync_objects_total") - objects)
        .as("objects sent to resync a node that missed nothing").isZero();
  }

  @Test
  @Order(4)
  void afterALongDisconnectWithLostQueuesTheStoreEqualsTheCloudExactly() throws Exception {
    stack.configMap("ld-cfg", Map.of("mode", "before"));
    stack.configMap("ld-cfg-gone", Map.of("mode", "gone"));
    stack.configMap("ld-cfg-new", Map.of("mode", "new"));
    stack.secret("ld-secret", Map.of("password", "p1"));
    stack.createConfiguredSleeper("ld-change", "ld-cfg", "ld-secret");
    stack.createConfiguredSleeper("ld-gone", "ld-cfg-gone", "ld-secret");
    stack.awaitRunning("ld-change");
    Pod gone = stack.awaitRunning("ld-gone");
    stack.createSleeper("ld-crash");
    Pod crash = stack.awaitRunning("ld-crash");

    long syncsBefore = stack.edge.logCount("Resync complete");
    stack.broker.stop(); // the site is cut off; everything the bridge publishes meanwhile is lost
    await().atMost(PATIENCE).until(() -> !stack.bridge.isReady());
    // The edge produces a status while cut off: a container dies and is restarted.
    long restarts = stack.edge.logCount("Restarted container");
    Podman.cli("kill", containersOf(crash).get(0));
    await("restart recorded on the edge while offline").atMost(PATIENCE)
        .until(() -> stack.edge.logCount("Restarted container") > restarts);
    stack.createConfiguredSleeper("ld-new", "ld-cfg-new", "ld-secret");
    stack.client.pods().inNamespace("default").withName("ld-change").edit(p -> new PodBuilder(p).editSpec()
        .editFirstContainer().withArgs("changed-while-away").endContainer().endSpec().build());
    stack.client.pods().inNamespace("default").withName("ld-gone").withGracePeriod(0).delete();
    stack.configMap("ld-cfg", Map.of("mode", "changed-while-away"));
    stack.client.configMaps().inNamespace("default").withName("ld-cfg-gone").delete();
    stack.secret("ld-secret", Map.of("password", "p2"));
    stack.broker.restart(true); // ... and the broker comes back having lost every session and queued message

    await("the status produced offline (restart count 1) is visible in Kubernetes").atMost(PATIENCE)
        .until(() -> stack.pod("ld-crash").getStatus().getContainerStatuses().get(0).getRestartCount() == 1);
    Pod created = stack.awaitRunning("ld-new");
    assertThat(OutpostStack.envOf(containersOf(created).get(0))).as("values the cloud set while the node was away")
        .contains("MODE=new", "PASSWORD=p2");
    await("deleted pod's container removed").atMost(PATIENCE)
        .untilAsserted(() -> assertThat(containersOf(gone)).isEmpty());
    Map<String, Pod> desired = new TreeMap<>();
    stack.client.pods().inAnyNamespace().list().getItems().stream()
        .filter(p -> stack.node.equals(p.getSpec().getNodeName()))
        .forEach(p -> desired.put("Pod/" + p.getMetadata().getNamespace() + "/" + p.getMetadata().getName(), p));
    // Everything the node should hold: its pods, the ConfigMaps and Secrets they use that exist, its Node object
    // and its SiteNetwork.
    Map<String, String> desiredUids = new TreeMap<>();
    desired.forEach((key, pod) -> desiredUids.put(key, pod.getMetadata().getUid()));
    for (Pod pod : desired.values()) {
      pod.getSpec().getContainers().get(0).getEnv().stream().filter(e -> e.getValueFrom() != null).forEach(e -> {
        if (e.getValueFrom().getConfigMapKeyRef() != null) {
          var cm = stack.client.configMaps().inNamespace("default")
              .withName(e.getValueFrom().getConfigMapKeyRef().getName()).get();
          desiredUids.put("ConfigMap/default/" + cm.getMetadata().getName(), cm.getMetadata().getUid());
        } else {
          var secret = stack.client.secrets().inNamespace("default")
              .withName(e.getValueFrom().getSecretKeyRef().getName()).get();
          desiredUids.put("Secret/default/" + secret.getMetadata().getName(), secret.getMetadata().getUid());
        }
      });
    }
    String nodeUid = stack.client.nodes().withName(stack.node).get().getMetadata().getUid();
    desiredUids.put("Node//" + stack.node, nodeUid);
    // Its site network (issue 22): every node that accepts the kind gets one, named and identified as its Node, even
    // with no pod range (that tells it to program nothing). The stack creates no Service, so no Service or slice.
    desiredUids.put("SiteNetwork//" + stack.node, nodeUid);
    assertThat(desiredUids).containsKeys("ConfigMap/default/ld-cfg", "ConfigMap/default/ld-cfg-new",
        "Secret/default/ld-secret").doesNotContainKey("ConfigMap/default/ld-cfg-gone");
    await("edge resynced after the link returned").atMost(PATIENCE)
        .until(() -> stack.edge.logCount("Resync complete") > syncsBefore);
    await("ld-change's container runs with the ConfigMap as it was when it was created").atMost(PATIENCE)
        .untilAsserted(() -> assertThat(stack.pod("ld-change").getStatus().getPhase()).isEqualTo("Running"));

    stack.edge.close(); // read the store the way the edge left it on disk
    try (XodusEdgeStore store = XodusEdgeStore.inDataDir(stack.edge.home().resolve("data/outpost"),
        XodusEdgeStore.DEFAULT_MAX_EVENTS)) {
      Map<String, String> heldUids = new TreeMap<>();
      store.held().forEach(ref -> heldUids.put(ref.key(), ref.uid()));
      assertThat(heldUids).as("every object, key by key, with its uid").isEqualTo(desiredUids);
      assertThat(store.configMap("default", "ld-cfg").orElseThrow().data())
          .isEqualTo(Map.of("mode", "changed-while-away"));
      assertThat(store.secret("default", "ld-secret").orElseThrow().text("password")).isEqualTo("p2");
      Map<String, StoredPod> held = new TreeMap<>();
      store.pods().forEach(p -> held.put(p.ref().key(), p));
      assertThat(held.keySet()).isEqualTo(desired.keySet());
      for (Map.Entry<String, Pod> entry : desired.entrySet()) {
        StoredPod stored = held.get(entry.getKey());
        assertThat(stored.ref().uid()).isEqualTo(entry.getValue().getMetadata().getUid());
        assertThat(stored.pod().containers().get(0).args())
            .isEqualTo(entry.getValue().getSpec().getContainers().get(0).getArgs().isEmpty() ? null
                : entry.getValue().getSpec().getContainers().get(0).getArgs());
      }
      assertThat(held.get("Pod/default/ld-change").pod().containers().get(0).args())
          .containsExactly("changed-while-away");
    } finally {
      stack.edge.start();
    }
  }

  @Test
  @Order(5)
  void aNewBrokerUrlAppliesLiveWithoutRestartingKarafOrPods() throws Exception {
    Pod pod = stack.awaitRunning("adopted");
    String container = containersOf(pod).get(0);
    String started = OutpostStack.startedAt(container);
    long pid = stack.edge.pid();
    CountDownLatch heartbeat = new CountDownLatch(1);
    try (Mosquitto other = Mosquitto.start(stack.dir.resolve("broker-2"))) {
      MqttClient listener = new MqttClient(other.url(), "e2e-listener", new MemoryPersistence());
      listener.connect();
      // MqttClient.subscribe(String, int, listener) recurses forever in Paho 1.2.5: use the array form.
      listener.subscribe(new MqttSubscription[] {new MqttSubscription(Topics.up(stack.node, Topics.Up.NODE), 1)},
          new IMqttMessageListener[] {(topic, message) -> heartbeat.countDown()});
      try {
        stack.edge.editConfig("io.outpost.node.cfg", "broker.url", other.url());
        assertThat(heartbeat.await(PATIENCE.toSeconds(), TimeUnit.SECONDS))
            .as("heartbeat on the new broker after the configuration change").isTrue();
      } finally {
        listener.disconnect();
        listener.close();
      }
      long connects = stack.edge.logCount("Connected to " + stack.broker.url());
      stack.edge.editConfig("io.outpost.node.cfg", "broker.url", stack.broker.url());
      await("edge back on the first broker").atMost(PATIENCE)
          .until(() -> stack.edge.logCount("Connected to " + stack.broker.url()) > connects);
    }
    assertThat(stack.edge.pid()).as("Karaf was not restarted").isEqualTo(pid);
    assertThat(containersOf(stack.awaitRunning("adopted"))).containsExactly(container);
    assertThat(OutpostStack.startedAt(container)).as("the pod's container was not restarted").isEqualTo(started);
  }

  @Test
  @Order(6)
  void killingTheEdgeAtRandomPointsOfAnUpdateStreamLosesNothingAndConverges() throws Exception {
    Random random = new Random();
    long seed = random.nextLong();
    random.setSeed(seed);
    stack.createSleeper("stream");
    stack.awaitRunning("stream");
    int updates = 0;
    for (int cycle = 0; cycle < 3; cycle++) {
      long opened = stack.edge.logCount("Edge store open");
      // A burst of changes, and a kill -9 after a random number of them has reached the broker.
      int burst = 5 + random.nextInt(10);
      int killAfter = random.nextInt(burst);
      for (int i = 0; i < burst; i++) {
        String value = "update-" + (++updates);
        stack.client.pods().inNamespace("default").withName("stream").edit(p -> new PodBuilder(p).editSpec()
            .editFirstContainer().withArgs(value).endContainer().endSpec().build());
        if (i == killAfter) {
          stack.edge.kill();
        }
      }
      stack.edge.start();
      await("store reopened after kill -9 (seed " + seed + ")").atMost(PATIENCE)
          .until(() -> stack.edge.logCount("Edge store open") > opened);
    }
    String last = "update-" + updates;
    long syncs = stack.edge.logCount("Resync complete");
    stack.edge.close();
    try (XodusEdgeStore store = XodusEdgeStore.inDataDir(stack.edge.home().resolve("data/outpost"),
        XodusEdgeStore.DEFAULT_MAX_EVENTS)) {
      assertThat(store.pods()).isNotEmpty(); // it opens, and it holds what was acknowledged before the kills
    } finally {
      stack.edge.start();
    }
    await("edge converged to the last update (seed " + seed + ")").atMost(PATIENCE).until(() ->
        stack.edge.logCount("Resync complete") > syncs);
    stack.edge.close();
    try (XodusEdgeStore store = XodusEdgeStore.inDataDir(stack.edge.home().resolve("data/outpost"),
        XodusEdgeStore.DEFAULT_MAX_EVENTS)) {
      StoredPod stream = store.pods().stream().filter(p -> p.ref().name().equals("stream")).findFirst()
          .orElseThrow();
      assertThat(stream.pod().containers().get(0).args()).as("seed %d", seed).containsExactly(last);
      assertThat(stream.ref().uid()).isEqualTo(stack.pod("stream").getMetadata().getUid());
    } finally {
      stack.edge.start();
    }
    stack.awaitRunning("stream");
  }

  private List<RecordedRequest> drainRequests() throws InterruptedException {
    List<RecordedRequest> drained = new ArrayList<>();
    for (RecordedRequest r = stack.kubernetes.takeRequest(1, TimeUnit.MILLISECONDS); r != null;
        r = stack.kubernetes.takeRequest(1, TimeUnit.MILLISECONDS)) {
      drained.add(r);
    }
    return drained;
  }
}
