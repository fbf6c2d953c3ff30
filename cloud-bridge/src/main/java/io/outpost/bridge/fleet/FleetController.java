package io.outpost.bridge.fleet;

import io.outpost.bridge.kube.CustomResources;
import io.outpost.bridge.flow.WorkQueue;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.outpost.bridge.metrics.Metrics;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet controller: one SiteWorkload, a copy per site ({@link FleetReconciler}). This class wires it: informers
 * on SiteWorkloads, on the Deployments and DaemonSets carrying the owner label (indexed by their controlling
 * SiteWorkload) and — handed in, the bridge's own — on edge Nodes; their handlers only queue keys ({@link WorkQueue});
 * a Node added, deleted or relabelled queues every SiteWorkload (its site may be new, or gone). The SiteWorkload
 * informer resyncs every {@link #RESYNC}, so every SiteWorkload is checked periodically even without events (for
 * example a conflicting object deleted). Every replica keeps the caches; only the active one reconciles
 * ({@link #activate} queues everything when it becomes active). If the CRD is not installed (or not readable) the
 * controller says so once and stays idle.
 */
public final class FleetController implements AutoCloseable {
  static final Duration RESYNC = Duration.ofMinutes(5);
  private static final String OWNER_INDEX = "outpost.io/site-workload-owner";
  private static final Logger LOG = LoggerFactory.getLogger(FleetController.class);

  private final SharedIndexInformer<GenericKubernetesResource> workloads;
  private final SharedIndexInformer<Deployment> deployments;
  private final SharedIndexInformer<DaemonSet> daemonSets;
  private final WorkQueue queue;

  private FleetController(KubernetesClient client, SharedIndexInformer<Node> nodes, Placement placement,
      Metrics metrics, BooleanSupplier active) {
    workloads = client.genericKubernetesResources(SiteWorkloads.CONTEXT).inAnyNamespace()
        .runnableInformer(RESYNC.toMillis());
    deployments = client.apps().deployments().inAnyNamespace().withLabel(SiteWorkloads.OWNER_LABEL)
        .withIndexers(Map.of(OWNER_INDEX, FleetController::ownerKeys)).runnableInformer(0);
    daemonSets = client.apps().daemonSets().inAnyNamespace().withLabel(SiteWorkloads.OWNER_LABEL)
        .withIndexers(Map.of(OWNER_INDEX, FleetController::ownerKeys)).runnableInformer(0);
    Clock clock = Clock.systemUTC();
    FleetReconciler reconciler = new FleetReconciler(client, workloads.getStore()::getByKey, this::copiesOf,
        () -> nodes.getStore().list(), () -> active.getAsBoolean() && synced(), placement,
        new StatusWriter(client, metrics, clock),
        new FleetEvents(client, metrics, clock), metrics);
    queue = new WorkQueue("outpost-bridge-fleet", reconciler,
        (key, failure) -> metrics.increment("outpost_bridge_fleet_reconciles_total", "outcome",
            failure == null ? "done" : "error"), 10, 100, Duration.ofMillis(500),
        Duration.ofMinutes(5));
    workloads.addEventHandler(handler(workload -> queue.add(Cache.metaNamespaceKeyFunc(workload)), true));
    deployments.addEventHandler(handler(this::queueOwner, false));
    daemonSets.addEventHandler(handler(this::queueOwner, false));
    nodes.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Node node) {
        queueAll();
      }

      @Override
      public void onUpdate(Node before, Node after) {
        if (!Objects.equals(before.getMetadata().getLabels(), after.getMetadata().getLabels())) {
          queueAll(); // a site or a label a selector may use changed; heartbeats (status) do not count
        }
      }

      @Override
      public void onDelete(Node node, boolean finalStateUnknown) {
        queueAll();
      }
    });
    metrics.gauge("outpost_bridge_fleet_site_workloads", () -> workloads.getStore().list().size());
    metrics.gauge("outpost_bridge_fleet_copies", () -> deployments.getStore().list().size()
        + daemonSets.getStore().list().size());
    metrics.gauge("outpost_bridge_fleet_queue_depth", queue::depth);
    metrics.gauge("outpost_bridge_fleet_retrying", queue::retrying);
  }

  /**
   * Starts the controller if {@code enabled} and the API server serves SiteWorkloads (the CRD of
   * {@code deploy/kubernetes/06-fleet-crds.yaml} is installed), waiting for its caches; else returns null, having
   * said why once — also when its informers cannot start (RBAC not applied): the bridge runs on without it.
   * {@code nodes}: the bridge's edge Node informer (started); {@code active}: whether this replica is
   * the active one.
   */
  public static FleetController start(KubernetesClient client, boolean enabled, SharedIndexInformer<Node> nodes,
      Placement placement, Metrics metrics, BooleanSupplier active) throws InterruptedException {
    if (!enabled) {
      LOG.info("Multi-site workloads off (OUTPOST_FLEET_WORKLOADS=false)");
      return null;
    }
    if (!CustomResources.listable(client, SiteWorkloads.CONTEXT, "Multi-site workloads", "06-fleet-crds.yaml",
        "OUTPOST_FLEET_WORKLOADS", LOG)) {
      return null;
    }
    FleetController controller = new FleetController(client, nodes, placement, metrics, active);
    try {
      for (SharedIndexInformer<?> informer : controller.informers()) {
        informer.start().toCompletableFuture().get(2, TimeUnit.MINUTES);
      }
    } catch (ExecutionException | TimeoutException e) {
      controller.close();
      LOG.warn("Multi-site workloads idle: cannot watch SiteWorkloads, Deployments and DaemonSets ({}); apply"
          + " deploy/kubernetes/10-rbac.yaml, or set OUTPOST_FLEET_WORKLOADS=false", e.getCause() == null
          ? e.toString() : e.getCause().getMessage());
      return null;
    }
    controller.queueAll(); // if this replica is active already (else activate() does it)
    LOG.info("Multi-site workloads on: {} SiteWorkloads, {} copies", controller.workloads.getStore().list().size(),
        controller.deployments.getStore().list().size() + controller.daemonSets.getStore().list().size());
    return controller;
  }

  /** Never act on partial caches: a copy whose SiteWorkload is not listed yet would look orphaned. */
  private boolean synced() {
    return informers().stream().allMatch(SharedIndexInformer::hasSynced);
  }

  /** This replica became the active one: every SiteWorkload is reconciled. */
  public void activate() {
    queueAll();
  }

  private void queueAll() {
    workloads.getStore().list().forEach(w -> queue.add(Cache.metaNamespaceKeyFunc(w)));
  }

  private void queueOwner(HasMetadata copy) {
    SiteWorkloads.ownerKey(copy).ifPresent(queue::add);
  }

  private List<HasMetadata> copiesOf(String key) {
    List<HasMetadata> copies = new ArrayList<>(deployments.getIndexer().byIndex(OWNER_INDEX, key));
    copies.addAll(daemonSets.getIndexer().byIndex(OWNER_INDEX, key));
    return copies;
  }

  private static List<String> ownerKeys(HasMetadata copy) {
    return SiteWorkloads.ownerKey(copy).map(List::of).orElse(List.of());
  }

  private List<SharedIndexInformer<?>> informers() {
    return List.of(deployments, daemonSets, workloads);
  }

  /** Every change queues the key; {@code resyncs}: also the informer's periodic resync (same resourceVersion). */
  private static <T extends HasMetadata> ResourceEventHandler<T> handler(Consumer<T> then, boolean resyncs) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T object) {
        then.accept(object);
      }

      @Override
      public void onUpdate(T before, T after) {
        if (resyncs || !Objects.equals(before.getMetadata().getResourceVersion(),
            after.getMetadata().getResourceVersion())) {
          then.accept(after);
        }
      }

      @Override
      public void onDelete(T object, boolean finalStateUnknown) {
        then.accept(object);
      }
    };
  }

  /** Stops the informers and the queue. Idempotent. */
  @Override
  public void close() {
    informers().forEach(SharedIndexInformer::stop);
    queue.close();
  }
}
