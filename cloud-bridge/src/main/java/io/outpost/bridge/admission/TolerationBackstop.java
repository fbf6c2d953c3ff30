package io.outpost.bridge.admission;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.outpost.bridge.flow.NodeQueues;
import io.outpost.bridge.kube.Informers;
import io.outpost.bridge.metrics.Metrics;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backstop for pods the webhook did not see (created before it was installed, or while it was down): a bound
 * edge pod without the no-eviction tolerations gets them added. One that carries them with tolerationSeconds
 * cannot be fixed (Kubernetes only lets a running pod's tolerations be added to): it is counted and logged.
 */
public final class TolerationBackstop {
  private static final Logger LOG = LoggerFactory.getLogger(TolerationBackstop.class);

  private final KubernetesClient client;
  private final Metrics metrics;
  private final NodeQueues writers;
  private final BooleanSupplier active;
  /** Pods looked at (uid): each is patched at most once. */
  private final Set<String> checked = ConcurrentHashMap.newKeySet();

  public TolerationBackstop(KubernetesClient client, Metrics metrics, NodeQueues writers, BooleanSupplier active) {
    this.client = client;
    this.metrics = metrics;
    this.writers = writers;
    this.active = active;
  }

  /** Looks at every pod bound to an edge node ({@code edgePod}) as it is added or changed, and forgets deleted ones. */
  public void listen(Informers informers, Predicate<Pod> edgePod) {
    informers.pods().addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Pod pod) {
        if (edgePod.test(pod)) {
          check(pod);
        }
      }

      @Override
      public void onUpdate(Pod before, Pod after) {
        if (edgePod.test(after) && !Objects.equals(before.getMetadata().getResourceVersion(),
            after.getMetadata().getResourceVersion())) {
          check(after);
        }
      }

      @Override
      public void onDelete(Pod pod, boolean finalStateUnknown) {
        forget(pod);
      }
    });
  }

  /** Pods a standby saw were not looked at: the active bridge checks every bound edge pod's tolerations once. */
  public void checkAll(Informers informers, Predicate<Pod> edgePod) {
    informers.pods().getStore().list().stream().filter(edgePod).forEach(this::check);
  }

  /** Looks at a pod bound to an edge node, once; a needed patch goes to its node's writer queue. */
  void check(Pod pod) {
    if (!active.getAsBoolean() || pod.getMetadata().getDeletionTimestamp() != null
        || !checked.add(pod.getMetadata().getUid())) {
      return;
    }
    Tolerations.Fix fix = Tolerations.fix(pod, false);
    if (fix.needsRemoval()) {
      metrics.increment("outpost_bridge_evictable_pods_total");
      LOG.warn("Pod {}/{} on edge node {} tolerates unreachable/not-ready only for a while (tolerationSeconds): "
          + "Kubernetes will evict it if the site stays cut off. Install the admission webhook "
          + "(deploy/kubernetes) and recreate the pod.", pod.getMetadata().getNamespace(),
          pod.getMetadata().getName(), pod.getSpec().getNodeName());
    }
    if (fix.none()) {
      return;
    }
    writers.execute(pod.getSpec().getNodeName(), () -> {
      try {
        // Appends to the existing list (safe against concurrent additions), or creates it if the pod has none.
        List<Map<String, Object>> patch = fix.operations();
        client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
            .patch(PatchContext.of(PatchType.JSON), new KubernetesSerialization().asJson(patch));
        metrics.increment("outpost_bridge_kube_writes_total", "resource", "pods/tolerations");
        metrics.increment("outpost_bridge_tolerations_added_total");
        LOG.info("Added no-eviction tolerations to pod {}/{}", pod.getMetadata().getNamespace(),
            pod.getMetadata().getName());
      } catch (KubernetesClientException e) {
        checked.remove(pod.getMetadata().getUid()); // looked at again on its next change
        metrics.increment("outpost_bridge_kube_errors_total", "code", Integer.toString(e.getCode()));
        LOG.warn("Adding tolerations to pod {}/{} failed: {} {}", pod.getMetadata().getNamespace(),
            pod.getMetadata().getName(), e.getCode(), e.getMessage());
      }
    });
  }

  /** Forgets a deleted pod. */
  void forget(Pod pod) {
    checked.remove(pod.getMetadata().getUid());
  }
}
