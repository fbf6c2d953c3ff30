package io.outpost.bridge.downstream;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.outpost.bridge.flow.NodeQueues;
import io.outpost.bridge.kube.ChangeHandler;
import io.outpost.bridge.kube.Devices;
import io.outpost.bridge.kube.Informers;
import io.outpost.bridge.kube.ServiceAccountTokens;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.bridge.mqtt.MqttBridgeLink;
import io.outpost.protocol.Codec;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.ResyncRequest;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The downstream path as one part: every change in the informer caches becomes one reconcile of each node it
 * concerns ({@link Router}), queued on that node's router thread — a burst of changes on one node costs one pass —
 * and resync requests are answered on the same thread. Informer callbacks only enqueue; they never block.
 */
public final class Routing implements AutoCloseable {
  private final NodeQueues queues;
  /** Nodes with a reconcile queued: a burst of changes on one node costs one pass. */
  private final Set<String> dirty = ConcurrentHashMap.newKeySet();
  private NodeContents contents;
  private Router router;
  private Predicate<String> edgeNode;

  public Routing(int threads) {
    this.queues = new NodeQueues(threads, "outpost-bridge-router");
  }

  /**
   * Routes what {@code informers} hold to nodes over {@code link}; {@code edgeNode} says which node names are edge
   * nodes. Before the informers start.
   */
  public void start(long epoch, Codec codec, MqttBridgeLink link, Informers informers, Metrics metrics,
      Predicate<String> edgeNode) {
    start(epoch, codec, link, informers, metrics, edgeNode, null);
  }

  /** As above, also routing each pod's bound ServiceAccount {@code tokens} (null: none) to its node. */
  public void start(long epoch, Codec codec, MqttBridgeLink link, Informers informers, Metrics metrics,
      Predicate<String> edgeNode, ServiceAccountTokens tokens) {
    this.edgeNode = edgeNode;
    contents = new NodeContents(informers, tokens);
    if (tokens != null) {
      tokens.onChange(this::schedule);
    }
    router = new Router(epoch, codec, link, contents, metrics);
    informers.pods().addEventHandler(new PodEvents());
    informers.nodes().addEventHandler(new ChangeHandler<>(node -> schedule(node.getMetadata().getName())));
    informers.configMaps().addEventHandler(new ChangeHandler<>(c -> referenced(Downstream.KIND_CONFIG_MAP, c)));
    informers.secrets().addEventHandler(new ChangeHandler<>(s -> referenced(Downstream.KIND_SECRET, s)));
    if (informers.devices() != null) {
      informers.devices().addEventHandler(new DeviceEvents());
      informers.deviceModels().addEventHandler(new ChangeHandler<>(m -> referenced(Downstream.KIND_DEVICE_MODEL, m)));
    }
    metrics.gauge("outpost_bridge_router_queue", queues::depth);
  }

  /**
   * A pod is routed if its node is an edge node, or a node the router already streams to: that covers the window in
   * which a newly registered node is not yet in the informer cache, and a pod deleted after its Node object.
   */
  public boolean isEdge(Pod pod) {
    String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
    return node != null && (edgeNode.test(node) || router.knows(node));
  }

  /** Runs {@code task} on the node's router thread, in order with its reconciles. */
  public void execute(String node, Runnable task) {
    queues.execute(node, task);
  }

  /** Answers a node's resync request on its router thread. */
  public void resync(ResyncRequest request) {
    queues.execute(request.node(), () -> router.resync(request));
  }

  /** Queues one reconcile of the node on its router thread, unless one is queued already. */
  private void schedule(String node) {
    if (dirty.add(node)) {
      queues.execute(node, () -> {
        dirty.remove(node);
        router.reconcile(node);
      });
    }
  }

  private void referenced(String kind, HasMetadata object) {
    String key = ObjectRef.key(kind, object.getMetadata().getNamespace(), object.getMetadata().getName());
    contents.nodesReferencing(key).forEach(this::schedule);
  }

  @Override
  public void close() {
    queues.close();
  }

  /** A pod change reaches its node. */
  private final class PodEvents implements ResourceEventHandler<Pod> {
    @Override
    public void onAdd(Pod pod) {
      if (isEdge(pod)) {
        schedule(pod.getSpec().getNodeName());
      }
    }

    @Override
    public void onUpdate(Pod before, Pod after) {
      if (isEdge(after) && !Objects.equals(before.getMetadata().getResourceVersion(),
          after.getMetadata().getResourceVersion())) {
        schedule(after.getSpec().getNodeName());
      }
    }

    @Override
    public void onDelete(Pod pod, boolean finalStateUnknown) {
      if (isEdge(pod)) {
        schedule(pod.getSpec().getNodeName());
      }
    }
  }

  /** Device changes reach the node it is bound to, and the node it was bound to before (which must drop it). */
  private final class DeviceEvents implements ResourceEventHandler<GenericKubernetesResource> {
    @Override
    public void onAdd(GenericKubernetesResource device) {
      scheduleIfEdge(Devices.nodeName(device));
    }

    @Override
    public void onUpdate(GenericKubernetesResource before, GenericKubernetesResource after) {
      // Status writes (this bridge's own, one per report) change nothing a node holds: only spec changes count.
      if (!Objects.equals(before.getAdditionalProperties().get("spec"), after.getAdditionalProperties().get("spec"))
          || !Objects.equals(before.getMetadata().getUid(), after.getMetadata().getUid())) {
        scheduleIfEdge(Devices.nodeName(before));
        scheduleIfEdge(Devices.nodeName(after));
      }
    }

    @Override
    public void onDelete(GenericKubernetesResource device, boolean finalStateUnknown) {
      scheduleIfEdge(Devices.nodeName(device));
    }

    private void scheduleIfEdge(String node) {
      if (!node.isEmpty() && (edgeNode.test(node) || router.knows(node))) {
        schedule(node);
      }
    }
  }
}
