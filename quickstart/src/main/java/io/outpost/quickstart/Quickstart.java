package io.outpost.quickstart;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.outpost.bridge.Bridge;
import io.outpost.bridge.config.BridgeConfig;
import io.outpost.broker.EmbeddedBroker;
import io.outpost.broker.Logging;
import io.outpost.testing.EdgeNode;
import io.outpost.testing.Podman;
import io.outpost.testing.Ports;
import io.outpost.testing.Trees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * One-machine demonstration of Outpost: a Kubernetes API (the cluster in KUBECONFIG, or an in-process fabric8 mock
 * API server in CRUD mode), the cloud bridge with its embedded MQTT 5 broker (HiveMQ CE), one edge node (the built Karaf distribution as its
 * own process) on Podman, and a demo pod. Prints {@code QUICKSTART READY} once the pod runs in Podman and is
 * Running in Kubernetes, then keeps everything up until it is stopped (SIGTERM), when it removes what it started.
 */
public final class Quickstart {
  private static final String NODE = "edge-quickstart";
  private static final String POD = "outpost-demo";
  private static final Duration PATIENCE = Duration.ofMinutes(5);
  /** The mock API server logs every request at INFO through JUL; held here so the level set on it sticks. */
  private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  private final Deque<AutoCloseable> started = new ArrayDeque<>();
  private final Path work;
  private KubernetesClient client;
  private boolean mockApi;
  private Console console;

  Quickstart(Path work) {
    this.work = work;
  }

  public static void main(String[] args) throws Exception {
    Logging.useOutpostConfiguration();
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    Path work = Path.of(args.length > 0 ? args[0] : ".quickstart").toAbsolutePath();
    Quickstart quickstart = new Quickstart(work);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      quickstart.stop();
      stopped.countDown();
    }, "quickstart-shutdown"));
    try {
      quickstart.run();
    } catch (Exception | AssertionError e) {
      say("FAILED: " + e);
      System.exit(1);
    }
    stopped.await();
  }

  /** Starts everything and returns the demo pod once it runs in Podman and is Running in Kubernetes. */
  Pod run() throws Exception {
    Trees.deleteTree(work.resolve("run"));
    Path run = Files.createDirectories(work.resolve("run"));
    client = kubernetes();
    EmbeddedBroker broker = keep(EmbeddedBroker.start(EmbeddedBroker.Settings.local(Ports.free(),
        run.resolve("broker"))));
    say("Embedded MQTT 5 broker (HiveMQ CE, inside the bridge's JVM) on " + broker.url());
    Podman podman = keep(Podman.start(run.resolve("podman")));
    say("Podman Docker-compatible API on " + podman.host());
    say("Plain MQTT on loopback, allowed explicitly for this demo: the bridge with OUTPOST_INSECURE_PLAINTEXT=true,"
        + " the edge node with insecure.plaintext = true (never beyond one machine: use ssl://, see docs/security.md)");
    // The node's pods are on Podman's default network: the pod address range the bridge accepts their IPs from.
    Bridge bridge = new Bridge(BridgeConfig.from(java.util.Map.of("OUTPOST_BROKER_URL", broker.url(),
        "OUTPOST_HTTP_PORT", "0", "OUTPOST_INSECURE_PLAINTEXT", "true", "OUTPOST_POD_CIDRS", "10.88.0.0/16")), client);
    keep(bridge);
    bridge.start();
    await().atMost(PATIENCE).until(bridge::isReady);
    say("Cloud bridge ready: http://127.0.0.1:" + bridge.httpPort() + "/metrics");
    startEdge(run.resolve("edge"), broker.url(), podman.host());
    Pod pod = runDemoPod();
    printAccess(pod);
    say("");
    say("QUICKSTART READY");
    return pod;
  }

  private void startEdge(Path home, String brokerUrl, String engineHost) throws Exception {
    EdgeNode installed = EdgeNode.install(home, NODE, brokerUrl, engineHost);
    console = Console.install(work, installed.home());
    EdgeNode edge = keep(installed.start());
    say("Edge node " + NODE + " started from the distribution in " + edge.home() + " (pid " + edge.pid() + ")");
    await("node " + NODE + " Ready").atMost(PATIENCE).until(() -> ready(client.nodes().withName(NODE).get()));
    say("Node " + NODE + " is registered and Ready in Kubernetes");
  }

  /** Creates the demo pod (busybox httpd, logging a start line and every request) and waits until it runs. */
  private Pod runDemoPod() {
    client.pods().inNamespace("default").withName(POD).delete();
    await().atMost(PATIENCE).until(() -> client.pods().inNamespace("default").withName(POD).get() == null);
    client.pods().inNamespace("default").resource(new PodBuilder()
        .withNewMetadata().withName(POD).withNamespace("default").endMetadata()
        .withNewSpec().withNodeName(NODE)
        .addNewContainer().withName("web").withImage(Podman.TEST_IMAGE)
        .withCommand("sh", "-c", "echo hello from the edge > /tmp/index.html"
            + " && echo \"" + POD + ": busybox httpd serving /tmp on port 8080, logging requests\""
            + " && exec httpd -f -vv -p 8080 -h /tmp")
        .endContainer().endSpec().build()).create();
    say("Created pod default/" + POD + " bound to " + NODE);
    await("pod Running").atMost(PATIENCE).until(() -> running(client.pods().inNamespace("default").withName(POD)
        .get()));
    Pod pod = client.pods().inNamespace("default").withName(POD).get();
    List<String> ids = Podman.appContainersOf(pod.getMetadata().getUid());
    if (ids.size() != 1) {
      throw new IllegalStateException("expected one container for the pod, found " + ids);
    }
    return pod;
  }

  /** Prints the pod as Kubernetes and Podman show it, and how to reach it, the API and the node's console. */
  private void printAccess(Pod pod) {
    ContainerStatus container = pod.getStatus().getContainerStatuses().get(0);
    say("");
    say("Kubernetes:  pod default/" + POD + "  phase=" + pod.getStatus().getPhase() + "  ready="
        + container.getReady() + "  restarts=" + container.getRestartCount() + "  podIP=" + pod.getStatus().getPodIP());
    say("Podman:      " + Podman.cli("ps", "--filter", "label=io.outpost.pod.uid=" + pod.getMetadata().getUid(),
        "--format", "{{.ID}}  {{.Names}}  {{.Status}}  {{.Image}}").trim());
    say("");
    if (pod.getStatus().getPodIP() != null) {
      say("The pod:     curl http://" + pod.getStatus().getPodIP() + ":8080/index.html");
    }
    if (mockApi) {
      say("The API:     curl -s " + podUrl());
      say("             (kubectl does not work against this demo API: fabric8's mock server answers the discovery"
          + " requests /api and /apis with a list of objects, not the API's resource types, so kubectl says"
          + " 'the server doesn't have a resource type \"pods\"'. Use the REST paths with curl, or give"
          + " KUBECONFIG for a real cluster.)");
    } else {
      say("The API:     kubectl get pod " + POD + " -o wide");
    }
    say("The console: " + String.join(" ", console.command()));
    say("             then e.g. outpost:status, outpost:pods, outpost:logs default/" + POD
        + "  (or append one of them to the ssh command)");
  }

  /** The demo pod in the Kubernetes API, as a plain HTTP GET (what the quickstart prints). */
  String podUrl() {
    return client.getMasterUrl().toString().replaceAll("/+$", "") + "/api/v1/namespaces/default/pods/" + POD;
  }

  /** The edge node's console (for tests). */
  Console console() {
    return console;
  }

  /** The Kubernetes API the quickstart uses (for tests). */
  KubernetesClient client() {
    return client;
  }

  private KubernetesClient kubernetes() {
    if (System.getenv("KUBECONFIG") != null) {
      KubernetesClient client = keep(new KubernetesClientBuilder().build());
      say("Using the Kubernetes cluster from KUBECONFIG: " + client.getMasterUrl());
      return client;
    }
    KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new KubernetesCrudDispatcher(), false);
    server.init();
    keep(server::destroy);
    KubernetesClient client = keep(server.createClient());
    mockApi = true;
    say("No KUBECONFIG given: started an in-process Kubernetes API for demonstration only (fabric8 mock server in"
        + " CRUD mode, not a real cluster) at " + client.getMasterUrl());
    return client;
  }

  private static boolean ready(Node node) {
    return node != null && node.getStatus() != null && node.getStatus().getConditions() != null
        && node.getStatus().getConditions().stream()
        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static boolean running(Pod pod) {
    return pod != null && pod.getStatus() != null && "Running".equals(pod.getStatus().getPhase())
        && pod.getStatus().getContainerStatuses() != null && !pod.getStatus().getContainerStatuses().isEmpty()
        && pod.getStatus().getContainerStatuses().get(0).getState().getRunning() != null;
  }

  private <T extends AutoCloseable> T keep(T resource) {
    started.push(resource);
    return resource;
  }

  /** Stops everything it started, newest first, and removes the edge node's containers. */
  synchronized void stop() {
    while (!started.isEmpty()) {
      AutoCloseable resource = started.pop();
      try {
        if (resource instanceof EdgeNode edge) {
          edge.close();
          Podman.removeContainersLabelled("io.outpost.node", NODE);
        } else {
          resource.close();
        }
      } catch (Exception e) {
        say("while stopping: " + e);
      }
    }
  }

  private static void say(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
