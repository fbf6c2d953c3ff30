package io.outpost.bridge.rollout;

import io.outpost.bridge.kube.CustomResources;
import io.outpost.bridge.flow.WorkQueue;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.outpost.bridge.kube.GatewayAnnotations;
import io.outpost.bridge.metrics.Metrics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway rollout controller: GatewayRollouts ({@code deploy/kubernetes/08-rollout-crds.yaml}) assign a signed
 * Outpost artifact to edge nodes, canaries first, a few at a time ({@link RolloutReconciler}, {@link RolloutPlan}).
 * This class wires it: an informer on GatewayRollouts (resynced every {@link #RESYNC}, so that a node going quiet is
 * noticed without events) and — handed in, the bridge's own — the edge Node informer; their handlers only queue
 * names ({@link WorkQueue}): any GatewayRollout change queues every rollout (one finishing frees the nodes of
 * another), and so does a Node added, deleted, relabelled, with a changed gateway annotation, Ready status or
 * online-ness. Every replica keeps the cache; only the active one reconciles ({@link #activate} queues everything
 * when it becomes active). If the CRD is not installed (or not readable) the controller says so once and stays idle.
 */
public final class GatewayRolloutController implements AutoCloseable {
  static final Duration RESYNC = Duration.ofSeconds(30);
  private static final Logger LOG = LoggerFactory.getLogger(GatewayRolloutController.class);

  private final SharedIndexInformer<GenericKubernetesResource> rollouts;
  private final WorkQueue queue;
  private final Duration onlineWindow;
  private final Clock clock;

  private GatewayRolloutController(KubernetesClient client, SharedIndexInformer<Node> nodes,
      Function<String, List<Pod>> podsOn, String siteLabel, Duration onlineWindow,
      Function<Node, java.time.Instant> lastContact, Metrics metrics, BooleanSupplier active) {
    this.onlineWindow = onlineWindow;
    this.clock = Clock.systemUTC();
    rollouts = client.genericKubernetesResources(GatewayRollouts.CONTEXT).runnableInformer(RESYNC.toMillis());
    RolloutReconciler reconciler = new RolloutReconciler(client, rollouts.getStore()::getByKey,
        () -> rollouts.getStore().list(), () -> nodes.getStore().list(), podsOn, siteLabel, onlineWindow, lastContact,
        clock,
        () -> active.getAsBoolean() && rollouts.hasSynced() && nodes.hasSynced(), metrics);
    queue = new WorkQueue("outpost-bridge-rollouts", reconciler,
        (name, failure) -> metrics.increment("outpost_bridge_rollout_reconciles_total", "outcome",
            failure == null ? "done" : "error"), 10, 100, Duration.ofMillis(500), Duration.ofMinutes(5));
    rollouts.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(GenericKubernetesResource rollout) {
        queueAll();
      }

      @Override
      public void onUpdate(GenericKubernetesResource before, GenericKubernetesResource after) {
        queueAll();
      }

      @Override
      public void onDelete(GenericKubernetesResource rollout, boolean finalStateUnknown) {
        queueAll();
      }
    });
    nodes.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Node node) {
        queueAll();
      }

      @Override
      public void onUpdate(Node before, Node after) {
        if (matters(before, after)) {
          queueAll();
        }
      }

      @Override
      public void onDelete(Node node, boolean finalStateUnknown) {
        queueAll();
      }
    });
    metrics.gauge("outpost_bridge_rollouts", () -> rollouts.getStore().list().size());
    metrics.gauge("outpost_bridge_rollout_queue_depth", queue::depth);
    metrics.gauge("outpost_bridge_rollout_retrying", queue::retrying);
  }

  /**
   * Starts the controller if {@code enabled} and the API server serves GatewayRollouts, waiting for its cache; else
   * returns null, having said why once — also when its informer cannot start (RBAC not applied): the bridge runs on
   * without it. {@code nodes}: the bridge's edge Node informer (started); {@code podsOn}: the pods bound to a node
   * (from the bridge's pod cache); {@code siteLabel}: the Node label naming its site; {@code onlineWindow}: a node
   * whose Ready heartbeat is older is offline; {@code active}: whether this replica is the active one.
   */
  public static GatewayRolloutController start(KubernetesClient client, boolean enabled,
      SharedIndexInformer<Node> nodes, Function<String, List<Pod>> podsOn, String siteLabel, Duration onlineWindow,
      Metrics metrics, BooleanSupplier active) throws InterruptedException {
    return start(client, enabled, nodes, podsOn, siteLabel, onlineWindow, RolloutReconciler::readyHeartbeat, metrics,
        active);
  }

  /**
   * As above; {@code lastContact}: when a node was last heard from (the bridge's own heartbeat times, falling back
   * to the Node's Ready heartbeat), which decides whether it is online.
   */
  public static GatewayRolloutController start(KubernetesClient client, boolean enabled,
      SharedIndexInformer<Node> nodes, Function<String, List<Pod>> podsOn, String siteLabel, Duration onlineWindow,
      Function<Node, java.time.Instant> lastContact, Metrics metrics, BooleanSupplier active)
      throws InterruptedException {
    if (!enabled) {
      LOG.info("Gateway rollouts off (OUTPOST_GATEWAY_ROLLOUTS=false)");
      return null;
    }
    if (!CustomResources.listable(client, GatewayRollouts.CONTEXT, "Gateway rollouts", "08-rollout-crds.yaml",
        "OUTPOST_GATEWAY_ROLLOUTS", LOG)) {
      return null;
    }
    GatewayRolloutController controller = new GatewayRolloutController(client, nodes, podsOn, siteLabel,
        onlineWindow, lastContact, metrics, active);
    try {
      controller.rollouts.start().toCompletableFuture().get(2, TimeUnit.MINUTES);
    } catch (ExecutionException | TimeoutException e) {
      controller.close();
      LOG.warn("Gateway rollouts idle: cannot watch GatewayRollouts ({}); apply deploy/kubernetes/10-rbac.yaml, or"
          + " set OUTPOST_GATEWAY_ROLLOUTS=false", e.getCause() == null ? e.toString() : e.getCause().getMessage());
      return null;
    }
    controller.queueAll(); // if this replica is active already (else activate() does it)
    LOG.info("Gateway rollouts on: {} GatewayRollouts, a node is online while its heartbeat is under {} s old",
        controller.rollouts.getStore().list().size(), onlineWindow.toSeconds());
    return controller;
  }

  /** This replica became the active one: every GatewayRollout is reconciled. */
  public void activate() {
    queueAll();
  }

  private void queueAll() {
    rollouts.getStore().list().forEach(r -> queue.add(r.getMetadata().getName()));
  }

  /** Whether a Node update can change a plan: heartbeats count only when they change the node's online-ness. */
  private boolean matters(Node before, Node after) {
    return !Objects.equals(before.getMetadata().getLabels(), after.getMetadata().getLabels())
        || !Objects.equals(annotation(before, GatewayAnnotations.TARGET), annotation(after, GatewayAnnotations.TARGET))
        || !Objects.equals(annotation(before, GatewayAnnotations.STATUS), annotation(after, GatewayAnnotations.STATUS))
        || !Objects.equals(readyStatus(before), readyStatus(after))
        || online(before) != online(after);
  }

  private boolean online(Node node) {
    String heartbeat = node.getStatus() == null || node.getStatus().getConditions() == null ? null
        : node.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType()))
            .map(c -> c.getLastHeartbeatTime()).filter(Objects::nonNull).findFirst().orElse(null);
    try {
      return heartbeat != null && Instant.parse(heartbeat).isAfter(clock.instant().minus(onlineWindow));
    } catch (java.time.format.DateTimeParseException e) {
      return false;
    }
  }

  private static String readyStatus(Node node) {
    return node.getStatus() == null || node.getStatus().getConditions() == null ? null
        : node.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType()))
            .map(c -> c.getStatus()).findFirst().orElse(null);
  }

  private static String annotation(Node node, String key) {
    Map<String, String> annotations = node.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(key);
  }

  /** Stops the informer and the queue. Idempotent. */
  @Override
  public void close() {
    rollouts.stop();
    queue.close();
  }
}
