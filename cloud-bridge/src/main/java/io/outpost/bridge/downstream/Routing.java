package io.outpost.bridge.downstream;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.outpost.bridge.flow.NodeQueues;
import io.outpost.bridge.kube.ChangeHandler;
import io.outpost.bridge.kube.Devices;
import io.outpost.bridge.kube.Informers;
import io.outpost.bridge.kube.ServiceAccountTokens;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.bridge.mqtt.MqttBridgeLink;
import io.outpost.bridge.site.Sites;
import io.outpost.protocol.Codec;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.ResyncRequest;
import java.util.HashSet;
import java.util.List;
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
  private final AcceptedKinds kinds = new AcceptedKinds();
  private Sites sites;
  private Informers informers;

  public Routing(int threads) {
    this.queues = new NodeQueues(threads, "outpost-bridge-router");
  }

  /** The kinds each node applies, from its latest resync request. */
  public AcceptedKinds kinds() {
    return kinds;
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
    start(epoch, codec, link, informers, metrics, edgeNode, tokens, null);
  }

  /**
   * As above, also routing each node's SiteNetwork from {@code sites} (null: none is sent, and a node's
   * EndpointSlices carry its own endpoints only); Services and EndpointSlices go to every node that applies them.
   */
  public void start(long epoch, Codec codec, MqttBridgeLink link, Informers informers, Metrics metrics,
      Predicate<String> edgeNode, ServiceAccountTokens tokens, Sites sites) {
    this.edgeNode = edgeNode;
    this.sites = sites;
    this.informers = informers;
    contents = new NodeContents(informers, tokens, sites);
    if (tokens != null) {
      tokens.onChange(this::schedule);
    }
    router = new Router(epoch, codec, link, contents, metrics, kinds);
    informers.pods().addEventHandler(new PodEvents());
    informers.nodes().addEventHandler(new NodeEvents());
    informers.serviceInformer().addEventHandler(new ChangeHandler<>(s -> scheduleAll()));
    informers.endpointSliceInformer().addEventHandler(new ChangeHandler<>(s -> scheduleAll()));
    metrics.gauge("outpost_bridge_services", () -> informers.serviceInformer().getStore().list().size());
    metrics.gauge("outpost_bridge_endpoint_slices", () -> informers.endpointSliceInformer().getStore().list().size());
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

  /** Every edge node of the cache (a Service or EndpointSlice concerns them all; a node not yet in it resyncs). */
  private void scheduleAll() {
    Set<String> nodes = new HashSet<>();
    informers.edgeNodes().forEach(n -> nodes.add(n.getMetadata().getName()));
    nodes.forEach(this::schedule);
  }

  /**
   * A node's change reaches the node, and, when what its site's peers are told of it changed (its site, LAN
   * addresses or pod ranges), every node of its site before and after: their SiteNetworks and the endpoints of their
   * EndpointSlices follow.
   */
  public void nodeChanged(String name) {
    schedule(name);
    if (sites != null) {
      String site = sites.siteOf(name);
      sites.members(site).forEach(n -> schedule(n.getMetadata().getName()));
    }
  }

  private void siteChanged(Node before, Node after) {
    if (sites == null) {
      return;
    }
    for (Node node : before == after ? List.of(after) : List.of(before, after)) {
      sites.members(sites.siteOf(node)).forEach(n -> schedule(n.getMetadata().getName()));
    }
  }

  /** What a node's site peers are told of it. */
  private record SiteFacts(String site, List<String> addresses, List<String> podCIDRs) {}

  private SiteFacts facts(Node node) {
    return new SiteFacts(sites.siteOf(node), Sites.lanAddresses(node, 8),
        Sites.specRanges(node).stream().map(Object::toString).toList());
  }

  private void referenced(String kind, HasMetadata object) {
    String key = ObjectRef.key(kind, object.getMetadata().getNamespace(), object.getMetadata().getName());
    contents.nodesReferencing(key).forEach(this::schedule);
  }

  @Override
  public void close() {
    queues.close();
  }

  /** Node changes: the node itself, and its site's nodes when its site facts changed. */
  private final class NodeEvents implements ResourceEventHandler<Node> {
    @Override
    public void onAdd(Node node) {
      schedule(node.getMetadata().getName());
      siteChanged(node, node);
    }

    @Override
    public void onUpdate(Node before, Node after) {
      if (Objects.equals(before.getMetadata().getResourceVersion(), after.getMetadata().getResourceVersion())) {
        return;
      }
      schedule(after.getMetadata().getName());
      if (sites != null && !facts(before).equals(facts(after))) {
        siteChanged(before, after);
      }
    }

    @Override
    public void onDelete(Node node, boolean finalStateUnknown) {
      schedule(node.getMetadata().getName());
      siteChanged(node, node);
    }
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
