package io.outpost.bench;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.outpost.bridge.kube.GatewayAnnotations;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.bridge.rollout.GatewayRolloutController;
import io.outpost.protocol.RolloutReport;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.awaitility.Awaitility;

/**
 * Rollout time for simulated nodes: the real GatewayRollout controller (as the bridge runs it: its own informer on
 * GatewayRollouts, the edge Node informer, the work queue) against the fabric8 CRUD mock API with the shipped CRD and
 * {@code nodes} edge Nodes, online and Ready. Each simulated node reacts to its {@code outpost.io/gateway-target}
 * annotation as the bridge records a real node's reports: {@code transferring} at once, then {@code installed} after
 * the simulated install time (a scheduled delay modelling the node's transfer, install and health gate). Measures
 * the wall time from creating the GatewayRollout to its phase Succeeded, compares it with the floor the strategy
 * allows (the canaries' wave, then waves of maxUnavailable nodes, each one install time), and counts the controller's
 * API writes.
 *
 * <p>{@code bench/java.sh GatewayRolloutBench [nodes=100] [installMillis=2000] [maxUnavailable=10%] [canary=1]}
 */
public final class GatewayRolloutBench {
  private static final String SHA = "5f".repeat(32);
  private static final Logger MOCK_LOG = Logger.getLogger("io.fabric8.mockwebserver");
  private static final ResourceDefinitionContext ROLLOUTS = new ResourceDefinitionContext.Builder()
      .withGroup("outpost.io").withVersion("v1alpha1").withKind("GatewayRollout").withPlural("gatewayrollouts")
      .withNamespaced(false).build();

  private GatewayRolloutBench() {}

  public static void main(String[] args) throws Exception {
    int nodes = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    long installMillis = args.length > 1 ? Long.parseLong(args[1]) : 2000;
    String maxUnavailable = args.length > 2 ? args[2] : "10%";
    int canary = args.length > 3 ? Integer.parseInt(args[3]) : 1;
    MOCK_LOG.setLevel(Level.WARNING);
    KubernetesMockServer api = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new IndexedCrudDispatcher(), false);
    api.init();
    ScheduledExecutorService installs = Executors.newScheduledThreadPool(2, r -> {
      Thread t = new Thread(r, "simulated-nodes");
      t.setDaemon(true);
      return t;
    });
    try (KubernetesClient admin = api.createClient(); KubernetesClient bridge = api.createClient()) {
      try (InputStream crd = Files.newInputStream(Path.of("deploy/kubernetes/08-rollout-crds.yaml"))) {
        admin.apiextensions().v1().customResourceDefinitions().resource(admin.getKubernetesSerialization()
            .unmarshal(crd, CustomResourceDefinition.class)).create();
      }
      for (int i = 1; i <= nodes; i++) {
        admin.nodes().resource(new NodeBuilder().withNewMetadata().withName(String.format("edge-%04d", i))
            .addToLabels("outpost.io/edge", "true").addToLabels("outpost.io/site", "site-" + (i % 10)).endMetadata()
            .withNewStatus().addNewCondition().withType("Ready").withStatus("True")
            .withLastHeartbeatTime(Instant.now().toString()).endCondition().endStatus().build()).create();
      }
      Map<String, Long> assignedAt = new ConcurrentHashMap<>();
      Map<String, Long> installedAt = new ConcurrentHashMap<>();
      long[] start = new long[1];
      SharedIndexInformer<Node> simulated = admin.nodes().withLabel("outpost.io/edge", "true").inform(
          new ResourceEventHandler<>() {
            @Override
            public void onAdd(Node node) {
              react(node);
            }

            @Override
            public void onUpdate(Node before, Node after) {
              react(after);
            }

            @Override
            public void onDelete(Node node, boolean unknown) {
              // nodes are not deleted here
            }

            private void react(Node node) {
              String name = node.getMetadata().getName();
              GatewayAnnotations.targetOrEmpty(node).filter(t -> t.sha256().equals(SHA)).ifPresent(target -> {
                if (assignedAt.putIfAbsent(name, System.nanoTime()) == null) {
                  installs.execute(() -> {
                    report(admin, name, target.rollout(), "transferring");
                    // In order: the install ends (installed) only after the transfer began.
                    installs.schedule(() -> {
                      report(admin, name, target.rollout(), "installed");
                      installedAt.put(name, System.nanoTime());
                    }, installMillis, TimeUnit.MILLISECONDS);
                  });
                }
              });
            }
          });
      SharedIndexInformer<Node> edgeNodes = bridge.nodes().withLabel("outpost.io/edge", "true").inform();
      Metrics metrics = new Metrics();
      GatewayRolloutController controller = GatewayRolloutController.start(bridge, true, edgeNodes,
          node -> List.of(), "outpost.io/site", Duration.ofMinutes(10), metrics, () -> true);
      try {
        start[0] = System.nanoTime();
        admin.genericKubernetesResources(ROLLOUTS).resource(admin.getKubernetesSerialization().unmarshal("""
            apiVersion: outpost.io/v1alpha1
            kind: GatewayRollout
            metadata: {name: bench}
            spec:
              artifact:
                type: bundle
                name: io.outpost.sync
                version: "0.1.1"
                size: 1048576
                sha256: %s
                keyId: ops-2026
                signature: c2lnbmF0dXJl
                source: file:outpost-sync-0.1.1.jar
              strategy: {canary: %d, maxUnavailable: "%s"}
            """.formatted(SHA, canary, maxUnavailable), GenericKubernetesResource.class)).create();
        long[] done = new long[1];
        Awaitility.await("Succeeded").atMost(Duration.ofMinutes(30)).pollInterval(Duration.ofMillis(20))
            .until(() -> {
              GenericKubernetesResource rollout = admin.genericKubernetesResources(ROLLOUTS).withName("bench").get();
              Object status = rollout.getAdditionalProperties().get("status");
              boolean succeeded = status instanceof Map<?, ?> map && "Succeeded".equals(map.get("phase"));
              if (succeeded) {
                done[0] = System.nanoTime();
              }
              return succeeded;
            });
        print(nodes, installMillis, maxUnavailable, canary, start[0], done[0], assignedAt, installedAt, metrics);
      } finally {
        if (controller != null) {
          controller.close();
        }
        edgeNodes.stop();
        simulated.stop();
      }
    } finally {
      installs.shutdownNow();
      api.destroy();
    }
  }

  private static void report(KubernetesClient admin, String node, String rollout, String state) {
    String report = GatewayAnnotations.format(new RolloutReport(1, node, Instant.now().toString(), rollout,
        "io.outpost.sync", "0.1.1", SHA, state, null, 0, 0));
    admin.nodes().withName(node).patch(PatchContext.of(PatchType.JSON_MERGE), admin.getKubernetesSerialization()
        .asJson(Map.of("metadata", Map.of("annotations", Map.of(GatewayAnnotations.STATUS, report)))));
  }

  private static void print(int nodes, long installMillis, String maxUnavailable, int canary, long start, long done,
      Map<String, Long> assignedAt, Map<String, Long> installedAt, Metrics metrics) {
    int slots = maxUnavailable.endsWith("%")
        ? Math.max(1, nodes * Integer.parseInt(maxUnavailable.substring(0, maxUnavailable.length() - 1)) / 100)
        : Integer.parseInt(maxUnavailable);
    int canaryWaves = canary == 0 ? 0 : (canary + slots - 1) / slots;
    int waves = canaryWaves + (nodes - Math.min(canary, nodes) + slots - 1) / slots;
    double seconds = (done - start) / 1e9;
    double floor = waves * installMillis / 1000.0;
    List<Long> lags = new ArrayList<>();
    // Assignment lag: from a node's slot being freed (some node installed) to the next assignment.
    List<Long> installs = new ArrayList<>(installedAt.values());
    Collections.sort(installs);
    for (long at : assignedAt.values()) {
      long freed = installs.stream().filter(t -> t <= at).max(Long::compare).orElse(start);
      lags.add((at - freed) / 1_000_000);
    }
    Collections.sort(lags);
    System.out.printf("nodes %d, canary %d, maxUnavailable %s (%d at once), simulated install %d ms%n", nodes,
        canary, maxUnavailable, slots, installMillis);
    System.out.printf("rollout created → Succeeded: %.2f s (floor for %d waves of %d ms: %.1f s; overhead %.2f s)%n",
        seconds, waves, installMillis, floor, seconds - floor);
    System.out.printf("assignment after a slot freed: p50 %d ms, p99 %d ms, max %d ms (%d assignments)%n",
        lags.get(lags.size() / 2), lags.get(Math.min(lags.size() - 1, (int) (lags.size() * 0.99))),
        lags.get(lags.size() - 1), lags.size());
    Set<String> resources = Set.of("nodes/annotations", "gatewayrollouts/status", "events");
    long total = 0;
    StringBuilder writes = new StringBuilder();
    for (String resource : resources.stream().sorted().toList()) {
      long count = metrics.get("outpost_bridge_kube_writes_total", "resource", resource);
      total += count;
      writes.append(resource).append(' ').append(count).append(", ");
    }
    System.out.printf("controller API writes: %d (%s reconciles %d)%n", total, writes,
        metrics.get("outpost_bridge_rollout_reconciles_total", "outcome", "done"));
  }
}
